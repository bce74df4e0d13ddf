"""SS 12000 v2 JSON (SIS TK 450, the OpenAPI document `openapi_ss12000_version2_1_0.yaml`),
as much of it as IUP reads: each Struct below is the standard's schema of the same name, with
the standard's field names and, of the fields IUP uses, the ones the standard requires
required. Fields IUP does not use are not decoded at all (msgspec ignores unknown fields),
so an enumeration IUP does not need never refuses a record, and `civicNo`, addresses,
e-mails and phone numbers are never even read. The expanded forms (`_embedded`) are
accepted; of them only an activity's `_embedded.syllabus` and a duty's
`_embedded.person` are read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

ENTITIES = ("organisations", "groups", "persons", "duties", "activities")

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
    parentOrganisation: Ref | None = None  # a Skolenhet's Skola, a Skola's Huvudman, …


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
