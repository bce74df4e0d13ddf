"""The reflections' reads: a teacher's list (built for her groups and her, one query a
page), and the plan a rating belongs to (prebuilt: every reply checks it). Rows are named
by their columns' keys; keys that would come twice are labelled."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, bindparam, exists
from sqlalchemy import select as core_select
from sqlmodel import col

from backend.db import Query
from backend.models import Goal, GroupPupil, Person, Plan, Reply, Seen, SelfAssessment

ROWS_MAX = 2000  # rows read at most (a pupil in two of her groups comes twice)


def listed(*, viewer_id: int, group_ids: list[int]) -> Select[*tuple[Any, ...]]:
    """The self-assessments with comments from the pupils of her groups, newest first, with
    whether she has seen or answered each; the caller narrows it by age or to one item."""
    replied = exists().where(
        col(Reply.self_assessment_id) == SelfAssessment.id, col(Reply.author_id) == viewer_id
    )
    return (
        core_select(
            col(SelfAssessment.id).label("rating_id"),
            col(SelfAssessment.level),
            col(SelfAssessment.comment),
            col(SelfAssessment.created_at),
            col(Goal.id).label("goal_id"),
            col(Goal.area),
            col(Goal.text),
            col(Plan.pupil_id),
            col(Person.given_name),
            col(Person.family_name),
            col(GroupPupil.group_id),
            col(Seen.person_id).label("seen_by"),
            replied.label("replied"),
            col(Plan.state),
        )
        .join(Goal, col(Goal.id) == SelfAssessment.goal_id)
        .join(Plan, col(Plan.id) == Goal.plan_id)
        .join(GroupPupil, col(GroupPupil.pupil_id) == Plan.pupil_id)
        .join(Person, col(Person.id) == Plan.pupil_id)
        .outerjoin(
            Seen,
            and_(
                col(Seen.self_assessment_id) == SelfAssessment.id,
                col(Seen.person_id) == viewer_id,
            ),
        )
        .where(col(GroupPupil.group_id).in_(group_ids), col(SelfAssessment.comment) != "")
        .order_by(col(SelfAssessment.created_at).desc(), col(SelfAssessment.id).desc())
        .limit(ROWS_MAX)
    )


PLAN_OF_RATING = Query(
    core_select(col(Plan.id), col(Plan.state))
    .join(Goal, col(Goal.plan_id) == Plan.id)
    .join(SelfAssessment, col(SelfAssessment.goal_id) == Goal.id)
    .where(col(SelfAssessment.id) == bindparam("assessment_id"))
)
