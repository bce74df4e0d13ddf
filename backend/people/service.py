"""Sign-up links from the web (DESIGN: a lost phone → staff issue a new link): who a mentor
or principal may issue one for, their passkeys (removed when a phone is lost), and the link
itself. Who may touch whom is access.FOR_PERSON's; these functions trust their caller."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy import bindparam, func, literal_column, union_all
from sqlalchemy import select as core_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from backend import i18n
from backend.auth import service as auth
from backend.auth import sessions
from backend.auth.schemas import PasskeyPublic
from backend.db import Query
from backend.models import (
    EnrolmentCode,
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
from backend.people.schemas import (
    EnrolmentLinkPublic,
    PersonEntry,
    PersonPublic,
    PupilEntry,
    RolePublic,
    StaffEntry,
)

# A letter goes home in a school bag and may wait for the weekend: a week.
LINK_DAYS = 7

_V: Any = bindparam("viewer_id")
_PERSON: Any = bindparam("person_id")
_GROUP: Any = bindparam("group_id")
_SCHOOL: Any = bindparam("school_id")


def _passkeys_of(person_id: Any) -> Any:
    return (
        core_select(func.count())
        .select_from(PasskeyCredential)
        .where(col(PasskeyCredential.person_id) == person_id)
        .scalar_subquery()
    )


_PUPILS = Query(
    core_select(
        col(Person.id), col(Person.given_name), col(Person.family_name), _passkeys_of(Person.id)
    )
    .join(GroupPupil, col(GroupPupil.pupil_id) == Person.id)
    .where(col(GroupPupil.group_id) == _GROUP)
)
_GUARDIANS = Query(
    core_select(
        col(Guardianship.pupil_id),
        col(Person.id),
        col(Person.given_name),
        col(Person.family_name),
        _passkeys_of(Person.id),
    )
    .join(Guardianship, col(Guardianship.guardian_id) == Person.id)
    .where(
        col(Guardianship.has_access).is_(True),
        col(Guardianship.pupil_id).in_(
            core_select(col(GroupPupil.pupil_id)).where(col(GroupPupil.group_id) == _GROUP)
        ),
    )
)


def _name(given: str, family: str) -> str:
    return f"{given} {family}"


def _by_name(entry: PersonEntry | PupilEntry | StaffEntry) -> tuple[str, int]:
    return entry.name.casefold(), entry.id


def group_people(session: Session, *, group_id: int) -> list[PupilEntry]:
    """The group's pupils and, under each, her guardians with access (two queries)."""
    guardians: dict[int, list[PersonEntry]] = {}
    for pupil_id, person_id, given, family, count in _GUARDIANS.rows(
        session, {"group_id": group_id}
    ):
        entry = PersonEntry(id=person_id, name=_name(given, family), passkeys=count)
        guardians.setdefault(pupil_id, []).append(entry)
    pupils = [
        PupilEntry(
            id=pupil_id,
            name=_name(given, family),
            passkeys=count,
            guardians=sorted(guardians.get(pupil_id, []), key=_by_name),
        )
        for pupil_id, given, family, count in _PUPILS.rows(session, {"group_id": group_id})
    ]
    return sorted(pupils, key=_by_name)


def _staff_rows(where_teacher: Any, where_mentor: Any) -> Any:
    """(person id, given, family, role, group id, group name, subject, school name,
    passkeys) for the teachers and mentors of the groups `where_*` selects."""
    columns = (
        col(Person.id),
        col(Person.given_name),
        col(Person.family_name),
    )
    return union_all(
        core_select(
            *columns,
            literal_column("'teacher'"),
            col(Group.id),
            col(Group.name),
            col(GroupTeacher.subject),
            col(School.name),
            _passkeys_of(Person.id),
        )
        .join(GroupTeacher, col(GroupTeacher.teacher_id) == Person.id)
        .join(Group, col(Group.id) == GroupTeacher.group_id)
        .join(School, col(School.id) == Group.school_id)
        .where(where_teacher),
        core_select(
            *columns,
            literal_column("'mentor'"),
            col(Group.id),
            col(Group.name),
            literal_column("''"),
            col(School.name),
            _passkeys_of(Person.id),
        )
        .join(GroupMentor, col(GroupMentor.mentor_id) == Person.id)
        .join(Group, col(Group.id) == GroupMentor.group_id)
        .join(School, col(School.id) == Group.school_id)
        .where(where_mentor),
    )


_STAFF = Query(_staff_rows(col(Group.school_id) == _SCHOOL, col(Group.school_id) == _SCHOOL))


def _roles(rows: list[Any]) -> list[RolePublic]:
    """Mentor before teacher, then by group and subject."""
    roles = {
        (role, group_id, subject): RolePublic(
            role=role, of=group_name, group_id=group_id, subject=subject
        )
        for role, group_id, group_name, subject in rows
    }
    return sorted(roles.values(), key=lambda r: (r.role != "mentor", r.of, r.subject))


def school_staff(session: Session, *, school_id: int) -> list[StaffEntry]:
    """The teachers and mentors of the school's groups, each once with her roles (one
    query)."""
    found: dict[int, tuple[str, int, list[Any]]] = {}
    for person_id, given, family, role, group_id, group, subject, _school, count in _STAFF.rows(
        session, {"school_id": school_id}
    ):
        roles = found.setdefault(person_id, (_name(given, family), count, []))[2]
        roles.append((role, group_id, group, subject))
    staff = [
        StaffEntry(id=person_id, name=name, passkeys=count, roles=_roles(roles))
        for person_id, (name, count, roles) in found.items()
    ]
    return sorted(staff, key=_by_name)


# One person, as the viewer may see her: only the links that let the viewer issue for her
# (a mentor: her groups' pupils and their guardians; a principal: her schools' staff), so
# a page never names a child or group outside the viewer's own.
_MENTORED = core_select(col(GroupMentor.group_id)).where(col(GroupMentor.mentor_id) == _V)
_LED = core_select(col(SchoolPrincipal.school_id)).where(col(SchoolPrincipal.principal_id) == _V)
_CHILD = aliased(Person, name="child")
_PERSON_ROLES = Query(
    union_all(
        core_select(
            literal_column("'pupil'"),
            col(Group.id),
            col(Group.name),
            literal_column("''"),
            col(School.name),
        )
        .select_from(GroupPupil)
        .join(Group, col(Group.id) == GroupPupil.group_id)
        .join(School, col(School.id) == Group.school_id)
        .where(col(GroupPupil.pupil_id) == _PERSON, col(Group.id).in_(_MENTORED)),
        core_select(
            literal_column("'guardian'"),
            col(Group.id),
            col(_CHILD.given_name) + " " + col(_CHILD.family_name),
            literal_column("''"),
            col(School.name),
        )
        .select_from(Guardianship)
        .join(_CHILD, col(_CHILD.id) == Guardianship.pupil_id)
        .join(GroupPupil, col(GroupPupil.pupil_id) == Guardianship.pupil_id)
        .join(Group, col(Group.id) == GroupPupil.group_id)
        .join(School, col(School.id) == Group.school_id)
        .where(col(Guardianship.guardian_id) == _PERSON, col(Group.id).in_(_MENTORED)),
        core_select(
            literal_column("'teacher'"),
            col(Group.id),
            col(Group.name),
            col(GroupTeacher.subject),
            col(School.name),
        )
        .select_from(GroupTeacher)
        .join(Group, col(Group.id) == GroupTeacher.group_id)
        .join(School, col(School.id) == Group.school_id)
        .where(col(GroupTeacher.teacher_id) == _PERSON, col(Group.school_id).in_(_LED)),
        core_select(
            literal_column("'mentor'"),
            col(Group.id),
            col(Group.name),
            literal_column("''"),
            col(School.name),
        )
        .select_from(GroupMentor)
        .join(Group, col(Group.id) == GroupMentor.group_id)
        .join(School, col(School.id) == Group.school_id)
        .where(col(GroupMentor.mentor_id) == _PERSON, col(Group.school_id).in_(_LED)),
    )
)


def person_of(session: Session, *, person_id: int, viewer_id: int) -> PersonPublic:
    """Her name, her links that the viewer sees, the school a letter names, the letter's
    language and her passkeys."""
    person = session.get(Person, person_id)
    assert person is not None  # FOR_PERSON found her
    rows = _PERSON_ROLES.rows(session, {"person_id": person_id, "viewer_id": viewer_id})
    schools = sorted({school for *_role, school in rows})
    return PersonPublic(
        id=person_id,
        name=person.name,
        roles=_roles([tuple(row[:4]) for row in rows]),
        school=schools[0] if schools else "",
        language=i18n.letter_language(person.locale),
        passkeys=sessions.passkeys_of(session, person_id=person_id),
    )


def passkeys_of(session: Session, *, person_id: int) -> list[PasskeyPublic]:
    return sessions.passkeys_of(session, person_id=person_id)


def remove_passkey(
    session: Session, *, person_id: int, passkey_id: int, removed_by_id: int
) -> None:
    """A lost phone: the passkey goes, and every session it started ends (auth.sessions);
    404 for a passkey that is not hers."""
    sessions.remove_passkey(
        session, person_id=person_id, passkey_id=passkey_id, removed_by_id=removed_by_id
    )


def issue_link(
    session: Session,
    *,
    person_id: int,
    issued_by_id: int | None,
    origin: str,
    hours: int = LINK_DAYS * 24,
) -> EnrolmentLinkPublic:
    """A new one-time link; the person's older unused links are void from now on (they
    say so when opened). The web and `iup enrol` both issue through here."""
    code = auth.issue_enrolment_code(
        session, person_id=person_id, hours=hours, issued_by_id=issued_by_id
    )
    expires_at: datetime = session.execute(
        core_select(col(EnrolmentCode.expires_at)).where(
            col(EnrolmentCode.code_hash) == auth.digest(code)
        )
    ).scalar_one()
    return EnrolmentLinkPublic(url=f"{origin}/enrol/{code}", expires_at=expires_at)


def qr_svg(url: str) -> Markup:
    """The link as an inline SVG QR code: attributes only (no style attribute, which the
    CSP refuses), no size (CSS sizes it), dark on a light square so it scans in dark mode
    and prints."""
    import segno  # only this page needs it

    svg = segno.make(url, error="m").svg_inline(
        scale=1, omitsize=True, svgclass="qr__code", lineclass=None, dark="#000", light="#fff"
    )
    return Markup(svg)  # noqa: S704  (segno's own markup around our URL, which it escapes)
