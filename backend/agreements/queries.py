"""The written plan's reads, built once (db.Query): this term's written plan with its
plan, term and the pupil's school year in one row; the plan's agreements; their signatures
in force; who signs (pupil, guardians with access, mentors) in one statement. The family's
plan page and every read of the agreements use them. Rows are named by their columns' keys
(an agreement's and a signature's as the model's attributes, which `signing` reads)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, literal_column, union_all
from sqlalchemy import select as core_select
from sqlmodel import col

from backend.db import Query
from backend.models import (
    Agreement,
    Group,
    GroupMentor,
    GroupPupil,
    Guardianship,
    Person,
    Plan,
    School,
    Signature,
    Summary,
    Term,
)
from backend.plans.queries import CURRENT_TERM

_PUPIL: Any = bindparam("pupil_id")
_PLAN: Any = bindparam("plan_id")

# This term's plan and its written plan (empty texts and version 0 when none is written
# yet): SummaryPublic's fields by name, and what `required` is worked out from.
WRITTEN = Query(
    core_select(
        col(Plan.id).label("plan_id"),
        col(Term.code).label("term"),
        col(Plan.state),
        col(Summary.held_on),
        *(
            func.coalesce(getattr(Summary, name), "").label(name)
            for name in (
                "participants",
                "measures_school",
                "measures_pupil",
                "measures_home",
                "next_goals",
            )
        ),
        func.coalesce(col(Summary.version), 0).label("version"),
        col(Summary.published_at),
        col(Term.summary_years),
        core_select(col(Group.school_year))
        .join(GroupPupil, col(GroupPupil.group_id) == Group.id)
        .where(col(GroupPupil.pupil_id) == _PUPIL, col(Group.school_id) == Term.school_id)
        .limit(1)
        .scalar_subquery()
        .label("school_year"),
    )
    .select_from(Plan)
    .join(Term, col(Term.id) == Plan.term_id)
    .outerjoin(Summary, col(Summary.plan_id) == Plan.id)
    .where(col(Plan.pupil_id) == _PUPIL, col(Plan.term_id) == CURRENT_TERM)
)

AGREEMENTS = Query(
    core_select(*Agreement.__table__.columns)  # type: ignore[attr-defined]
    .where(col(Agreement.plan_id) == _PLAN)
    .order_by(col(Agreement.id))
)

# The plan's signatures in force (a changed agreement's are void).
SIGNATURES = Query(
    core_select(*Signature.__table__.columns)  # type: ignore[attr-defined]
    .join(Agreement, col(Agreement.id) == Signature.agreement_id)
    .where(col(Agreement.plan_id) == _PLAN, col(Signature.voided_at).is_(None))
)


PUPIL, GUARDIAN, MENTOR = 0, 1, 2  # a party's kind in PARTIES


def _people(kind: int) -> Any:
    return core_select(
        literal_column(str(kind)).label("kind"),
        col(Person.id),
        col(Person.given_name),
        col(Person.family_name),
        col(Person.security_marking),
    )


# Who signs: the pupil first, then each guardian with access, then her mentors (each once,
# though she may share several groups with one), by given name.
PARTIES = Query(
    union_all(
        _people(PUPIL).where(col(Person.id) == _PUPIL),
        _people(GUARDIAN)
        .join(Guardianship, col(Guardianship.guardian_id) == Person.id)
        .where(col(Guardianship.pupil_id) == _PUPIL, col(Guardianship.has_access).is_(True)),
        _people(MENTOR).where(
            col(Person.id).in_(
                core_select(col(GroupMentor.mentor_id))
                .join(GroupPupil, col(GroupPupil.group_id) == GroupMentor.group_id)
                .where(col(GroupPupil.pupil_id) == _PUPIL)
            )
        ),
    ).order_by(
        literal_column("kind"),
        literal_column("given_name"),
        literal_column("id"),
    )
)

# The agreements (of `ids`) this signer has signed as they are now.
SIGNED_BY = Query(
    core_select(col(Signature.agreement_id), col(Signature.agreement_version))
    .join(Agreement, col(Agreement.id) == Signature.agreement_id)
    .where(
        col(Agreement.plan_id) == _PLAN,
        col(Signature.signer_id) == bindparam("signer_id"),
        col(Signature.voided_at).is_(None),
    )
)


# The school whose term a plan is of: for an imported plan, where its signatures were made.
SCHOOL_OF_PLAN = Query(
    core_select(col(School.name))
    .join(Term, col(Term.school_id) == School.id)
    .join(Plan, col(Plan.term_id) == Term.id)
    .where(col(Plan.id) == _PLAN)
)
