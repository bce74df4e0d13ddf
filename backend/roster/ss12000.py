"""SS 12000 v2 JSON (SIS TK 450, the OpenAPI document `openapi_ss12000_version2_1_0.yaml`),
as much of it as IUP reads: each Struct below is the standard's schema of the same name, with
the standard's field names and, of the fields IUP uses, the ones the standard requires
required. Fields IUP does not use are not decoded at all (msgspec ignores unknown fields),
so an enumeration IUP does not need never refuses a record, and `civicNo`, addresses,
e-mails and phone numbers are never even read. The expanded forms (`_embedded`) are
accepted; of them only an activity's `_embedded.syllabus` and a duty's
`_embedded.person` are read.

The input is one file per entity, or a folder of them. A file's name says its entity:
`organisations.json`, `groups.json`, `persons.json`, `duties.json`, `activities.json`
(a paged export may add a suffix: `persons-2.json`, `persons_p3.json`). Each holds a list
page, `{"data": [...], "pageToken": ...}`. `backend/roster/sync.py` feeds pages fetched from
an SS 12000 API into the same `build`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

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

# The standard's enumerations, for the fields IUP decides on.
Marking = Literal["Ingen", "Sekretessmarkering", "Skyddad folkbokföring"]
Relation = Literal["Vårdnadshavare", "Annan ansvarig", "God man", "Utsedd behörig"]
OrganisationType = Literal[
    "Huvudman",
    "Verksamhetsområde",
    "Förvaltning",
    "Rektorsområde",
    "Skola",
    "Skolenhet",
    "Varumärke",
    "Bolag",
    "Övrigt",
]
GroupType = Literal[
    "Undervisning", "Klass", "Mentor", "Provgrupp", "Schema", "Avdelning", "Personalgrupp", "Övrigt"
]
DutyRole = Literal[
    "Rektor",
    "Lärare",
    "Förskollärare",
    "Barnskötare",
    "Bibliotekarie",
    "Lärarassistent",
    "Fritidspedagog",
    "Annan personal",
    "Studie- och yrkesvägledare",
    "Förstelärare",
    "Kurator",
    "Skolsköterska",
    "Skolläkare",
    "Skolpsykolog",
    "Speciallärare/specialpedagog",
    "Skoladministratör",
    "Övrig arbetsledning",
    "Övrig pedagogisk personal",
    "Förskolechef",
]
AssignmentRoleType = Literal[
    "Mentor",
    "Förskollärare",
    "Barnskötare",
    "Fritidspedagog",
    "Specialpedagog",
    "Elevhälsopersonal",
    "Pedagogisk ledare",
    "Schemaläggare",
    "Lärarassistent",
    "Administrativ personal",
]
SchoolYear = Annotated[int, msgspec.Meta(ge=0)]


class Meta(msgspec.Struct):
    """Meta: both required on every entity."""

    created: datetime
    modified: datetime


class Ref(msgspec.Struct):
    """ObjectReference, SchoolUnitReference, OrganisationReference, PersonReference,
    GroupReference, DutyReference: `id` required (`displayName` and a person reference's
    `securityMarking` are not read)."""

    id: str


class Organisation(msgspec.Struct):
    id: str
    meta: Meta
    displayName: str
    organisationType: OrganisationType
    schoolUnitCode: str | None = None


class Enrolment(msgspec.Struct):
    enroledAt: Ref
    startDate: date
    endDate: date | None = None
    schoolYear: SchoolYear | None = None
    cancelled: bool = False


class Responsible(msgspec.Struct):
    """Person.responsibles[]: the standard requires neither field; an entry without both is
    no guardian link."""

    person: Ref | None = None
    relationType: Relation | None = None


class Person(msgspec.Struct):
    id: str
    meta: Meta
    givenName: str
    familyName: str
    securityMarking: Marking = "Ingen"
    enrolments: list[Enrolment] = []
    responsibles: list[Responsible] = []


class GroupMembership(msgspec.Struct):
    person: Ref
    startDate: date | None = None
    endDate: date | None = None


class Group(msgspec.Struct):
    id: str
    meta: Meta
    displayName: str
    groupType: GroupType
    organisation: Ref
    startDate: date
    endDate: date | None = None
    groupMemberships: list[GroupMembership] = []


class AssignmentRole(msgspec.Struct):
    """Duty.assignmentRole[]."""

    group: Ref
    assignmentRoleType: AssignmentRoleType
    startDate: date | None = None
    endDate: date | None = None


class DutyEmbedded(msgspec.Struct):
    """DutyExpanded._embedded (expand=person): the duty's Person; only its id is read."""

    person: Ref | None = None


class Duty(msgspec.Struct, rename={"embedded": "_embedded"}):
    id: str
    meta: Meta
    dutyAt: Ref
    dutyRole: DutyRole
    startDate: date
    endDate: date | None = None
    person: Ref | None = None  # not required by the standard; else `_embedded.person`
    assignmentRole: list[AssignmentRole] = []
    embedded: DutyEmbedded | None = None

    @property
    def person_id(self) -> str | None:
        if self.person is not None:
            return self.person.id
        return self.embedded.person.id if self.embedded and self.embedded.person else None


class DutyAssignment(msgspec.Struct):
    """Activity.teachers[]."""

    duty: Ref
    startDate: date | None = None
    endDate: date | None = None


class SyllabusRef(msgspec.Struct):
    """Activity.syllabus: a reference; its `displayName` (expandReferenceNames) names it."""

    id: str
    displayName: str | None = None


class Syllabus(msgspec.Struct):
    """ActivityExpanded._embedded.syllabus (expand=syllabus)."""

    subjectName: str
    subjectCode: str | None = None


class ActivityEmbedded(msgspec.Struct):
    syllabus: Syllabus | None = None


class Activity(msgspec.Struct, rename={"embedded": "_embedded"}):
    id: str
    meta: Meta
    displayName: str
    groups: Annotated[list[Ref], msgspec.Meta(min_length=1)]
    startDate: date
    endDate: date | None = None
    teachers: list[DutyAssignment] = []
    syllabus: SyllabusRef | None = None
    embedded: ActivityEmbedded | None = None

    @property
    def subject(self) -> str:
        if self.embedded and self.embedded.syllabus:
            return self.embedded.syllabus.subjectName
        if self.syllabus and self.syllabus.displayName:
            return self.syllabus.displayName
        return self.displayName


KINDS: dict[str, type[Any]] = {
    "organisations": Organisation,
    "groups": Group,
    "persons": Person,
    "duties": Duty,
    "activities": Activity,
}


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


def build(  # noqa: PLR0912, PLR0915
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
    ended = ended or {}
    held_persons = records.get("persons", {})
    held_groups = records.get("groups", {})

    def known_person(ref: str | None) -> bool:
        return ref is not None and (dangling == "error" or ref in held_persons)

    def known_group(ref: str) -> bool:
        return dangling == "error" or ref in held_groups

    if "organisations" in records:
        roster.present.add("schools")
    for entity in ("organisations",):
        for gone, source in ((False, records.get(entity, {})), (True, ended.get(entity, {}))):
            for origin, org in source.values():
                if org.organisationType == "Skolenhet" and (gone or org.id not in roster.schools):
                    roster.schools[org.id] = SchoolRow(org.displayName, org.schoolUnitCode, origin)

    if "persons" in records:
        roster.present.add("persons")
    for gone, source in ((False, held_persons), (True, ended.get("persons", {}))):
        for origin, person in source.values():
            if not gone and person.id in roster.persons:
                continue
            enrolment = _enrolment(person, None, today)
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
                if responsible.relationType is None or not known_person(guardian):
                    continue
                assert guardian is not None
                roster.guardians[(guardian, person.id)] = (responsible.relationType, origin)

    if "groups" in records:
        roster.present.add("groups")
    for gone, source in ((False, held_groups), (True, ended.get("groups", {}))):
        for origin, group in source.values():
            if group.groupType not in GROUP_TYPES:
                roster.skipped_groups.add(group.id)
                continue
            running = not gone and _current(group.startDate, group.endDate, today)
            members = [
                m
                for m in group.groupMemberships
                if running and _current(m.startDate, m.endDate, today) and known_person(m.person.id)
            ]
            # The standard's Group has no school year: the year its members were enrolled in
            # at the group's school while members (today, or when an ended membership ended).
            years: Counter[int] = Counter()
            for m in members or group.groupMemberships:
                member = held_persons.get(m.person.id)
                on = today if m in members else (m.endDate or m.startDate or group.startDate)
                enrolment = _enrolment(member[1], group.organisation.id, on) if member else None
                if enrolment is not None and enrolment.schoolYear is not None:
                    years[enrolment.schoolYear] += 1
            year = years.most_common(1)[0][0] if years else None
            roster.groups[group.id] = GroupRow(
                group.displayName, group.organisation.id, year, origin
            )
            for m in members:
                roster.memberships[(group.id, m.person.id)] = origin

    duties: dict[str, tuple[Origin, Duty]] = records.get("duties", {})
    if "duties" in records:
        roster.present.add("duties")
    for origin, duty in duties.values():
        if not _current(duty.startDate, duty.endDate, today):
            continue
        person = duty.person_id
        if person is None:
            if duty.dutyRole == "Rektor" or duty.assignmentRole:
                raise origin.error("the duty names no person (person, or _embedded.person)")
            continue
        if not known_person(person):
            continue
        if duty.dutyRole == "Rektor":
            roster.principals[(duty.dutyAt.id, person)] = origin
        for role in duty.assignmentRole:
            mentor = role.assignmentRoleType == "Mentor" and _current(
                role.startDate, role.endDate, today
            )
            group = role.group.id
            if mentor and group not in roster.skipped_groups and known_group(group):
                roster.mentors[(group, person)] = origin

    if "activities" in records:
        roster.present.add("teaching")
    for origin, activity in records.get("activities", {}).values():
        if not _current(activity.startDate, activity.endDate, today):
            continue
        for teacher in activity.teachers:
            if not _current(teacher.startDate, teacher.endDate, today):
                continue
            found = duties.get(teacher.duty.id)
            if found is None:
                if dangling == "drop":
                    continue
                raise origin.error(f"teacher duty {teacher.duty.id} is not in duties.json")
            duty = found[1]
            person = duty.person_id
            if person is None:
                raise found[0].error("the duty names no person (person, or _embedded.person)")
            if not _current(duty.startDate, duty.endDate, today) or not known_person(person):
                continue
            for ref in activity.groups:
                if ref.id not in roster.skipped_groups and known_group(ref.id):
                    roster.teach(ref.id, person, activity.subject, origin)
    return roster
