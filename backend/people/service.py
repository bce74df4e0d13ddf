"""Sign-up links from the web (DESIGN: a lost phone → staff issue a new link): who a mentor
or principal may issue one for, their passkeys (removed when a phone is lost), and the link
itself. Who may touch whom is access.FOR_PERSON's; these functions trust their caller."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy import select as core_select
from sqlmodel import Session, col

from backend import i18n
from backend.access import PersonAccess
from backend.auth import ceremony, sessions
from backend.auth import service as auth
from backend.models import EnrolmentCode, Person
from backend.people import queries
from backend.people.schemas import (
    EnrolmentLinkPublic,
    PersonEntry,
    PersonPublic,
    PupilEntry,
    RolePublic,
    StaffEntry,
)

# A letter goes home in a school bag and may wait for the weekend: a week.


def _name(given: str, family: str) -> str:
    return f"{given} {family}"


def _by_name(entry: PersonEntry) -> tuple[str, int]:
    return entry.name.casefold(), entry.id


def _entry(row: Any) -> PersonEntry:
    return PersonEntry(
        id=row.id, name=_name(row.given_name, row.family_name), passkeys=row.passkeys
    )


def group_people(session: Session, *, group_id: int) -> list[PupilEntry]:
    """The group's pupils and, under each, her guardians with access (two queries)."""
    params = {"group_id": group_id}
    guardians: dict[int, list[PersonEntry]] = {}
    for row in queries.GUARDIANS.rows(session, params):
        guardians.setdefault(row.pupil_id, []).append(_entry(row))
    pupils = [
        PupilEntry(
            id=row.id,
            name=_name(row.given_name, row.family_name),
            passkeys=row.passkeys,
            guardians=sorted(guardians.get(row.id, []), key=_by_name),
        )
        for row in queries.PUPILS.rows(session, params)
    ]
    return sorted(pupils, key=_by_name)


def _roles(rows: list[Any]) -> list[RolePublic]:
    """Mentor before teacher, then by group and subject."""
    roles = {
        (row.role, row.group_id, row.subject): RolePublic(
            role=row.role, of=row.group_name, group_id=row.group_id, subject=row.subject
        )
        for row in rows
    }
    return sorted(roles.values(), key=lambda r: (r.role != "mentor", r.of, r.subject))


def school_staff(session: Session, *, school_id: int) -> list[StaffEntry]:
    """The teachers and mentors of the school's groups, each once with her roles (one
    query)."""
    found: dict[int, tuple[str, int, list[Any]]] = {}
    for row in queries.STAFF.rows(session, {"school_id": school_id}):
        who: tuple[str, int, list[Any]] = (_name(row.given_name, row.family_name), row.passkeys, [])
        found.setdefault(row.id, who)[2].append(row)
    staff = [
        StaffEntry(id=person_id, name=name, passkeys=count, roles=_roles(roles))
        for person_id, (name, count, roles) in found.items()
    ]
    return sorted(staff, key=_by_name)


def person_of(session: Session, *, access: PersonAccess) -> PersonPublic:
    """Her name, her links that the viewer sees, the school a letter names, the letter's
    language and her passkeys."""
    person = session.get(Person, access.person_id)
    assert person is not None  # FOR_PERSON found her
    params = {"person_id": access.person_id, "viewer_id": access.viewer.person_id}
    rows = queries.PERSON_ROLES.rows(session, params)
    schools = sorted({row.school_name for row in rows})
    return PersonPublic(
        id=access.person_id,
        name=person.name,
        roles=_roles(rows),
        school=schools[0] if schools else "",
        language=i18n.letter_language(person.locale),
        passkeys=sessions.passkeys_of(session, person_id=access.person_id),
    )


def issue_link(
    session: Session,
    *,
    person_id: int,
    issued_by_id: int | None,
    origin: str,
    hours: int,
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


def issue_for(
    session: Session, *, access: PersonAccess, origin: str, hours: int
) -> EnrolmentLinkPublic:
    """A link issued from the web: by the member of staff access proved, lasting `hours`
    (IUP_ENROLMENT_HOURS, as `iup enrol`'s)."""
    return issue_link(
        session,
        person_id=access.person_id,
        issued_by_id=access.viewer.person_id,
        origin=origin,
        hours=hours,
    )


def remove_passkey(session: Session, *, access: PersonAccess, passkey_id: int) -> None:
    """A lost phone: the passkey goes and every session it started ends; the audit log names
    the member of staff. 404 for a passkey that is not the person's."""
    sessions.remove_passkey(
        session,
        person_id=access.person_id,
        passkey_id=passkey_id,
        removed_by_id=access.viewer.person_id,
    )


def qr_svg(url: str) -> Markup:
    """The link as an inline SVG QR code: attributes only (no style attribute, which the
    CSP refuses), no size (CSS sizes it), dark on a light square so it scans in dark mode
    and prints."""
    import segno  # only this page needs it

    svg = segno.make(url, error="m").svg_inline(
        scale=1, omitsize=True, svgclass="qr__code", lineclass=None, dark="#000", light="#fff"
    )
    return Markup(svg)  # noqa: S704  (segno's own markup around our URL, which it escapes)
