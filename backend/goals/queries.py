"""Goals' hot reads, built once (db.Query): who teaches the pupil what (every goal page
and write asks), this term of her school, and a plan's proposals (the plan page). Rows are
named by their columns' keys."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import col

from backend.db import Query
from backend.goals.schemas import ProposalPublic
from backend.models import GoalProposal, GroupPupil, GroupTeacher
from backend.terms import current

_PUPIL: Any = bindparam("pupil_id")
_PUPIL_GROUPS = core_select(col(GroupPupil.group_id)).where(col(GroupPupil.pupil_id) == _PUPIL)

# The subjects the viewer teaches in a group of the pupil's.
TEACHER_SUBJECTS = Query(
    core_select(col(GroupTeacher.subject))
    .where(
        col(GroupTeacher.teacher_id) == bindparam("viewer_id"),
        col(GroupTeacher.group_id).in_(_PUPIL_GROUPS),
        col(GroupTeacher.subject) != "",
    )
    .distinct()
)
# The subjects taught in the pupil's groups, by anyone.
GROUP_SUBJECTS = Query(
    core_select(col(GroupTeacher.subject))
    .where(col(GroupTeacher.group_id).in_(_PUPIL_GROUPS), col(GroupTeacher.subject) != "")
    .distinct()
)
# This term of the pupil's school (None between none and the first), for a bound `today`.
CURRENT_TERM = Query(
    core_select(current.of_school(current.school_of_pupil(_PUPIL)).label("term_id"))
)
# A plan's proposals, newest first: ProposalPublic's fields, by their names.
PROPOSALS = Query(
    core_select(*(col(getattr(GoalProposal, name)) for name in ProposalPublic.__struct_fields__))
    .where(col(GoalProposal.plan_id) == bindparam("plan_id"))
    .order_by(col(GoalProposal.created_at).desc(), col(GoalProposal.id).desc())
)
