"""A roster as read from a source, before it meets the database: every row keyed by its
external id (SS 12000 id), every row with the place it came from for error messages; and
the Summary of what applying it changed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import msgspec

MARKINGS = ("Ingen", "Sekretessmarkering", "Skyddad folkbokföring")
RELATIONS = ("Vårdnadshavare", "Annan ansvarig", "God man", "Utsedd behörig")
PROTECTED = "Skyddad folkbokföring"
ENTITIES = (
    "schools",
    "groups",
    "persons",
    "memberships",
    "guardianships",
    "mentors",
    "teachers",
    "principals",
    "organisations",
    "organisers",
)
CHUNK = 500
K = TypeVar("K")


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
    # A Huvudman or Förvaltning: its name; every organisation's parent (a school's owner is
    # the first of these up its chain); who has a duty at one (an organiser).
    organisations: dict[str, tuple[str, Origin]] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)
    organisers: dict[tuple[str, str], Origin] = field(default_factory=dict)  # org, person
    skipped_groups: set[str] = field(default_factory=set)  # other group types

    def owner(self, school: str) -> str | None:
        """The Huvudman or Förvaltning a school belongs to: up its parents, the first."""
        seen: set[str] = set()
        found: str | None = school
        while found is not None and found not in self.organisations and found not in seen:
            seen.add(found)
            found = self.parents.get(found)
        return found if found in self.organisations else None

    def teach(self, group: str, person: str, subject: str, origin: Origin) -> None:
        subjects, _ = self.teachers.setdefault((group, person), (set(), origin))
        if subject:
            subjects.add(subject)


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


def chunks(items: list[K]) -> Iterator[list[K]]:
    """`items` in parts of CHUNK: for `IN` lists and inserts of many rows."""
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
