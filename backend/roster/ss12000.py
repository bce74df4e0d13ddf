"""SS 12000 v2 JSON, as much of it as IUP reads. Lenient on fields it does not know, strict
on the ones it needs. `civicNo`, addresses, e-mails and phone numbers have no field here,
so they are never even decoded.

The input is one file per entity, or a folder of them. A file's name says its entity:
`organisations.json`, `groups.json`, `persons.json`, `duties.json`, `activities.json`
(a paged export may add a suffix: `persons-2.json`, `persons_p3.json`). Each holds a list
page, `{"data": [...], "pageToken": ...}`."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Literal, TypeVar

import msgspec

from backend.roster.source import (
    GroupRow,
    Origin,
    PersonRow,
    Roster,
    RosterError,
    SchoolRow,
)

ENTITIES = ("organisations", "groups", "persons", "duties", "activities")
GROUP_TYPES = ("Klass", "Mentor", "Undervisning")  # others (Schema, Personalgrupp…) are skipped

Marking = Literal["Ingen", "Sekretessmarkering", "Skyddad folkbokföring"]
Relation = Literal["Vårdnadshavare", "Annan ansvarig", "God man", "Utsedd behörig"]


class Ref(msgspec.Struct):
    id: str


class Organisation(msgspec.Struct):
    id: str
    displayName: str
    organisationType: str
    schoolUnitCode: str | None = None


class Membership(msgspec.Struct):
    person: Ref
    startDate: date | None = None
    endDate: date | None = None


class Group(msgspec.Struct):
    id: str
    displayName: str
    groupType: str
    organisation: Ref
    groupMemberships: list[Membership] = []
    schoolYear: int | None = None
    schoolYears: list[int] = []


class Enrolment(msgspec.Struct):
    schoolUnit: Ref
    schoolYear: int | None = None
    startDate: date | None = None
    endDate: date | None = None


class Responsible(msgspec.Struct):
    person: Ref
    relationType: Relation


class Person(msgspec.Struct):
    id: str
    givenName: str
    familyName: str
    securityMarking: Marking = "Ingen"
    enrolments: list[Enrolment] = []
    responsibles: list[Responsible] = []


class AssignmentRole(msgspec.Struct):
    group: Ref
    assignmentRoleType: str
    startDate: date | None = None
    endDate: date | None = None


class Duty(msgspec.Struct):
    id: str
    person: Ref
    dutyAt: Ref
    dutyRole: str
    assignmentRole: list[AssignmentRole] = []


class Syllabus(msgspec.Struct):
    subjectName: str | None = None
    subjectCode: str | None = None


class ActivityTeacher(msgspec.Struct):
    duty: Ref
    startDate: date | None = None
    endDate: date | None = None


class Activity(msgspec.Struct):
    id: str
    groups: list[Ref]
    teachers: list[ActivityTeacher]
    displayName: str | None = None
    syllabus: Syllabus | None = None


class _Page(msgspec.Struct):
    data: list[msgspec.Raw]


class _Id(msgspec.Struct):
    id: object = None


T = TypeVar("T")


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


def _records(file: Path, kind: type[T]) -> list[tuple[Origin, T]]:
    try:
        page = msgspec.json.decode(file.read_bytes(), type=_Page)
    except OSError as error:
        raise RosterError(f"{file.name}: cannot read it ({error.strerror})") from error
    except msgspec.DecodeError as error:  # ValidationError is one
        raise RosterError(f"{file.name}: not an SS 12000 list page: {error}") from error
    decoder = msgspec.json.Decoder(kind)
    out: list[tuple[Origin, T]] = []
    for index, raw in enumerate(page.data):
        try:
            record = decoder.decode(raw)
        except msgspec.DecodeError as error:
            try:
                ref = msgspec.json.decode(raw, type=_Id).id
            except msgspec.DecodeError:
                ref = None
            origin = Origin(file.name, index, str(ref) if ref is not None else "?")
            raise origin.error(str(error).replace("$", "record", 1)) from error
        out.append((Origin(file.name, index, record.id), record))  # type: ignore[attr-defined]
    return out


def _current(start: date | None, end: date | None, today: date) -> bool:
    return (start is None or start <= today) and (end is None or today <= end)


def read(path: Path, *, today: date) -> Roster:  # noqa: PLR0912
    roster = Roster()
    found = files(path)
    for file in found.get("organisations", []):
        for origin, org in _records(file, Organisation):
            if org.organisationType == "Skolenhet":
                roster.schools[org.id] = SchoolRow(org.displayName, org.schoolUnitCode, origin)
        roster.present.add("schools")
    persons: dict[str, tuple[Origin, Person]] = {}
    for file in found.get("persons", []):
        for origin, person in _records(file, Person):
            persons[person.id] = (origin, person)
            enrolments = [
                e for e in person.enrolments if _current(e.startDate, e.endDate, today)
            ] or person.enrolments
            roster.persons[person.id] = PersonRow(
                given_name=person.givenName,
                family_name=person.familyName,
                security_marking=person.securityMarking,
                school=enrolments[0].schoolUnit.id if enrolments else None,
                school_year=enrolments[0].schoolYear if enrolments else None,
                origin=origin,
            )
            for responsible in person.responsibles:
                roster.guardians[(responsible.person.id, person.id)] = (
                    responsible.relationType,
                    origin,
                )
        roster.present.add("persons")
    for file in found.get("groups", []):
        for origin, group in _records(file, Group):
            if group.groupType not in GROUP_TYPES:
                roster.skipped_groups.add(group.id)
                continue
            members = [
                m.person.id
                for m in group.groupMemberships
                if _current(m.startDate, m.endDate, today)
            ]
            year = group.schoolYear if group.schoolYear is not None else None
            if year is None and group.schoolYears:
                year = group.schoolYears[0]
            if year is None:
                years = Counter(
                    p.school_year
                    for m in members
                    if (p := roster.persons.get(m)) is not None and p.school_year is not None
                )
                year = years.most_common(1)[0][0] if years else None
            roster.groups[group.id] = GroupRow(
                group.displayName, group.organisation.id, year, origin
            )
            for member in members:
                roster.memberships[(group.id, member)] = origin
        roster.present.add("groups")
    duties: dict[str, Duty] = {}
    for file in found.get("duties", []):
        for origin, duty in _records(file, Duty):
            duties[duty.id] = duty
            if duty.dutyRole == "Rektor":
                roster.principals[(duty.dutyAt.id, duty.person.id)] = origin
            for role in duty.assignmentRole:
                mentor = role.assignmentRoleType == "Mentor" and _current(
                    role.startDate, role.endDate, today
                )
                if mentor and role.group.id not in roster.skipped_groups:
                    roster.mentors[(role.group.id, duty.person.id)] = origin
        roster.present.add("duties")
    for file in found.get("activities", []):
        for origin, activity in _records(file, Activity):
            syllabus = activity.syllabus
            subject = (
                (syllabus.subjectName or syllabus.subjectCode if syllabus else None)
                or activity.displayName
                or ""
            )
            for teacher in activity.teachers:
                if not _current(teacher.startDate, teacher.endDate, today):
                    continue
                teaching = duties.get(teacher.duty.id)
                if teaching is None:
                    raise origin.error(f"teacher duty {teacher.duty.id} is not in duties.json")
                for ref in activity.groups:
                    if ref.id not in roster.skipped_groups:
                        roster.teach(ref.id, teaching.person.id, subject, origin)
        roster.present.add("teaching")
    return roster
