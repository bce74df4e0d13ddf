"""Who may see which pupil (DESIGN, "Who does what"). Decided from the links on every
request; anyone outside them gets 404, never data."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from backend.auth.schemas import ReadPublic
from backend.models import AuditEvent, GroupMentor, GroupPupil, GroupTeacher, Guardianship, Person

SELF, GUARDIAN, TEACHER, MENTOR = "self", "guardian", "teacher", "mentor"
STAFF = frozenset({TEACHER, MENTOR})


_IS_PUPIL = (
    core_select(col(GroupPupil.group_id))
    .where(col(GroupPupil.pupil_id) == bindparam("pupil_id"))
    .limit(1)
)


def relation(session: Session, *, viewer_id: int, pupil_id: int) -> str | None:
    if viewer_id == pupil_id:
        return SELF if session.execute(_IS_PUPIL, {"pupil_id": pupil_id}).first() else None
    guardian = session.get(Guardianship, (viewer_id, pupil_id))
    if guardian is not None:
        return GUARDIAN if guardian.has_access else None
    groups = select(GroupPupil.group_id).where(GroupPupil.pupil_id == pupil_id)
    if session.exec(
        select(GroupMentor).where(
            GroupMentor.mentor_id == viewer_id, col(GroupMentor.group_id).in_(groups)
        )
    ).first():
        return MENTOR
    if session.exec(
        select(GroupTeacher).where(
            GroupTeacher.teacher_id == viewer_id, col(GroupTeacher.group_id).in_(groups)
        )
    ).first():
        return TEACHER
    return None


def visible_pupils(session: Session, *, viewer_id: int) -> list[Person]:
    """The pupils a guardian (with access) or a teacher or mentor may open, by name."""
    as_guardian = select(Guardianship.pupil_id).where(
        Guardianship.guardian_id == viewer_id, col(Guardianship.has_access).is_(True)
    )
    staff_groups = (
        select(GroupTeacher.group_id)
        .where(GroupTeacher.teacher_id == viewer_id)
        .union(select(GroupMentor.group_id).where(GroupMentor.mentor_id == viewer_id))
    )
    as_staff = select(GroupPupil.pupil_id).where(col(GroupPupil.group_id).in_(staff_groups))
    return list(
        session.exec(
            select(Person)
            .where(col(Person.id).in_(as_guardian) | col(Person.id).in_(as_staff))
            .order_by(col(Person.given_name), col(Person.family_name))
        ).all()
    )


_READS = (
    core_select(col(AuditEvent.at), col(Person.given_name), col(Person.family_name))
    .select_from(AuditEvent)
    .join(Person, col(Person.id) == AuditEvent.actor_id)
    .where(col(AuditEvent.pupil_id) == bindparam("pupil_id"), col(AuditEvent.kind) == "read")
    .order_by(col(AuditEvent.at).desc())
    .limit(200)
)


def reads_of(session: Session, *, pupil_id: int) -> list[ReadPublic]:
    """Who among the staff has read the pupil's plan, newest first: once per person and day,
    for the pupil and her guardians to see (DESIGN: every read by someone else is logged)."""
    seen: dict[tuple[str, date], ReadPublic] = {}
    rows: Any = session.execute(_READS, {"pupil_id": pupil_id})
    for at, given_name, family_name in rows:
        name = f"{given_name} {family_name}"
        seen.setdefault((name, at.date()), ReadPublic(name=name, at=at))
    return list(seen.values())
