"""The CSV roster, for schools without SS 12000 (docs/roster.md has the columns).

One UTF-8 file (a byte order mark is fine), comma- or semicolon-separated (Swedish Excel
writes semicolons), with a header row naming at least the columns in `COLUMNS`. Other
columns (a personnummer, e-mail, phone or address column an export brings along) are never
read: only the documented columns' values are taken from each row. Each row is one `kind`:

- `school`: `id`, `school` (its name), `school_unit_code`.
- `group`: `id`, `group` (its name), `school` (a school row's id), `school_year`.
- `pupil`: `id`, `given_name`, `family_name`, `security_marking`, `group` (a group row's id;
  one row per group, or none), `school` (her school's id; her first group's school if
  empty), `school_year`.
- `guardian`: `id`, `given_name`, `family_name`, `security_marking`, `child` (a pupil row's
  id), `relation` (Vårdnadshavare if empty). One row per child.
- `staff`: `id`, `given_name`, `family_name`, `security_marking`, `role` (mentor, teacher
  or principal; empty: the person only), `group` (mentor, teacher), `school` (principal),
  `subject` (teacher). One row per group and role.

The file is the whole roster of its schools: every reference is to a row in the same file,
and what the file does not hold for its schools and groups is ended, as with SS 12000."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from backend.roster.source import (
    MARKINGS,
    RELATIONS,
    GroupRow,
    Origin,
    PersonRow,
    Roster,
    RosterError,
    SchoolRow,
)
from backend.web import form_int

COLUMNS = (
    "kind",
    "id",
    "school_unit_code",
    "school",
    "given_name",
    "family_name",
    "security_marking",
    "group",
    "school_year",
    "role",
    "subject",
    "child",
    "relation",
)
KINDS = ("school", "group", "pupil", "guardian", "staff")
ROLES = ("mentor", "teacher", "principal")
PERSON_KINDS = ("pupil", "guardian", "staff")
LIMITS = {
    "id": 64,
    "school_unit_code": 20,
    "given_name": 100,
    "family_name": 100,
    "subject": 100,
}
NAME_LIMIT = {"school": 200, "group": 100}
MAX_YEAR = 12


@dataclass
class Row:
    kind: str
    values: dict[str, str]
    origin: Origin

    def __getitem__(self, column: str) -> str:
        return self.values[column]

    def need(self, *columns: str) -> None:
        for column in columns:
            if not self.values[column]:
                raise self.origin.error(f"a {self.kind} row needs a value in {column}")


def _text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise RosterError(f"{path.name}: cannot read it ({error.strerror})") from error
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise RosterError(
            f"{path.name}: line {line}: not UTF-8 (save the file as CSV UTF-8)"
        ) from error


def _rows(path: Path) -> list[Row]:
    text = _text(path)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise RosterError(f"{path.name}: the file is empty") from None
    except csv.Error as error:
        raise RosterError(f"{path.name}: line 1: {error}") from error
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise RosterError(
            f"{path.name}: line 1: the header lacks the column(s) {', '.join(missing)}"
            " (docs/roster.md has the columns)"
        )
    where = {c: header.index(c) for c in COLUMNS}  # only these columns are ever read
    rows: list[Row] = []
    line = reader.line_num
    while True:
        start = line + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise RosterError(f"{path.name}: line {start}: {error}") from error
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        ref = fields[where["id"]].strip() if len(fields) > where["id"] else ""
        origin = Origin(path.name, start, ref or "?", "line")
        if len(fields) != len(header):
            raise origin.error(f"{len(fields)} fields, the header has {len(header)}")
        values = {c: fields[i].strip() for c, i in where.items()}
        kind = values["kind"].lower()
        if kind not in KINDS:
            raise origin.error(f"kind {values['kind']!r} is not one of {', '.join(KINDS)}")
        row = Row(kind, values, origin)
        row.need("id")
        for column, limit in LIMITS.items():
            if len(values[column]) > limit:
                raise origin.error(f"{column} is longer than {limit} characters")
        rows.append(row)
    return rows


def _year(row: Row) -> int | None:
    value = row["school_year"]
    if not value:
        return None
    year = form_int(value, default=-1)
    if not 0 <= year <= MAX_YEAR:
        raise row.origin.error(f"school_year {value!r} is not a school year (0-{MAX_YEAR})")
    return year


def read(path: Path) -> Roster:
    rows = _rows(path)
    roster = Roster(present={"schools", "groups", "persons", "duties", "teaching"})
    _places(rows, roster)  # first: the other rows refer to them, wherever they stand
    pupils = _persons(rows, roster)
    _links(rows, roster, pupils)
    return roster


def _group_of(row: Row, roster: Roster) -> str:
    row.need("group")
    if row["group"] not in roster.groups:
        raise row.origin.error(f"group {row['group']} is not a group row's id")
    return row["group"]


def _school_of(row: Row, roster: Roster) -> str:
    if row["school"] not in roster.schools:
        raise row.origin.error(f"school {row['school']} is not a school row's id")
    return row["school"]


def _places(rows: list[Row], roster: Roster) -> None:
    """Schools and groups."""
    for row in rows:
        if row.kind not in ("school", "group"):
            continue
        ident = row["id"]
        name = row[row.kind]
        row.need(row.kind)
        if len(name) > NAME_LIMIT[row.kind]:
            raise row.origin.error(f"{row.kind} is longer than {NAME_LIMIT[row.kind]} characters")
        if ident in (roster.schools if row.kind == "school" else roster.groups):
            raise row.origin.error(f"a second {row.kind} row with id {ident}")
        if row.kind == "school":
            roster.schools[ident] = SchoolRow(name, row["school_unit_code"] or None, row.origin)
        else:
            row.need("school")
            roster.groups[ident] = GroupRow(name, row["school"], _year(row), row.origin)
    for group in roster.groups.values():
        if group.school not in roster.schools:
            raise group.origin.error(f"school {group.school} is not a school row's id")


def _persons(rows: list[Row], roster: Roster) -> set[str]:
    """One person per id, whichever rows name her; pupils' memberships. Returns the pupils."""
    pupils: set[str] = set()
    for row in rows:
        if row.kind not in PERSON_KINDS:
            continue
        ident = row["id"]
        row.need("given_name", "family_name")
        marking = row["security_marking"] or "Ingen"
        if marking not in MARKINGS:
            raise row.origin.error(
                f"security_marking {marking!r} is not one of {', '.join(MARKINGS)}"
            )
        school = _school_of(row, roster) if row["school"] else None
        person = roster.persons.get(ident)
        if person is None:
            person = roster.persons[ident] = PersonRow(
                row["given_name"], row["family_name"], marking, None, None, row.origin
            )
        elif (person.given_name, person.family_name, person.security_marking) != (
            row["given_name"],
            row["family_name"],
            marking,
        ):
            raise row.origin.error(
                f"the name or security_marking differs from {person.origin.what} "
                f"{person.origin.index}, the same person"
            )
        if row.kind != "pupil":
            continue
        if ident in pupils and school and person.school not in (None, school):
            raise row.origin.error(f"a second school for pupil {ident}")
        year = _year(row)
        person.school_year = person.school_year if year is None else year
        if row["group"]:
            group = _group_of(row, roster)
            roster.memberships[(group, ident)] = row.origin
            school = school or roster.groups[group].school
        person.school = person.school or school
        pupils.add(ident)
    return pupils


def _links(rows: list[Row], roster: Roster, pupils: set[str]) -> None:
    """Guardians and staff duties."""
    for row in rows:
        ident = row["id"]
        if row.kind == "guardian":
            row.need("child")
            if row["child"] not in pupils:
                raise row.origin.error(f"child {row['child']} is not a pupil row's id")
            relation = row["relation"] or "Vårdnadshavare"
            if relation not in RELATIONS:
                raise row.origin.error(
                    f"relation {relation!r} is not one of {', '.join(RELATIONS)}"
                )
            roster.guardians[(ident, row["child"])] = (relation, row.origin)
        elif row.kind == "staff" and row["role"]:
            role = row["role"].lower()
            if role == "mentor":
                roster.mentors[(_group_of(row, roster), ident)] = row.origin
            elif role == "teacher":
                roster.teach(_group_of(row, roster), ident, row["subject"], row.origin)
            elif role == "principal":
                row.need("school")
                roster.principals[(_school_of(row, roster), ident)] = row.origin
            else:
                raise row.origin.error(f"role {row['role']!r} is not one of {', '.join(ROLES)}")
