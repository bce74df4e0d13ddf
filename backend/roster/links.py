"""The links of an import (backend/roster/service.py has the rules): memberships, mentors,
principals, teachers and guardianships, made exactly what the source holds for the groups,
schools and children it speaks for."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlmodel import Session

from backend.models import (
    GroupMentor,
    GroupPupil,
    GroupTeacher,
    Guardianship,
    Organiser,
    SchoolPrincipal,
)
from backend.roster.source import PROTECTED, Origin, Roster, Summary, chunks

DEFAULT_RELATIONS = "Vårdnadshavare"


@dataclass
class Known:
    """The database's rows after the import's schools, groups and persons, by external id
    (named rows: id, the compared columns, a school's guardian_relations)."""

    schools: dict[str, Any]
    groups: dict[str, Any]
    persons: dict[str, Any]

    def person_id(self, ext: str, origin: Origin, what: str) -> int:
        row = self.persons.get(ext)
        if row is None:
            raise origin.error(f"{what} {ext} is not in persons.json nor in the database")
        return int(row.id)

    def group_id(self, ext: str, origin: Origin) -> int:
        row = self.groups.get(ext)
        if row is None:
            raise origin.error(f"group {ext} is not in groups.json nor in the database")
        return int(row.id)

    def in_roster(self, roster: Roster) -> set[int]:
        """The groups this source speaks for."""
        return {int(self.groups[g].id) for g in roster.groups}

    @cached_property
    def person_ext(self) -> dict[int, str]:
        return {row.id: ext for ext, row in self.persons.items()}

    @cached_property
    def group_ext(self) -> dict[int, str]:
        return {row.id: ext for ext, row in self.groups.items()}

    @cached_property
    def school_ext(self) -> dict[int, str]:
        return {row.id: ext for ext, row in self.schools.items()}


def table_of(model: Any) -> Table:
    table: Table = model.__table__
    return table


def memberships(session: Session, *, roster: Roster, known: Known, summary: Summary) -> None:
    want = {
        (known.group_id(g, o), known.person_id(p, o, "member")): None
        for (g, p), o in roster.memberships.items()
    }
    _links(
        session,
        model=GroupPupil,
        key=("group_id", "pupil_id"),
        scope=known.in_roster(roster),
        want=want,
        summary=summary,
        entity="memberships",
        names=(known.group_ext, known.person_ext),
    )


def duties(session: Session, *, roster: Roster, known: Known, summary: Summary) -> None:
    """Mentors and principals (the duties file)."""
    want = {
        (known.group_id(g, o), known.person_id(p, o, "mentor")): None
        for (g, p), o in roster.mentors.items()
    }
    _links(
        session,
        model=GroupMentor,
        key=("group_id", "mentor_id"),
        scope=known.in_roster(roster),
        want=want,
        summary=summary,
        entity="mentors",
        names=(known.group_ext, known.person_ext),
    )
    principals: dict[tuple[int, int], Any] = {}
    for (s, p), o in roster.principals.items():
        school = known.schools.get(s)
        if school is None:
            raise o.error(f"its dutyAt {s} is not a known Skolenhet")
        principals[(int(school.id), known.person_id(p, o, "person"))] = None
    _links(
        session,
        model=SchoolPrincipal,
        key=("school_id", "principal_id"),
        scope={int(known.schools[s].id) for s in roster.schools},
        want=principals,
        summary=summary,
        entity="principals",
        names=(known.school_ext, known.person_ext),
    )


def organisers(
    session: Session,
    *,
    roster: Roster,
    known: Known,
    organisations: dict[str, Any],
    summary: Summary,
) -> None:
    """Who works at the source's Huvudman or Förvaltning (a duty there): its organisers."""
    want = {
        (int(organisations[o].id), known.person_id(p, origin, "person")): None
        for (o, p), origin in roster.organisers.items()
    }
    _links(
        session,
        model=Organiser,
        key=("organisation_id", "person_id"),
        scope={int(organisations[o].id) for o in roster.organisations},
        want=want,
        summary=summary,
        entity="organisers",
        names=({int(row.id): ext for ext, row in organisations.items()}, known.person_ext),
    )


def teaching(session: Session, *, roster: Roster, known: Known, summary: Summary) -> None:
    teachers: dict[tuple[int, int], str] = {}
    for (g, p), (subjects, o) in roster.teachers.items():
        link = (known.group_id(g, o), known.person_id(p, o, "teacher"))
        teachers[link] = ", ".join(sorted(subjects))[:100]
    _links(
        session,
        model=GroupTeacher,
        key=("group_id", "teacher_id"),
        scope=known.in_roster(roster),
        want=teachers,
        summary=summary,
        entity="teachers",
        names=(known.group_ext, known.person_ext),
        value="subject",
    )


def _links(
    session: Session,
    *,
    model: Any,
    key: tuple[str, str],
    scope: set[int],
    want: dict[tuple[int, int], Any],
    summary: Summary,
    entity: str,
    names: tuple[dict[int, str], dict[int, str]],
    value: str | None = None,
) -> None:
    """Makes the links of the owners in `scope` (by `key[0]`: a group or a school) and in
    `want` exactly `want` (key → value, or None without a value)."""
    table = table_of(model)
    a, b = table.c[key[0]], table.c[key[1]]
    columns = [a, b] + ([table.c[value]] if value else [])
    have: dict[tuple[int, int], Any] = {}
    for chunk in chunks(sorted(scope | {k[0] for k in want})):
        for row in session.execute(select(*columns).where(a.in_(chunk))):
            have[(row[0], row[1])] = row[2] if value else None

    def ref(k: tuple[int, int]) -> str:
        return f"{names[0].get(k[0], k[0])} / {names[1].get(k[1], k[1])}"

    created = [k for k in want if k not in have]
    ended = [k for k in have if k not in want]
    updated = [k for k in want if k in have and have[k] != want[k]]
    if created:
        rows = [
            {key[0]: k[0], key[1]: k[1], **({value: want[k]} if value else {})} for k in created
        ]
        for part in chunks(rows):
            session.execute(insert(table), part)
    if ended:
        session.execute(
            delete(table).where(a == bindparam("_a"), b == bindparam("_b")),
            [{"_a": k[0], "_b": k[1]} for k in ended],
        )
    if updated and value:
        session.execute(
            update(table)
            .where(a == bindparam("_a"), b == bindparam("_b"))
            .values({value: bindparam("_v")}),
            [{"_a": k[0], "_b": k[1], "_v": want[k]} for k in updated],
        )
    for what, keys in (("created", created), ("updated", updated), ("ended", ended)):
        for k in sorted(keys):
            summary.note(entity, what, ref(k))


def guardianships(
    session: Session,
    *,
    roster: Roster,
    known: Known,
    newly_protected: set[int],
    summary: Summary,
) -> None:
    """The guardians of the source's children (the rules: service.py's docstring)."""
    allowed, protected = _children(roster, known)
    want = _wanted_guardians(roster, known)
    have = _guardians_held(session, children=sorted(allowed))
    created: list[dict[str, Any]] = [
        {
            "guardian_id": k[0],
            "pupil_id": k[1],
            "relation": relation,
            "has_access": relation in allowed[k[1]] and k[1] not in protected,
        }
        for k, relation in want.items()
        if k not in have
    ]
    updated: list[dict[str, Any]] = []
    for k, relation in want.items():
        if k not in have:
            continue
        old_relation, access, decided = have[k]
        # A staff decision (people/guardians.py) stands until staff change it again.
        closed = (
            access and not decided and (relation not in allowed[k[1]] or k[1] in newly_protected)
        )
        if relation != old_relation or closed:
            updated.append({"_g": k[0], "_p": k[1], "_r": relation, "_a": access and not closed})
    ended = [k for k in have if k not in want]
    _write_guardians(session, created=created, updated=updated, ended=ended)

    def ref(k: tuple[int, int]) -> str:
        return f"{known.person_ext.get(k[0], k[0])} of {known.person_ext.get(k[1], k[1])}"

    for made in created:
        summary.note("guardianships", "created", ref((made["guardian_id"], made["pupil_id"])))
    for changed in updated:
        summary.note("guardianships", "updated", ref((changed["_g"], changed["_p"])))
    for gk in sorted(ended):
        summary.note("guardianships", "ended", ref(gk))


def _children(roster: Roster, known: Known) -> tuple[dict[int, set[str]], set[int]]:
    """Each child's allowed relation types (her school's), and the protected children."""
    allowed: dict[int, set[str]] = {}
    protected: set[int] = set()
    for ext, pr in roster.persons.items():
        child = int(known.persons[ext].id)
        school = known.schools.get(pr.school) if pr.school else None
        allowed[child] = set(
            (school.guardian_relations if school else DEFAULT_RELATIONS).split(",")
        )
        if pr.security_marking == PROTECTED:
            protected.add(child)
    return allowed, protected


def _wanted_guardians(roster: Roster, known: Known) -> dict[tuple[int, int], str]:
    want: dict[tuple[int, int], str] = {}
    for (guardian, child_ext), (relation, origin) in roster.guardians.items():
        row = known.persons.get(guardian)
        if row is None:
            raise origin.error(f"responsible {guardian} is not in persons.json nor in the database")
        want[(int(row.id), int(known.persons[child_ext].id))] = relation
    return want


def _guardians_held(
    session: Session, *, children: list[int]
) -> dict[tuple[int, int], tuple[str, bool, bool]]:
    """(guardian, child) -> relation, access, decided by staff."""
    c = table_of(Guardianship).c
    have: dict[tuple[int, int], tuple[str, bool, bool]] = {}
    for chunk in chunks(children):
        query = select(c.guardian_id, c.pupil_id, c.relation, c.has_access, c.decided_at).where(
            c.pupil_id.in_(chunk)
        )
        for row in session.execute(query):
            link = (row.guardian_id, row.pupil_id)
            have[link] = (row.relation, bool(row.has_access), row.decided_at is not None)
    return have


def _write_guardians(
    session: Session,
    *,
    created: list[dict[str, Any]],
    updated: list[dict[str, Any]],
    ended: list[tuple[int, int]],
) -> None:
    table = table_of(Guardianship)
    c = table.c
    for part in chunks(created):
        session.execute(insert(table), part)
    key = (c.guardian_id == bindparam("_g")) & (c.pupil_id == bindparam("_p"))
    if updated:
        session.execute(
            update(table).where(key).values(relation=bindparam("_r"), has_access=bindparam("_a")),
            updated,
        )
    if ended:
        session.execute(delete(table).where(key), [{"_g": k[0], "_p": k[1]} for k in ended])
