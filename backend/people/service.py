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
from backend.auth import ceremony, sessions
from backend.auth import service as auth
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
    Role,
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


def _by_name(entry: PersonEntry) -> tuple[str, int]:
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


def _link(role: Role, link: Any, *, of: Any = None, subject: Any = None) -> Any:
    """(role, group id, of, subject, school name) for each row of `link`, a table with a
    group_id: `of` is the group's name and there is no subject unless given."""
    return (
        core_select(
            literal_column(f"'{role}'"),
            col(Group.id),
            col(Group.name) if of is None else of,
            literal_column("''") if subject is None else subject,
            col(School.name),
        )
        .select_from(link)
        .join(Group, col(Group.id) == link.group_id)
        .join(School, col(School.id) == Group.school_id)
    )


_TEACHER = _link("teacher", GroupTeacher, subject=col(GroupTeacher.subject))
_MENTOR = _link("mentor", GroupMentor)
_WHO = (col(Person.id), col(Person.given_name), col(Person.family_name), _passkeys_of(Person.id))
# The school's teachers and mentors: a role's five columns, then who she is.
_STAFF = Query(
    union_all(
        _TEACHER.add_columns(*_WHO)
        .join(Person, col(Person.id) == GroupTeacher.teacher_id)
        .where(col(Group.school_id) == _SCHOOL),
        _MENTOR.add_columns(*_WHO)
        .join(Person, col(Person.id) == GroupMentor.mentor_id)
        .where(col(Group.school_id) == _SCHOOL),
    )
)


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
    for role, group_id, group, subject, _school, person_id, given, family, count in _STAFF.rows(
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
            col(EnrolmentCode.code_hash) == ceremony.digest(code)
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
