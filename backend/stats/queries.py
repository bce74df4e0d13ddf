"""The school overview in one statement: a row per group and pupil, with her plan this term,
its goals in force and its latest rating."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, func
from sqlalchemy import select as core_select
from sqlmodel import col

from backend.db import Query
from backend.models import Goal, Group, GroupPupil, Person, Plan, SelfAssessment, Term
from backend.terms import current

_TODAY: Any = bindparam("today")
_CURRENT_TERM = current.of_school(bindparam("school_id"))
_GOALS = (
    core_select(func.count())
    .select_from(Goal)
    .where(col(Goal.plan_id) == Plan.id, col(Goal.retired_at).is_(None))
    .correlate(Plan)
    .scalar_subquery()
)
_LAST_RATING = (
    core_select(func.max(col(SelfAssessment.created_at)))
    .join(Goal, col(Goal.id) == SelfAssessment.goal_id)
    .where(col(Goal.plan_id) == Plan.id)
    .correlate(Plan)
    .scalar_subquery()
)
_TERM_CODE = core_select(col(Term.code)).where(col(Term.id) == _CURRENT_TERM).scalar_subquery()

SCHOOL = Query(
    core_select(
        col(Group.id).label("group_id"),
        col(Group.name),
        col(Group.school_year),
        col(Person.id).label("pupil_id"),
        col(Person.given_name),
        col(Person.family_name),
        col(Plan.id).label("plan_id"),
        _GOALS.label("goals"),
        _LAST_RATING.label("last"),
        _TERM_CODE.label("code"),
    )
    .select_from(Group)
    .outerjoin(GroupPupil, col(GroupPupil.group_id) == Group.id)
    .outerjoin(Person, col(Person.id) == GroupPupil.pupil_id)
    .outerjoin(
        Plan, and_(col(Plan.pupil_id) == GroupPupil.pupil_id, col(Plan.term_id) == _CURRENT_TERM)
    )
    .where(col(Group.school_id) == bindparam("school_id"))
    .order_by(
        col(Group.school_year),
        col(Group.name),
        col(Group.id),
        col(Person.given_name),
        col(Person.family_name),
    )
)
