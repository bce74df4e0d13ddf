"""Prebuilt reads of the people room, with named rows: a mentor's group and a principal's
staff with their passkey counts, one person's links as a viewer may see them, and a
pupil's guardian links."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, literal_column, union_all
from sqlalchemy import select as core_select
from sqlalchemy.orm import aliased
from sqlmodel import col

from backend.db import Query
from backend.models import (
    Group,
    GroupMentor,
    GroupPupil,
    GroupTeacher,
    Guardianship,
    PasskeyCredential,
    Person,
    School,
    SchoolPrincipal,
)
from backend.people.schemas import Role

_V: Any = bindparam("viewer_id")
_PERSON: Any = bindparam("person_id")
_GROUP: Any = bindparam("group_id")
_SCHOOL: Any = bindparam("school_id")
_P: Any = bindparam("pupil_id")


def _passkeys_of(person_id: Any) -> Any:
    return (
        core_select(func.count())
        .select_from(PasskeyCredential)
        .where(col(PasskeyCredential.person_id) == person_id)
        .scalar_subquery()
        .label("passkeys")
    )


# Who she is: id, given_name, family_name, passkeys.
_WHO = (col(Person.id), col(Person.given_name), col(Person.family_name), _passkeys_of(Person.id))

PUPILS = Query(
    core_select(*_WHO)
    .join(GroupPupil, col(GroupPupil.pupil_id) == Person.id)
    .where(col(GroupPupil.group_id) == _GROUP)
)
GUARDIANS = Query(
    core_select(col(Guardianship.pupil_id), *_WHO)
    .join(Guardianship, col(Guardianship.guardian_id) == Person.id)
    .where(
        col(Guardianship.has_access).is_(True),
        col(Guardianship.pupil_id).in_(
            core_select(col(GroupPupil.pupil_id)).where(col(GroupPupil.group_id) == _GROUP)
        ),
    )
)


def _link(role: Role, link: Any, *, of: Any = None, subject: Any = None) -> Any:
    """(role, group_id, group_name, subject, school_name) for each row of `link`, a table
    with a group_id: `group_name` is the group's unless `of` is given, and there is no
    subject unless given."""
    return (
        core_select(
            literal_column(f"'{role}'").label("role"),
            col(Group.id).label("group_id"),
            (col(Group.name) if of is None else of).label("group_name"),
            (literal_column("''") if subject is None else subject).label("subject"),
            col(School.name).label("school_name"),
        )
        .select_from(link)
        .join(Group, col(Group.id) == link.group_id)
        .join(School, col(School.id) == Group.school_id)
    )


_TEACHER = _link("teacher", GroupTeacher, subject=col(GroupTeacher.subject))
_MENTOR = _link("mentor", GroupMentor)
# The school's teachers and mentors: a role's five columns, then who she is.
STAFF = Query(
    union_all(
        _TEACHER.add_columns(*_WHO)
        .join(Person, col(Person.id) == GroupTeacher.teacher_id)
        .where(col(Group.school_id) == _SCHOOL),
        _MENTOR.add_columns(*_WHO)
        .join(Person, col(Person.id) == GroupMentor.mentor_id)
        .where(col(Group.school_id) == _SCHOOL),
    )
)

# One person, as the viewer may see her: only the links that let the viewer issue for her
# (a mentor: her groups' pupils and their guardians; a principal: her schools' staff), so
# a page never names a child or group outside the viewer's own.
_MENTORED = core_select(col(GroupMentor.group_id)).where(col(GroupMentor.mentor_id) == _V)
_LED = core_select(col(SchoolPrincipal.school_id)).where(col(SchoolPrincipal.principal_id) == _V)
_CHILD = aliased(Person, name="child")
PERSON_ROLES = Query(
    union_all(
        _link("pupil", GroupPupil).where(
            col(GroupPupil.pupil_id) == _PERSON, col(Group.id).in_(_MENTORED)
        ),
        _link("guardian", GroupPupil, of=col(_CHILD.given_name) + " " + col(_CHILD.family_name))
        .join(Guardianship, col(Guardianship.pupil_id) == GroupPupil.pupil_id)
        .join(_CHILD, col(_CHILD.id) == Guardianship.pupil_id)
        .where(col(Guardianship.guardian_id) == _PERSON, col(Group.id).in_(_MENTORED)),
        _TEACHER.where(col(GroupTeacher.teacher_id) == _PERSON, col(Group.school_id).in_(_LED)),
        _MENTOR.where(col(GroupMentor.mentor_id) == _PERSON, col(Group.school_id).in_(_LED)),
    )
)

# Whether the viewer leads the pupil's school: a principal who also teaches in her group
# is her teacher to access (the closer relation), and a principal all the same here.
LEADS = Query(
    core_select(col(SchoolPrincipal.school_id))
    .join(Group, col(Group.school_id) == SchoolPrincipal.school_id)
    .join(GroupPupil, col(GroupPupil.group_id) == Group.id)
    .where(
        col(SchoolPrincipal.principal_id) == _V,
        col(GroupPupil.pupil_id) == _P,
    )
    .limit(1)
)

_DECIDER = aliased(Person, name="decider")
_LINKS: Any = (
    core_select(
        col(Guardianship.guardian_id),
        col(Person.given_name),
        col(Person.family_name),
        col(Guardianship.relation),
        col(Guardianship.has_access),
        col(Guardianship.decided_at),
        col(_DECIDER.given_name).label("by_given"),
        col(_DECIDER.family_name).label("by_family"),
    )
    .join(Person, col(Person.id) == Guardianship.guardian_id)
    .outerjoin(_DECIDER, col(_DECIDER.id) == Guardianship.decided_by_id)
)
LINKS = Query(_LINKS.where(col(Guardianship.pupil_id) == _P))
LINK = Query(
    _LINKS.where(
        col(Guardianship.pupil_id) == _P, col(Guardianship.guardian_id) == bindparam("guardian_id")
    )
)
