"""SS 12000 v2 records (the Structs: ss12000_schema.py) into a Roster.

The input is one file per entity, or a folder of them. A file's name says its entity:
`organisations.json`, `groups.json`, `persons.json`, `duties.json`, `activities.json`
(a paged export may add a suffix: `persons-2.json`, `persons_p3.json`). Each holds a list
page, `{"data": [...], "pageToken": ...}`. `backend/roster/sync.py` feeds pages fetched from
an SS 12000 API into the same `build`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import msgspec

from backend.roster.source import (
    GroupRow,
    Origin,
    PersonRow,
    Roster,
    RosterError,
    SchoolRow,
)
from backend.roster.ss12000_schema import ENTITIES, KINDS, Duty, Enrolment, Group, Person

__all__ = ["ENTITIES", "KINDS", "Records", "build", "decode_page", "read"]

GROUP_TYPES = ("Klass", "Mentor", "Undervisning")  # others (Schema, Personalgrupp…) are skipped


class _Page(msgspec.Struct):
    data: list[msgspec.Raw]
    pageToken: str | None = None


class _Id(msgspec.Struct):
    id: object = None


# entity → id → (where it came from, the record); a later page's record replaces an earlier
Records = dict[str, dict[str, tuple[Origin, Any]]]


def files(path: Path) -> dict[str, list[Path]]:
    """Each entity's files, from one file or a folder."""
    candidates = sorted(path.glob("*.json")) if path.is_dir() else [path]
    found: dict[str, list[Path]] = {}
    for file in candidates:
        match = re.fullmatch(r"([a-z]+)(?:[-_.].*)?", file.stem.lower())
        if match and match.group(1) in ENTITIES:
            found.setdefault(match.group(1), []).append(file)
        elif not path.is_dir():
            raise RosterError(
                f"{file.name}: the file name does not say its entity (one of "
                + ", ".join(f"{e}.json" for e in ENTITIES)
                + ")"
            )
    if not found:
        raise RosterError(f"{path}: no SS 12000 files ({', '.join(ENTITIES)}.json)")
    return found


def decode_page(name: str, body: bytes, entity: str) -> tuple[list[tuple[Origin, Any]], str | None]:
    """One list page of `entity` → its records, each with its origin, and the page's
    `pageToken`. `name` (a file name, or the request) names the page in errors."""
    try:
        page = msgspec.json.decode(body, type=_Page)
    except msgspec.DecodeError as error:  # ValidationError is one
        raise RosterError(f"{name}: not an SS 12000 list page: {error}") from error
    return decode_records(name, page.data, entity), page.pageToken


def decode_records(name: str, raws: Iterable[bytes], entity: str) -> list[tuple[Origin, Any]]:
    decoder = msgspec.json.Decoder(KINDS[entity])
    out: list[tuple[Origin, Any]] = []
    for index, raw in enumerate(raws):
        try:
            record = decoder.decode(raw)
        except msgspec.DecodeError as error:
            try:
                ref = msgspec.json.decode(raw, type=_Id).id
            except msgspec.DecodeError:
                ref = None
            origin = Origin(name, index, str(ref) if ref is not None else "?")
            raise origin.error(str(error).replace("$", "record", 1)) from error
        out.append((Origin(name, index, record.id), record))
    return out


def read_files(path: Path) -> Records:
    records: Records = {}
    for entity, paths in files(path).items():
        held = records.setdefault(entity, {})
        for file in paths:
            try:
                body = file.read_bytes()
            except OSError as error:
                raise RosterError(f"{file.name}: cannot read it ({error.strerror})") from error
            for origin, record in decode_page(file.name, body, entity)[0]:
                held[record.id] = (origin, record)
    return records


def read(path: Path, *, today: date) -> Roster:
    return build(read_files(path), today=today)


def _current(start: date | None, end: date | None, today: date) -> bool:
    return (start is None or start <= today) and (end is None or today <= end)


def _enrolment(person: Person, school: str | None, on: date) -> Enrolment | None:
    """The person's enrolment on a day (at `school`, if given); else her latest one."""
    held = [
        e
        for e in person.enrolments
        if not e.cancelled and (school is None or e.enroledAt.id == school)
    ]
    for e in held:
        if _current(e.startDate, e.endDate, on):
            return e
    return max(held, key=lambda e: e.startDate) if held else None


@dataclass
class _Source:
    """The records a roster is built from, and how a reference to a missing one is taken."""

    records: Records
    ended: Records
    today: date
    dangling: Literal["error", "drop"]

    def both(self, entity: str) -> tuple[tuple[bool, dict[str, tuple[Origin, Any]]], ...]:
        """The held records, then the ended ones (flagged gone)."""
        return ((False, self.records.get(entity, {})), (True, self.ended.get(entity, {})))

    def known_person(self, ref: str | None) -> bool:
        return ref is not None and (self.dangling == "error" or ref in self.records["persons"])

    def known_group(self, ref: str) -> bool:
        return self.dangling == "error" or ref in self.records["groups"]


def build(
    records: Records,
    *,
    today: date,
    ended: Records | None = None,
    dangling: Literal["error", "drop"] = "error",
) -> Roster:
    """The roster the records say. `ended` holds records the source deleted (an API's
    /deletedEntities): their schools, groups and persons stay in the roster with no links,
    so that the links they had are ended. With `dangling="drop"` (an API, whose lists are
    the whole source) a reference to a person, group or duty the records do not hold is
    left out instead of looked for in the database."""
    roster = Roster()
    source = _Source({"persons": {}, "groups": {}, **records}, ended or {}, today, dangling)
    for entity, present in (
        ("organisations", "schools"),
        ("persons", "persons"),
        ("groups", "groups"),
        ("duties", "duties"),
        ("activities", "teaching"),
    ):
        if entity in records:
            roster.present.add(present)
    _schools(roster, source)
    _persons(roster, source)
    _groups(roster, source)
    _duties(roster, source)
    _teaching(roster, source)
    return roster


# The organisations whose staff read figures across their schools (DESIGN: organiser).
ORGANISERS = frozenset({"Huvudman", "Förvaltning"})


def _schools(roster: Roster, source: _Source) -> None:
    for gone, held in source.both("organisations"):
        for origin, org in held.values():
            if org.parentOrganisation is not None and (gone or org.id not in roster.parents):
                roster.parents[org.id] = org.parentOrganisation.id
            kind = org.organisationType
            if kind == "Skolenhet" and (gone or org.id not in roster.schools):
                roster.schools[org.id] = SchoolRow(org.displayName, org.schoolUnitCode, origin)
            elif kind in ORGANISERS and (gone or org.id not in roster.organisations):
                roster.organisations[org.id] = (org.displayName, origin)


def _persons(roster: Roster, source: _Source) -> None:
    for gone, held in source.both("persons"):
        for origin, person in held.values():
            if not gone and person.id in roster.persons:
                continue
            enrolment = _enrolment(person, None, source.today)
            roster.persons[person.id] = PersonRow(
                given_name=person.givenName,
                family_name=person.familyName,
                security_marking=person.securityMarking,
                school=enrolment.enroledAt.id if enrolment else None,
                school_year=enrolment.schoolYear if enrolment else None,
                origin=origin,
            )
            if gone:
                continue
            for responsible in person.responsibles:
                guardian = responsible.person.id if responsible.person else None
                if responsible.relationType is None or not source.known_person(guardian):
                    continue
                assert guardian is not None
                roster.guardians[(guardian, person.id)] = (responsible.relationType, origin)


def _groups(roster: Roster, source: _Source) -> None:
    today = source.today
    for gone, held in source.both("groups"):
        for origin, group in held.values():
            if group.groupType not in GROUP_TYPES:
                roster.skipped_groups.add(group.id)
                continue
            running = not gone and _current(group.startDate, group.endDate, today)
            members = [
                m
                for m in group.groupMemberships
                if running
                and _current(m.startDate, m.endDate, today)
                and source.known_person(m.person.id)
            ]
            year = _school_year(group, members, source)
            roster.groups[group.id] = GroupRow(
                group.displayName, group.organisation.id, year, origin
            )
            for m in members:
                roster.memberships[(group.id, m.person.id)] = origin


def _school_year(group: Group, members: list[Any], source: _Source) -> int | None:
    """The standard's Group has no school year: the year its members were enrolled in at
    the group's school while members (today, or when an ended membership ended)."""
    years: Counter[int] = Counter()
    for m in members or group.groupMemberships:
        member = source.records["persons"].get(m.person.id)
        on = source.today if m in members else (m.endDate or m.startDate or group.startDate)
        enrolment = _enrolment(member[1], group.organisation.id, on) if member else None
        if enrolment is not None and enrolment.schoolYear is not None:
            years[enrolment.schoolYear] += 1
    return years.most_common(1)[0][0] if years else None


def _duties(roster: Roster, source: _Source) -> None:
    today = source.today
    duties: dict[str, tuple[Origin, Duty]] = source.records.get("duties", {})
    for origin, duty in duties.values():
        if not _current(duty.startDate, duty.endDate, today):
            continue
        person = duty.person_id
        if person is None:
            if duty.dutyRole == "Rektor" or duty.assignmentRole:
                raise origin.error("the duty names no person (person, or _embedded.person)")
            continue
        if not source.known_person(person):
            continue
        if duty.dutyRole == "Rektor":
            roster.principals[(duty.dutyAt.id, person)] = origin
        elif duty.dutyAt.id in roster.organisations:  # a duty at the organiser's office
            roster.organisers[(duty.dutyAt.id, person)] = origin
        for role in duty.assignmentRole:
            mentor = role.assignmentRoleType == "Mentor" and _current(
                role.startDate, role.endDate, today
            )
            group = role.group.id
            if mentor and group not in roster.skipped_groups and source.known_group(group):
                roster.mentors[(group, person)] = origin


def _teaching(roster: Roster, source: _Source) -> None:
    today = source.today
    duties: dict[str, tuple[Origin, Duty]] = source.records.get("duties", {})
    for origin, activity in source.records.get("activities", {}).values():
        if not _current(activity.startDate, activity.endDate, today):
            continue
        for teacher in activity.teachers:
            if not _current(teacher.startDate, teacher.endDate, today):
                continue
            found = duties.get(teacher.duty.id)
            if found is None:
                if source.dangling == "drop":
                    continue
                raise origin.error(f"teacher duty {teacher.duty.id} is not in duties.json")
            duty = found[1]
            person = duty.person_id
            if person is None:
                raise found[0].error("the duty names no person (person, or _embedded.person)")
            if not _current(duty.startDate, duty.endDate, today) or not source.known_person(person):
                continue
            for ref in activity.groups:
                if ref.id not in roster.skipped_groups and source.known_group(ref.id):
                    roster.teach(ref.id, person, activity.subject, origin)
