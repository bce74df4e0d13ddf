"""`import_roster`: a roster into the database, in one transaction, idempotently.

Rows are found again by `external_id` (the SS 12000 id). Names, memberships, guardian links,
mentors, teachers and principals follow the source; a link the source no longer holds is
ended (removed), but only for the groups, children and schools the source holds, and only
for kinds it holds at all (no duties file: mentors stay). People and groups that leave the
source are kept: they may have plans. Guardian links keep every relation type; a new link
may read and sign (`has_access`) only when its type is one the child's school names
(`School.guardian_relations`) and the child has no protected identity. Staff may change
`has_access` later; a later import keeps their choice, except that it closes a link whose
type stops being allowed, or whose child gets a protected identity — and a link with a
staff decision (`Guardianship.decided_at`) keeps its access whatever the source says."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import msgspec
from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlmodel import Session, col

from backend.models import (
    Group,
    GroupMentor,
    GroupPupil,
    GroupTeacher,
    Guardianship,
    Person,
    School,
    SchoolPrincipal,
    utcnow,
)
from backend.roster import csvfile, ss12000
from backend.roster.source import PROTECTED, Roster, RosterError

__all__ = ["ENTITIES", "Change", "RosterError", "Summary", "import_roster", "read"]

ENTITIES = (
    "schools",
    "groups",
    "persons",
    "memberships",
    "guardianships",
    "mentors",
    "teachers",
    "principals",
)
DEFAULT_RELATIONS = "Vårdnadshavare"
CHUNK = 500
K = TypeVar("K")


class Change(msgspec.Struct):
    created: int = 0
    updated: int = 0
    ended: int = 0


class Summary(msgspec.Struct):
    """What the import changed (or would change): counts per entity, one line each."""

    changes: dict[str, Change]
    lines: list[str] = []

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated or c.ended for c in self.changes.values())

    def note(self, entity: str, what: str, ref: str) -> None:
        change = self.changes[entity]
        setattr(change, what, getattr(change, what) + 1)
        self.lines.append(f"{what} {entity[:-1] if entity != 'persons' else 'person'} {ref}")


Progress = Callable[[str], None]


def read(source: Path, *, today: date) -> Roster:
    if not source.exists():
        raise RosterError(f"{source}: no such file or folder")
    if source.is_file() and source.suffix.lower() == ".csv":
        return csvfile.read(source)
    return ss12000.read(source, today=today)


def import_roster(
    session: Session,
    *,
    source: Path,
    dry_run: bool,
    today: date,
    progress: Progress | None = None,
) -> Summary:
    """Raises RosterError (naming the file and record) and changes nothing on bad input."""
    step = progress or (lambda _what: None)
    step("read")
    roster = read(source, today=today)
    with one_transaction(session, dry_run=dry_run):
        summary = apply(session, roster=roster, step=step)
    step("done")
    return summary


@contextmanager
def one_transaction(session: Session, *, dry_run: bool) -> Iterator[None]:
    """All of an import or nothing: rolled back on any error, and after a dry run."""
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    if dry_run:
        session.rollback()
    else:
        session.commit()


def chunks(items: list[K]) -> Iterator[list[K]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _by_external(session: Session, model: Any, columns: Iterable[str]) -> dict[str, Any]:
    fields = [getattr(model, "id"), *(getattr(model, c) for c in columns)]  # noqa: B009
    rows = session.execute(
        select(getattr(model, "external_id"), *fields).where(  # noqa: B009
            col(model.external_id).is_not(None)
        )
    )
    return {row[0]: row[1:] for row in rows}


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def apply(session: Session, *, roster: Roster, step: Progress) -> Summary:  # noqa: PLR0912, PLR0915
    summary = Summary(changes={e: Change() for e in ENTITIES})

    # Schools -------------------------------------------------------------------------
    step("schools")
    schools = _by_external(session, School, ["name", "unit_code", "guardian_relations"])
    new: list[dict[str, Any]] = [
        {
            "external_id": ext,
            "name": row.name,
            "unit_code": row.unit_code,
            "guardian_relations": DEFAULT_RELATIONS,
        }
        for ext, row in roster.schools.items()
        if ext not in schools
    ]
    changed: list[dict[str, Any]] = [
        {"id": schools[ext][0], "name": row.name, "unit_code": row.unit_code}
        for ext, row in roster.schools.items()
        if ext in schools and (schools[ext][1], schools[ext][2]) != (row.name, row.unit_code)
    ]
    _write(session, model=School, new=new, changed=changed, summary=summary, entity="schools")
    if new:
        schools = _by_external(session, School, ["name", "unit_code", "guardian_relations"])

    # Groups --------------------------------------------------------------------------
    step("groups")
    groups = _by_external(session, Group, ["name", "school_id", "school_year"])
    new, changed = ([], [])
    for ext, g in roster.groups.items():
        school = schools.get(g.school)
        if school is None:
            raise g.origin.error(f"its organisation {g.school} is not a known Skolenhet")
        values = {"name": g.name, "school_id": school[0], "school_year": g.school_year}
        if ext not in groups:
            new.append({"external_id": ext, **values})
        elif tuple(groups[ext][1:]) != (g.name, school[0], g.school_year):
            changed.append({"id": groups[ext][0], **values})
    _write(session, model=Group, new=new, changed=changed, summary=summary, entity="groups")
    if new:
        groups = _by_external(session, Group, ["name", "school_id", "school_year"])

    # Persons -------------------------------------------------------------------------
    step("persons")
    persons = _by_external(session, Person, ["given_name", "family_name", "security_marking"])
    newly_protected: set[int] = set()
    new, changed = ([], [])
    now = utcnow()
    for ext, pr in roster.persons.items():
        values = {
            "given_name": pr.given_name,
            "family_name": pr.family_name,
            "security_marking": pr.security_marking,
        }
        if ext not in persons:
            new.append(
                {
                    "external_id": ext,
                    "user_handle": secrets.token_bytes(32),
                    "created_at": now,
                    **values,
                }
            )
        elif tuple(persons[ext][1:]) != (pr.given_name, pr.family_name, pr.security_marking):
            changed.append({"id": persons[ext][0], **values})
            if pr.security_marking == PROTECTED and persons[ext][3] != PROTECTED:
                newly_protected.add(persons[ext][0])
    _write(session, model=Person, new=new, changed=changed, summary=summary, entity="persons")
    if new:
        persons = _by_external(session, Person, ["given_name", "family_name", "security_marking"])
    person_ext = {row[0]: ext for ext, row in persons.items()}
    group_ext = {row[0]: ext for ext, row in groups.items()}
    school_ext = {row[0]: ext for ext, row in schools.items()}

    def person_id(ext: str, origin: Any, what: str) -> int:
        row = persons.get(ext)
        if row is None:
            raise origin.error(f"{what} {ext} is not in persons.json nor in the database")
        return int(row[0])

    def group_id(ext: str, origin: Any) -> int:
        row = groups.get(ext)
        if row is None:
            raise origin.error(f"group {ext} is not in groups.json nor in the database")
        return int(row[0])

    in_roster = {int(groups[g][0]) for g in roster.groups}  # the groups this file speaks for

    # Memberships ---------------------------------------------------------------------
    step("memberships")
    if "groups" in roster.present:
        want = {
            (group_id(g, o), person_id(p, o, "member")): None
            for (g, p), o in roster.memberships.items()
        }
        _links(
            session,
            model=GroupPupil,
            key=("group_id", "pupil_id"),
            scope=in_roster,
            want=want,
            summary=summary,
            entity="memberships",
            names=(group_ext, person_ext),
        )

    # Guardianships -------------------------------------------------------------------
    step("guardianships")
    if "persons" in roster.present:
        _guardianships(
            session,
            roster=roster,
            persons=persons,
            schools=schools,
            newly_protected=newly_protected,
            summary=summary,
            person_ext=person_ext,
        )

    # Mentors, teachers, principals ---------------------------------------------------
    step("duties")
    if "duties" in roster.present:
        want = {
            (group_id(g, o), person_id(p, o, "mentor")): None
            for (g, p), o in roster.mentors.items()
        }
        _links(
            session,
            model=GroupMentor,
            key=("group_id", "mentor_id"),
            scope=in_roster,
            want=want,
            summary=summary,
            entity="mentors",
            names=(group_ext, person_ext),
        )
        principals: dict[tuple[int, int], Any] = {}
        for (s, p), o in roster.principals.items():
            school = schools.get(s)
            if school is None:
                raise o.error(f"its dutyAt {s} is not a known Skolenhet")
            principals[(int(school[0]), person_id(p, o, "person"))] = None
        _links(
            session,
            model=SchoolPrincipal,
            key=("school_id", "principal_id"),
            scope={int(schools[s][0]) for s in roster.schools},
            want=principals,
            summary=summary,
            entity="principals",
            names=(school_ext, person_ext),
        )
    if "teaching" in roster.present:
        teachers = {
            (group_id(g, o), person_id(p, o, "teacher")): ", ".join(sorted(subjects))[:100]
            for (g, p), (subjects, o) in roster.teachers.items()
        }
        _links(
            session,
            model=GroupTeacher,
            key=("group_id", "teacher_id"),
            scope=in_roster,
            want=teachers,
            summary=summary,
            entity="teachers",
            names=(group_ext, person_ext),
            value="subject",
        )
    return summary


def _write(
    session: Session,
    *,
    model: Any,
    new: list[dict[str, Any]],
    changed: list[dict[str, Any]],
    summary: Summary,
    entity: str,
) -> None:
    for chunk in chunks(new):
        session.execute(insert(model), chunk)
    for row in new:
        summary.note(entity, "created", row["external_id"])
    if changed:
        session.execute(update(model), changed)
    for row in changed:
        summary.note(entity, "updated", f"#{row['id']}")


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
    table = _table(model)
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


def _guardianships(  # noqa: PLR0912
    session: Session,
    *,
    roster: Roster,
    persons: dict[str, Any],
    schools: dict[str, Any],
    newly_protected: set[int],
    summary: Summary,
    person_ext: dict[int, str],
) -> None:
    table = _table(Guardianship)
    want: dict[tuple[int, int], str] = {}
    allowed: dict[int, set[str]] = {}
    protected: set[int] = set()
    for ext, pr in roster.persons.items():
        child = int(persons[ext][0])
        school = schools.get(pr.school) if pr.school else None
        allowed[child] = set((school[3] if school else DEFAULT_RELATIONS).split(","))
        if pr.security_marking == PROTECTED:
            protected.add(child)
    for (guardian, child_ext), (relation, origin) in roster.guardians.items():
        row = persons.get(guardian)
        if row is None:
            raise origin.error(f"responsible {guardian} is not in persons.json nor in the database")
        want[(int(row[0]), int(persons[child_ext][0]))] = relation
    have: dict[tuple[int, int], tuple[str, bool, bool]] = {}  # relation, access, decided
    children = sorted(allowed)
    c = table.c
    for chunk in chunks(children):
        query = select(c.guardian_id, c.pupil_id, c.relation, c.has_access, c.decided_at).where(
            c.pupil_id.in_(chunk)
        )
        for found in session.execute(query):
            values: Any = tuple(found)
            have[(values[0], values[1])] = (values[2], bool(values[3]), values[4] is not None)

    def ref(k: tuple[int, int]) -> str:
        return f"{person_ext.get(k[0], k[0])} of {person_ext.get(k[1], k[1])}"

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
    for made in created:
        summary.note("guardianships", "created", ref((made["guardian_id"], made["pupil_id"])))
    for changed in updated:
        summary.note("guardianships", "updated", ref((changed["_g"], changed["_p"])))
    for gk in sorted(ended):
        summary.note("guardianships", "ended", ref(gk))
