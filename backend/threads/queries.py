"""The threads' reads, built once (db.Query): a page of one thread with the reader's read
marks, the marks of every thread of a plan, and the family's new messages in a teacher's
groups. Rows are named by their columns' keys; keys that would come twice are labelled."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, exists, func, or_, union
from sqlalchemy import select as core_select
from sqlalchemy.orm import aliased
from sqlmodel import col

from backend.db import Query
from backend.models import (
    Goal,
    GroupMentor,
    GroupPupil,
    GroupTeacher,
    Message,
    MessageRead,
    Person,
    Plan,
)

_READER: Any = bindparam("reader_id")
_PLAN: Any = bindparam("plan_id")
_Read: Any = aliased(MessageRead)
_Pupil: Any = aliased(Person)

_COLUMNS: Any = (
    col(Message.id),
    col(Message.plan_id),
    col(Message.goal_id),
    col(Message.author_id),
    col(Message.role),
    col(Message.text),
    col(Message.created_at),
    col(Message.edited_at),
    col(Person.given_name),
    col(Person.family_name),
    col(Person.security_marking),
    col(_Read.person_id).label("read_by"),
)


def _page(*, goal: bool, before: bool) -> Query:
    """A page of a thread, newest first, with `read_by` set where the reader has read it;
    one more row than `limit` says that older ones exist."""
    query = (
        core_select(*_COLUMNS)
        .join(Person, col(Person.id) == Message.author_id)
        .outerjoin(_Read, and_(_Read.message_id == Message.id, _Read.person_id == _READER))
        .where(col(Message.plan_id) == _PLAN)
    )
    query = query.where(
        col(Message.goal_id) == bindparam("goal_id") if goal else col(Message.goal_id).is_(None)
    )
    if before:
        query = query.where(col(Message.id) < bindparam("before"))
    return Query(query.order_by(col(Message.id).desc()).limit(bindparam("limit")))


PAGES = {(g, b): _page(goal=g, before=b) for g in (True, False) for b in (True, False)}

# Every thread of a plan: row.goal_id (None: the plan's), row.total, row.read (by the reader).
MARKS = Query(
    core_select(
        col(Message.goal_id),
        func.count(col(Message.id)).label("total"),
        func.count(col(_Read.message_id)).label("read"),
    )
    .outerjoin(_Read, and_(_Read.message_id == Message.id, _Read.person_id == _READER))
    .where(col(Message.plan_id) == _PLAN)
    .group_by(col(Message.goal_id))
)

_HER_GROUPS = union(
    core_select(col(GroupTeacher.group_id)).where(col(GroupTeacher.teacher_id) == _READER),
    core_select(col(GroupMentor.group_id)).where(col(GroupMentor.mentor_id) == _READER),
)
_Own: Any = aliased(Message)
# The pupil's and her guardians' messages since `since` in the plans of the pupils of the
# reader's groups that she has not read, newest first, with the goal (if any), the pupil
# and whether the reader has written in the plan's thread (`wrote`). A pupil in two of her
# groups comes twice.
NEW_FROM_FAMILIES = Query(
    core_select(
        *_COLUMNS[:-1],
        col(Goal.area),
        col(Goal.text).label("goal_text"),
        col(Plan.pupil_id),
        col(_Pupil.given_name).label("pupil_given"),
        col(_Pupil.family_name).label("pupil_family"),
        col(GroupPupil.group_id),
        exists()
        .where(
            _Own.plan_id == Message.plan_id,
            _Own.goal_id.is_(None),
            _Own.author_id == _READER,
        )
        .label("wrote"),
    )
    .join(Person, col(Person.id) == Message.author_id)
    .join(Plan, col(Plan.id) == Message.plan_id)
    .join(_Pupil, _Pupil.id == Plan.pupil_id)
    .join(GroupPupil, col(GroupPupil.pupil_id) == Plan.pupil_id)
    .outerjoin(Goal, col(Goal.id) == Message.goal_id)
    .where(
        col(GroupPupil.group_id).in_(_HER_GROUPS),
        or_(col(Message.role) == "self", col(Message.role) == "guardian"),
        col(Message.created_at) >= bindparam("since"),
        ~exists().where(_Read.message_id == Message.id, _Read.person_id == _READER),
    )
    .order_by(col(Message.id).desc())
    .limit(500)
)


# Every message about one pupil, all her plans' threads, oldest first (all my data).
EVERY = Query(
    core_select(*_COLUMNS)
    .join(Person, col(Person.id) == Message.author_id)
    .join(Plan, col(Plan.id) == Message.plan_id)
    .outerjoin(_Read, and_(_Read.message_id == Message.id, _Read.person_id == _READER))
    .where(col(Plan.pupil_id) == bindparam("pupil_id"))
    .order_by(col(Message.created_at), col(Message.id))
)
