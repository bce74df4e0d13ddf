"""The preparation's prebuilt reads: the pupil's plan this term and her school year (every
preparation page and save), and the plan page's progress line (every pupil's plan page),
each one statement."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, case, func
from sqlalchemy import select as core_select
from sqlmodel import col

from backend.db import Query
from backend.models import Answer, Audience, Group, GroupPupil, Plan, Preparation, Question
from backend.terms import current

_PUPIL: Any = bindparam("pupil_id")
_PLAN: Any = bindparam("plan_id")

TALK = Query(
    core_select(col(Plan.id).label("plan_id"), col(Plan.term_id), col(Plan.state)).where(
        col(Plan.pupil_id) == _PUPIL, col(Plan.term_id) == current.of_pupil(_PUPIL)
    )
)
SCHOOL_YEAR = Query(
    core_select(col(Group.school_year))
    .join(GroupPupil, col(GroupPupil.group_id) == Group.id)
    .where(col(GroupPupil.pupil_id) == _PUPIL, col(Group.school_year).is_not(None))
    .order_by(col(Group.school_year).desc())
    .limit(1)
)


def _stage_sql(pupil_id: Any) -> Any:
    """terms.questions.stage_of(school year) in SQL, for the one-query progress line."""
    year = (
        core_select(func.max(col(Group.school_year)))
        .join(GroupPupil, col(GroupPupil.group_id) == Group.id)
        .where(col(GroupPupil.pupil_id) == pupil_id)
        .scalar_subquery()
    )
    return case((func.coalesce(year, 0) <= 3, 1), (year <= 6, 2), else_=3)


_OWN_PREP = core_select(col(Preparation.id)).where(
    col(Preparation.plan_id) == _PLAN, col(Preparation.author_id) == _PUPIL
)
_IN_FORCE = (
    core_select(col(Question.id))
    .join(Plan, col(Plan.term_id) == Question.term_id)
    .where(
        col(Plan.id) == _PLAN,
        col(Question.stage) == _stage_sql(_PUPIL),
        col(Question.audience) == Audience.PUPIL.value,
        col(Question.retired_at).is_(None),
    )
)
# The plan page of every pupil shows the line: one prebuilt query, not the whole form.
PROGRESS = Query(
    core_select(
        core_select(func.count())
        .select_from(_IN_FORCE.subquery())
        .scalar_subquery()
        .label("questions"),
        core_select(func.count())
        .select_from(Answer)
        .where(
            col(Answer.preparation_id).in_(_OWN_PREP),
            col(Answer.question_id).in_(_IN_FORCE),
            col(Answer.text) != "",
        )
        .scalar_subquery()
        .label("answered"),
        core_select(func.count())
        .select_from(Preparation)
        .where(col(Preparation.id).in_(_OWN_PREP), col(Preparation.ready_at).is_not(None))
        .scalar_subquery()
        .label("ready"),
    )
)
