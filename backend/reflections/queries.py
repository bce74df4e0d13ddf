"""The reflections' reads, built once (db.Query): a teacher's list (her groups a subquery),
one item of it, and the plan a rating belongs to (every reply checks it). Rows are named
by their columns' keys; keys that would come twice are labelled."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, exists, union
from sqlalchemy import select as core_select
from sqlmodel import col

from backend.db import Query
from backend.models import (
    Goal,
    GroupMentor,
    GroupPupil,
    GroupTeacher,
    Person,
    Plan,
    Reply,
    Seen,
    SelfAssessment,
)

ROWS_MAX = 2000  # rows read at most (a pupil in two of her groups comes twice)


_VIEWER: Any = bindparam("viewer_id")
_RATING: Any = bindparam("assessment_id")
# Her groups: those she teaches in or mentors.
_HER_GROUPS = union(
    core_select(col(GroupTeacher.group_id)).where(col(GroupTeacher.teacher_id) == _VIEWER),
    core_select(col(GroupMentor.group_id)).where(col(GroupMentor.mentor_id) == _VIEWER),
)
# The self-assessments with comments from the pupils of her groups, newest first, with
# whether she has seen or answered each (a pupil in two of her groups comes twice).
_LISTED: Any = (
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
        exists()
        .where(col(Reply.self_assessment_id) == SelfAssessment.id, col(Reply.author_id) == _VIEWER)
        .label("replied"),
        col(Plan.state),
    )
    .join(Goal, col(Goal.id) == SelfAssessment.goal_id)
    .join(Plan, col(Plan.id) == Goal.plan_id)
    .join(GroupPupil, col(GroupPupil.pupil_id) == Plan.pupil_id)
    .join(Person, col(Person.id) == Plan.pupil_id)
    .outerjoin(
        Seen,
        and_(col(Seen.self_assessment_id) == SelfAssessment.id, col(Seen.person_id) == _VIEWER),
    )
    .where(col(GroupPupil.group_id).in_(_HER_GROUPS), col(SelfAssessment.comment) != "")
    .order_by(col(SelfAssessment.created_at).desc(), col(SelfAssessment.id).desc())
    .limit(ROWS_MAX)
)
# Her list: those since a time (bound `since`) …
LISTED = Query(_LISTED.where(col(SelfAssessment.created_at) >= bindparam("since")))
# … or one item, of any age, if it is hers to see.
ONE = Query(_LISTED.where(col(SelfAssessment.id) == _RATING))

PLAN_OF_RATING = Query(
    core_select(col(Plan.id), col(Plan.state))
    .join(Goal, col(Goal.plan_id) == Plan.id)
    .join(SelfAssessment, col(SelfAssessment.goal_id) == Goal.id)
    .where(col(SelfAssessment.id) == bindparam("assessment_id"))
)
