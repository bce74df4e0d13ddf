"""The access policies' reads, prebuilt (DESIGN: hot reads may use Core): every route runs
one of them. Rows are named by their columns; in a union the first select names them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, literal_column, true, union_all
from sqlalchemy import select as core_select
from sqlmodel import col

from backend.access.standing import Record
from backend.db import Query
from backend.models import (
    Agreement,
    Goal,
    GoalProposal,
    Group,
    GroupMentor,
    GroupPupil,
    GroupTeacher,
    Guardianship,
    Message,
    Note,
    Organisation,
    Organiser,
    Person,
    Plan,
    SchoolPrincipal,
    SelfAssessment,
    TalkTime,
)

_V: Any = bindparam("viewer_id")
_P: Any = bindparam("pupil_id")
_ID: Any = bindparam("id")
_G: Any = bindparam("group_id")
_PERSON_ID: Any = bindparam("person_id")
_PUPIL_GROUPS = core_select(col(GroupPupil.group_id)).where(col(GroupPupil.pupil_id) == _P)


def _kind(kind: str) -> Any:
    return literal_column(f"'{kind}'").label("kind")


# The pupil a record in the path belongs to: row.pupil_id.
PUPIL_OF = {
    Record.GOAL: Query(
        core_select(col(Plan.pupil_id))
        .join(Goal, col(Goal.plan_id) == Plan.id)
        .where(col(Goal.id) == _ID)
    ),
    Record.PROPOSAL: Query(
        core_select(col(Plan.pupil_id))
        .join(GoalProposal, col(GoalProposal.plan_id) == Plan.id)
        .where(col(GoalProposal.id) == _ID)
    ),
    Record.ASSESSMENT: Query(
        core_select(col(Plan.pupil_id))
        .join(Goal, col(Goal.plan_id) == Plan.id)
        .join(SelfAssessment, col(SelfAssessment.goal_id) == Goal.id)
        .where(col(SelfAssessment.id) == _ID)
    ),
    Record.NOTE: Query(core_select(col(Note.pupil_id)).where(col(Note.id) == _ID)),
    Record.AGREEMENT: Query(
        core_select(col(Plan.pupil_id))
        .join(Agreement, col(Agreement.plan_id) == Plan.id)
        .where(col(Agreement.id) == _ID)
    ),
    Record.PLAN: Query(core_select(col(Plan.pupil_id)).where(col(Plan.id) == _ID)),
    Record.MESSAGE: Query(
        core_select(col(Plan.pupil_id))
        .join(Message, col(Message.plan_id) == Plan.id)
        .where(col(Message.id) == _ID)
    ),
}

# The viewer towards one pupil: row.kind (guardian, mentor, teacher, principal) and
# row.allowed (false for a guardian whose access is restricted).
RELATIONS = Query(
    union_all(
        core_select(_kind("guardian"), col(Guardianship.has_access).label("allowed")).where(
            col(Guardianship.guardian_id) == _V, col(Guardianship.pupil_id) == _P
        ),
        core_select(_kind("mentor"), true()).where(
            col(GroupMentor.mentor_id) == _V, col(GroupMentor.group_id).in_(_PUPIL_GROUPS)
        ),
        core_select(_kind("teacher"), true()).where(
            col(GroupTeacher.teacher_id) == _V, col(GroupTeacher.group_id).in_(_PUPIL_GROUPS)
        ),
        core_select(_kind("principal"), true())
        .select_from(SchoolPrincipal)
        .join(Group, col(Group.school_id) == SchoolPrincipal.school_id)
        .where(col(SchoolPrincipal.principal_id) == _V, col(Group.id).in_(_PUPIL_GROUPS)),
    )
)

# A member of staff's groups (row.kind mentor or teacher, with row.subject) and the schools
# she leads (row.kind principal, row.school_id only).
STAFF_OF = Query(
    union_all(
        core_select(
            _kind("mentor"),
            col(Group.id).label("group_id"),
            col(Group.name),
            col(Group.school_id),
            col(Group.school_year),
            literal_column("''").label("subject"),
        )
        .join(GroupMentor, col(GroupMentor.group_id) == Group.id)
        .where(col(GroupMentor.mentor_id) == _V),
        core_select(
            _kind("teacher"),
            col(Group.id),
            col(Group.name),
            col(Group.school_id),
            col(Group.school_year),
            col(GroupTeacher.subject),
        )
        .join(GroupTeacher, col(GroupTeacher.group_id) == Group.id)
        .where(col(GroupTeacher.teacher_id) == _V),
        core_select(
            _kind("principal"),
            literal_column("NULL"),
            literal_column("NULL"),
            col(SchoolPrincipal.school_id),
            literal_column("NULL"),
            literal_column("''"),
        ).where(col(SchoolPrincipal.principal_id) == _V),
    )
)

_MENTORED_GROUPS = core_select(col(GroupMentor.group_id)).where(col(GroupMentor.mentor_id) == _V)
_LED_GROUPS = core_select(col(Group.id)).where(
    col(Group.school_id).in_(
        core_select(col(SchoolPrincipal.school_id)).where(col(SchoolPrincipal.principal_id) == _V)
    )
)
# How the viewer may issue a sign-up link for a person: row.kind mentor (of the pupil, or
# of a guardian's child) or principal (of a teacher's or mentor's school).
ISSUER = Query(
    union_all(
        core_select(_kind("mentor")).where(
            col(GroupPupil.pupil_id) == _PERSON_ID, col(GroupPupil.group_id).in_(_MENTORED_GROUPS)
        ),
        core_select(_kind("mentor"))
        .select_from(Guardianship)
        .join(GroupPupil, col(GroupPupil.pupil_id) == Guardianship.pupil_id)
        .where(
            col(Guardianship.guardian_id) == _PERSON_ID,
            col(GroupPupil.group_id).in_(_MENTORED_GROUPS),
        ),
        core_select(_kind("principal")).where(
            col(GroupTeacher.teacher_id) == _PERSON_ID, col(GroupTeacher.group_id).in_(_LED_GROUPS)
        ),
        core_select(_kind("principal")).where(
            col(GroupMentor.mentor_id) == _PERSON_ID, col(GroupMentor.group_id).in_(_LED_GROUPS)
        ),
    )
)

# A talk time's group (row.group_id), then the viewer towards that group: row.kind mentor,
# guardian or self, with row.pupil_id (her child in the group, or herself).
TIME_GROUP = Query(core_select(col(TalkTime.group_id)).where(col(TalkTime.id) == _ID))
TIME_STANDING = Query(
    union_all(
        core_select(_kind("mentor"), literal_column("NULL").label("pupil_id")).where(
            col(GroupMentor.mentor_id) == _V, col(GroupMentor.group_id) == _G
        ),
        core_select(_kind("guardian"), col(Guardianship.pupil_id))
        .join(GroupPupil, col(GroupPupil.pupil_id) == Guardianship.pupil_id)
        .where(
            col(Guardianship.guardian_id) == _V,
            col(Guardianship.has_access).is_(True),
            col(GroupPupil.group_id) == _G,
        ),
        core_select(_kind("self"), col(GroupPupil.pupil_id)).where(
            col(GroupPupil.pupil_id) == _V, col(GroupPupil.group_id) == _G
        ),
    )
)


def _reader(role: str) -> Any:
    return core_select(
        literal_column(f"'{role}'").label("role"),
        col(Person.id).label("person_id"),
        col(Person.given_name),
        col(Person.family_name),
        col(Person.security_marking),
    )


# Who reads what a pupil writes, by row.role (a person may come more than once).
READERS = Query(
    union_all(
        _reader("guardian")
        .join(Guardianship, col(Guardianship.guardian_id) == Person.id)
        .where(col(Guardianship.pupil_id) == _P, col(Guardianship.has_access).is_(True)),
        _reader("mentor")
        .join(GroupMentor, col(GroupMentor.mentor_id) == Person.id)
        .where(col(GroupMentor.group_id).in_(_PUPIL_GROUPS)),
        _reader("teacher")
        .join(GroupTeacher, col(GroupTeacher.teacher_id) == Person.id)
        .where(col(GroupTeacher.group_id).in_(_PUPIL_GROUPS)),
    )
)

# The pupils an adult may open: her children (row.group_name NULL), then the pupils of the
# groups she teaches or mentors.
PUPILS_OF = Query(
    union_all(
        core_select(
            col(Person.id).label("pupil_id"),
            col(Person.given_name),
            col(Person.family_name),
            literal_column("NULL").label("group_name"),
        )
        .join(Guardianship, col(Guardianship.pupil_id) == Person.id)
        .where(col(Guardianship.guardian_id) == _V, col(Guardianship.has_access).is_(True)),
        core_select(
            col(Person.id), col(Person.given_name), col(Person.family_name), col(Group.name)
        )
        .join(GroupPupil, col(GroupPupil.pupil_id) == Person.id)
        .join(Group, col(Group.id) == GroupPupil.group_id)
        .where(
            col(GroupPupil.group_id).in_(
                core_select(col(GroupTeacher.group_id))
                .where(col(GroupTeacher.teacher_id) == _V)
                .union(
                    core_select(col(GroupMentor.group_id)).where(col(GroupMentor.mentor_id) == _V)
                )
            )
        ),
    )
)

# The organisations the viewer works for (an organiser reads their figures), by name.
ORGANISATIONS = Query(
    core_select(col(Organisation.id), col(Organisation.name))
    .join(Organiser, col(Organiser.organisation_id) == Organisation.id)
    .where(col(Organiser.person_id) == _V)
    .order_by(col(Organisation.name), col(Organisation.id))
)
