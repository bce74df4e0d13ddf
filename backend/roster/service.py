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
from typing import Any

from sqlalchemy import insert, select, update
from sqlmodel import Session, col

from backend.models import Group, Organisation, OrganisationSchool, Person, School, utcnow
from backend.roster import csvfile, links, ss12000
from backend.roster.source import (
    ENTITIES,
    PROTECTED,
    Change,
    Roster,
    RosterError,
    Summary,
    chunks,
)

__all__ = [
    "ENTITIES",
    "Change",
    "RosterError",
    "Summary",
    "apply",
    "chunks",
    "import_roster",
    "read",
]

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


def _by_external(session: Session, model: Any, columns: Iterable[str]) -> dict[str, Any]:
    """Rows by external id, named: external_id, id and `columns`."""
    fields = [getattr(model, "id"), *(getattr(model, c) for c in columns)]  # noqa: B009
    rows = session.execute(
        select(getattr(model, "external_id"), *fields).where(  # noqa: B009
            col(model.external_id).is_not(None)
        )
    )
    return {row.external_id: row for row in rows}


def apply(session: Session, *, roster: Roster, step: Progress) -> Summary:
    summary = Summary(changes={e: Change() for e in ENTITIES})
    step("schools")
    schools = _schools(session, roster=roster, summary=summary)
    step("organisations")
    organisations = _organisations(session, roster=roster, schools=schools, summary=summary)
    step("groups")
    groups = _groups(session, roster=roster, schools=schools, summary=summary)
    step("persons")
    persons, newly_protected = _persons(session, roster=roster, summary=summary)
    known = links.Known(schools=schools, groups=groups, persons=persons)
    step("memberships")
    if "groups" in roster.present:
        links.memberships(session, roster=roster, known=known, summary=summary)
    step("guardianships")
    if "persons" in roster.present:
        links.guardianships(
            session,
            roster=roster,
            known=known,
            newly_protected=newly_protected,
            summary=summary,
        )
    step("duties")
    if "duties" in roster.present:
        links.duties(session, roster=roster, known=known, summary=summary)
        links.organisers(
            session, roster=roster, known=known, organisations=organisations, summary=summary
        )
    if "teaching" in roster.present:
        links.teaching(session, roster=roster, known=known, summary=summary)
    return summary


def _schools(session: Session, *, roster: Roster, summary: Summary) -> dict[str, Any]:
    columns = ["name", "unit_code", "guardian_relations"]
    schools = _by_external(session, School, columns)
    new: list[dict[str, Any]] = [
        {
            "external_id": ext,
            "name": row.name,
            "unit_code": row.unit_code,
            "guardian_relations": links.DEFAULT_RELATIONS,
        }
        for ext, row in roster.schools.items()
        if ext not in schools
    ]
    changed: list[dict[str, Any]] = [
        {"id": schools[ext].id, "name": row.name, "unit_code": row.unit_code}
        for ext, row in roster.schools.items()
        if ext in schools
        and (schools[ext].name, schools[ext].unit_code) != (row.name, row.unit_code)
    ]
    _write(session, model=School, new=new, changed=changed, summary=summary, entity="schools")
    return _by_external(session, School, columns) if new else schools


def _organisations(
    session: Session, *, roster: Roster, schools: dict[str, Any], summary: Summary
) -> dict[str, Any]:
    """The source's Huvudman and Förvaltning organisations, and which of them each of its
    schools belongs to (the first up the school's parents)."""
    found = _by_external(session, Organisation, ["name"])
    new = [
        {"external_id": ext, "name": name}
        for ext, (name, _origin) in roster.organisations.items()
        if ext not in found
    ]
    changed = [
        {"id": found[ext].id, "name": name}
        for ext, (name, _origin) in roster.organisations.items()
        if ext in found and found[ext].name != name
    ]
    _write(
        session,
        model=Organisation,
        new=new,
        changed=changed,
        summary=summary,
        entity="organisations",
    )
    if new:
        found = _by_external(session, Organisation, ["name"])
    for school in roster.schools:
        owner = roster.owner(school)
        if owner is not None:
            session.merge(
                OrganisationSchool(organisation_id=found[owner].id, school_id=schools[school].id)
            )
    return found


def _groups(
    session: Session, *, roster: Roster, schools: dict[str, Any], summary: Summary
) -> dict[str, Any]:
    columns = ["name", "school_id", "school_year"]
    groups = _by_external(session, Group, columns)
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for ext, g in roster.groups.items():
        school = schools.get(g.school)
        if school is None:
            raise g.origin.error(f"its organisation {g.school} is not a known Skolenhet")
        values = {"name": g.name, "school_id": school.id, "school_year": g.school_year}
        if ext not in groups:
            new.append({"external_id": ext, **values})
        else:
            old = groups[ext]
            if (old.name, old.school_id, old.school_year) != (g.name, school.id, g.school_year):
                changed.append({"id": old.id, **values})
    _write(session, model=Group, new=new, changed=changed, summary=summary, entity="groups")
    return _by_external(session, Group, columns) if new else groups


def _persons(
    session: Session, *, roster: Roster, summary: Summary
) -> tuple[dict[str, Any], set[int]]:
    """The persons by external id, and those who have just got a protected identity."""
    columns = ["given_name", "family_name", "security_marking"]
    persons = _by_external(session, Person, columns)
    newly_protected: set[int] = set()
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
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
            continue
        old = persons[ext]
        if (old.given_name, old.family_name, old.security_marking) != tuple(values.values()):
            changed.append({"id": old.id, **values})
            if pr.security_marking == PROTECTED and old.security_marking != PROTECTED:
                newly_protected.add(old.id)
    _write(session, model=Person, new=new, changed=changed, summary=summary, entity="persons")
    return (_by_external(session, Person, columns) if new else persons), newly_protected


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
