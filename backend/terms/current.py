"""Which term is "this term": the one that holds today, or between terms the latest begun.
Terms belong to a school, so the rule is asked per school, or per pupil (the latest begun
term she has a plan in). Scalar subqueries for the prebuilt queries of every domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlalchemy.orm import aliased
from sqlmodel import col

from backend.models import Group, GroupPupil, Plan, Term

_TODAY: Any = bindparam("today")
_ORDER = ((col(Term.ends_on) >= _TODAY).desc(), col(Term.starts_on).desc())


def of_school(school_id: Any) -> Any:
    """The current term of `school_id` (a bind parameter or a correlated column)."""
    return (
        core_select(col(Term.id))
        .where(col(Term.school_id) == school_id, col(Term.starts_on) <= _TODAY)
        .order_by(*_ORDER)
        .limit(1)
        .scalar_subquery()
    )


_Own = aliased(Plan)


def of_pupil(pupil_id: Any) -> Any:
    """The current term among those the pupil has a plan in here: a plan imported from
    her earlier school is history, never "this term", whatever its dates."""
    return (
        core_select(col(Term.id))
        .join(_Own, col(_Own.term_id) == Term.id)
        .where(
            col(_Own.pupil_id) == pupil_id,
            col(_Own.imported_at).is_(None),
            col(Term.starts_on) <= _TODAY,
        )
        .order_by(*_ORDER)
        .limit(1)
        .scalar_subquery()
    )


def school_of_pupil(pupil_id: Any) -> Any:
    """The school of the pupil's groups (a pupil is in one school's groups)."""
    return (
        core_select(col(Group.school_id))
        .join(GroupPupil, col(GroupPupil.group_id) == Group.id)
        .where(col(GroupPupil.pupil_id) == pupil_id)
        .limit(1)
        .scalar_subquery()
    )
