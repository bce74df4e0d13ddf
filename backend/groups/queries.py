"""The group at a glance, measured hot: prebuilt statements whose number does not grow with
the group (tests/integration/test_groups.py counts them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, exists, func, or_
from sqlalchemy import select as core_select
from sqlalchemy.orm import aliased
from sqlmodel import col

from backend.db import Query
from backend.models import (
    Agreement,
    Booking,
    Goal,
    Group,
    GroupMentor,
    GroupPupil,
    GroupTeacher,
    Guardianship,
    Person,
    Plan,
    Preparation,
    Reply,
    Seen,
    SelfAssessment,
    TalkTime,
)
from backend.terms import current

_V: Any = bindparam("viewer_id")
_G: Any = bindparam("group_id")

# This term of the group's school.
CURRENT_TERM = current.of_school(
    core_select(col(Group.school_id)).where(col(Group.id) == _G).scalar_subquery()
)

# Unread, for viewer V (the reflections list uses the same rule): a self-assessment with a
# comment that V has neither marked seen nor replied to. Correlated on the pupil's row.
UNREAD = (
    core_select(func.count())
    .select_from(SelfAssessment)
    .join(Goal, col(Goal.id) == SelfAssessment.goal_id)
    .join(Plan, col(Plan.id) == Goal.plan_id)
    .where(
        col(Plan.pupil_id) == GroupPupil.pupil_id,
        col(SelfAssessment.comment) != "",
        ~exists().where(
            col(Seen.self_assessment_id) == SelfAssessment.id, col(Seen.person_id) == _V
        ),
        ~exists().where(
            col(Reply.self_assessment_id) == SelfAssessment.id, col(Reply.author_id) == _V
        ),
    )
    .correlate(GroupPupil)
    .scalar_subquery()
)


def _pupils(where: Any) -> Query:
    return Query(
        core_select(
            col(GroupPupil.group_id),
            col(Person.id).label("pupil_id"),
            col(Person.given_name),
            col(Person.family_name),
            UNREAD.label("unread"),
        )
        .select_from(GroupPupil)
        .join(Person, col(Person.id) == GroupPupil.pupil_id)
        .where(where)
        .order_by(col(Person.given_name), col(Person.family_name), col(Person.id))
    )


# The pupils of every group the viewer mentors or teaches (her start page), and of one.
PUPILS_OF_STAFF = _pupils(
    col(GroupPupil.group_id).in_(
        core_select(col(GroupTeacher.group_id))
        .where(col(GroupTeacher.teacher_id) == _V)
        .union(core_select(col(GroupMentor.group_id)).where(col(GroupMentor.mentor_id) == _V))
    )
)
PUPILS_OF_GROUP = _pupils(col(GroupPupil.group_id) == _G)

# Each goal in force this term of the group's pupils, with its latest rating (if any).
_Later = aliased(SelfAssessment)
LATEST_BY_GOAL = Query(
    core_select(
        col(Plan.pupil_id),
        col(Goal.area),
        col(SelfAssessment.level),
        col(SelfAssessment.created_at),
    )
    .select_from(Plan)
    .join(Goal, col(Goal.plan_id) == Plan.id)
    .outerjoin(
        SelfAssessment,
        and_(
            col(SelfAssessment.goal_id) == Goal.id,
            col(SelfAssessment.created_at)
            == core_select(func.max(col(_Later.created_at)))
            .where(col(_Later.goal_id) == Goal.id)
            .scalar_subquery(),
        ),
    )
    .where(
        col(Plan.pupil_id).in_(
            core_select(col(GroupPupil.pupil_id)).where(col(GroupPupil.group_id) == _G)
        ),
        col(Plan.term_id) == CURRENT_TERM,
        col(Goal.retired_at).is_(None),
    )
)

# Before and after the talk, per pupil of the group this term: her plan's state, the booked
# time, and how many agreements there are, are signed by everyone and are followed up.
_GROUP_PUPILS = core_select(col(GroupPupil.pupil_id)).where(col(GroupPupil.group_id) == _G)


def _agreements(*states: str) -> Any:
    query = (
        core_select(func.count()).select_from(Agreement).where(col(Agreement.plan_id) == Plan.id)
    )
    if states:
        query = query.where(or_(*(col(Agreement.state) == s for s in states)))
    return query.correlate(Plan).scalar_subquery()


TALKS = Query(
    core_select(
        col(Plan.pupil_id),
        col(Plan.state),
        col(TalkTime.starts_at),
        _agreements().label("agreements"),
        _agreements("signed", "done", "not_done").label("signed"),
        _agreements("done", "not_done").label("followed_up"),
    )
    .select_from(Plan)
    .outerjoin(
        Booking,
        and_(col(Booking.pupil_id) == Plan.pupil_id, col(Booking.term_id) == Plan.term_id),
    )
    .outerjoin(TalkTime, col(TalkTime.id) == Booking.talk_time_id)
    .where(col(Plan.pupil_id).in_(_GROUP_PUPILS), col(Plan.term_id) == CURRENT_TERM)
)
# Who has prepared: the pupil's own preparation, and each guardian's with access to her.
PREPARED = Query(
    core_select(
        col(Plan.pupil_id),
        col(Preparation.author_id),
        col(Preparation.ready_at),
    )
    .select_from(Preparation)
    .join(Plan, col(Plan.id) == Preparation.plan_id)
    .where(col(Plan.pupil_id).in_(_GROUP_PUPILS), col(Plan.term_id) == CURRENT_TERM)
)
GUARDIANS = Query(
    core_select(col(Guardianship.pupil_id), col(Guardianship.guardian_id)).where(
        col(Guardianship.pupil_id).in_(_GROUP_PUPILS), col(Guardianship.has_access).is_(True)
    )
)
