"""Lists a relation decides: who reads what a pupil writes (`readers_of`), and the pupils
an adult may open (`visible_pupils`). Each one query."""

from __future__ import annotations

import msgspec
from sqlmodel import Session

from backend.access.queries import PUPILS_OF, READERS
from backend.access.standing import RANK, Relation
from backend.names import Namer


class Reader(msgspec.Struct, frozen=True, kw_only=True):
    role: Relation
    name: str


def readers_of(session: Session, *, pupil_id: int, namer: Namer) -> list[Reader]:
    """Who reads what the pupil writes: her guardians with access, her mentors and her
    teachers, each person once under the closest relation, named as `namer` allows (one
    query)."""
    found: dict[int, Reader] = {}
    for row in READERS.rows(session, {"pupil_id": pupil_id}):
        role = Relation(row.role)
        earlier = found.get(row.person_id)
        if earlier is None or RANK.index(role) < RANK.index(earlier.role):
            name = namer.name(
                person_id=row.person_id,
                given=row.given_name,
                family=row.family_name,
                marking=row.security_marking,
                role=row.role,
            )
            found[row.person_id] = Reader(role=role, name=name)
    return sorted(found.values(), key=lambda r: (RANK.index(r.role), r.name))


class PupilEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A pupil on an adult's start page, under the group she is there by (None: a child of
    the viewer's)."""

    id: int
    name: str
    group: str | None


def visible_pupils(session: Session, *, viewer_id: int) -> list[PupilEntry]:
    """The pupils a guardian (with access) or a teacher or mentor may open: her own children
    first, then each group she teaches or mentors, by name (one query)."""
    rows = PUPILS_OF.rows(session, {"viewer_id": viewer_id})
    entries = {
        PupilEntry(
            id=row.pupil_id, name=f"{row.given_name} {row.family_name}", group=row.group_name
        )
        for row in rows
    }
    return sorted(entries, key=lambda e: (e.group is not None, e.group or "", e.name))
