"""A roster as read from a source, before it meets the database: every row keyed by its
external id (SS 12000 id), every row with the place it came from for error messages."""

from __future__ import annotations

from dataclasses import dataclass, field

MARKINGS = ("Ingen", "Sekretessmarkering", "Skyddad folkbokföring")
RELATIONS = ("Vårdnadshavare", "Annan ansvarig", "God man", "Utsedd behörig")
PROTECTED = "Skyddad folkbokföring"


class RosterError(Exception):
    """Malformed input: the message names the file and the record."""


@dataclass(frozen=True)
class Origin:
    file: str
    index: int
    id: str
    what: str = "record"

    def __str__(self) -> str:
        return f"{self.file}: {self.what} {self.index} (id {self.id})"

    def error(self, reason: str) -> RosterError:
        return RosterError(f"{self}: {reason}")


@dataclass
class SchoolRow:
    name: str
    unit_code: str | None
    origin: Origin


@dataclass
class GroupRow:
    name: str
    school: str
    school_year: int | None
    origin: Origin


@dataclass
class PersonRow:
    given_name: str
    family_name: str
    security_marking: str
    school: str | None  # from the enrolment: whose guardian setting applies
    school_year: int | None
    origin: Origin


@dataclass
class Roster:
    """`present` names what the source holds (schools, groups, persons, duties, teaching):
    links of a kind the source does not hold are left as they are."""

    present: set[str] = field(default_factory=set)
    schools: dict[str, SchoolRow] = field(default_factory=dict)
    groups: dict[str, GroupRow] = field(default_factory=dict)
    persons: dict[str, PersonRow] = field(default_factory=dict)
    memberships: dict[tuple[str, str], Origin] = field(default_factory=dict)  # group, person
    guardians: dict[tuple[str, str], tuple[str, Origin]] = field(default_factory=dict)
    mentors: dict[tuple[str, str], Origin] = field(default_factory=dict)  # group, person
    teachers: dict[tuple[str, str], tuple[set[str], Origin]] = field(default_factory=dict)
    principals: dict[tuple[str, str], Origin] = field(default_factory=dict)  # school, person
    skipped_groups: set[str] = field(default_factory=set)  # other group types

    def teach(self, group: str, person: str, subject: str, origin: Origin) -> None:
        subjects, _ = self.teachers.setdefault((group, person), (set(), origin))
        if subject:
            subjects.add(subject)
