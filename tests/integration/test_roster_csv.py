"""`iup roster import FILE.csv`: the documented columns (docs/roster.md) under the same rules
as SS 12000: idempotent, a dry run and malformed input change nothing, guardians' access by
relation type and protected identity, and no personnummer, e-mail or phone is stored."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from backend.roster import csvfile
from backend.roster.source import RosterError
from backend.settings import Settings
from tests.integration.test_cli import iup
from tests.integration.test_roster import dump, imported, query, stored_anywhere

DATA = Path(__file__).resolve().parents[1] / "data" / "roster.csv"


def guardians(settings: Settings) -> dict[tuple[str, str], tuple[str, bool]]:
    rows = query(
        settings,
        "SELECT g.external_id, p.external_id, relation, has_access FROM guardianship "
        "JOIN person g ON g.id = guardian_id JOIN person p ON p.id = pupil_id "
        "WHERE p.external_id LIKE 'csv-%'",
    )
    return {(g, p): (r, bool(a)) for g, p, r, a in rows}


def links(settings: Settings, table: str, person: str) -> list[tuple[str, ...]]:
    extra = ", subject" if table == "groupteacher" else ""
    return sorted(
        query(
            settings,
            f"SELECT g.external_id, p.external_id{extra} FROM {table} "
            f"JOIN pupil_group g ON g.id = group_id JOIN person p ON p.id = {person} "
            "WHERE g.external_id LIKE 'csv-%'",
        )
    )


def test_the_csv_imports_as_documented(settings: Settings) -> None:
    imported(settings, DATA)
    assert query(settings, "SELECT name, unit_code FROM school WHERE external_id = 'csv-s1'") == [
        ("Ekskolan", "12398765")
    ]
    assert sorted(
        query(
            settings,
            "SELECT external_id, name, school_year FROM pupil_group WHERE external_id LIKE 'csv-%'",
        )
    ) == [("csv-g1", "6B", 6), ("csv-g2", "6B Engelska", 6)]
    persons = query(
        settings,
        "SELECT external_id, given_name, family_name, security_marking FROM person "
        "WHERE external_id LIKE 'csv-%'",
    )
    assert len(persons) == 10
    assert ("csv-p1", "Sara", "Ek", "Skyddad folkbokföring") in persons
    assert ("csv-p2", "Omar", "Lind", "Ingen") in persons
    assert links(settings, "grouppupil", "pupil_id") == [
        ("csv-g1", "csv-p1"),
        ("csv-g1", "csv-p2"),
        ("csv-g1", "csv-p3"),
        ("csv-g2", "csv-p1"),
        ("csv-g2", "csv-p2"),
    ]
    assert guardians(settings) == {
        ("csv-v1", "csv-p1"): ("Vårdnadshavare", False),  # protected identity: restricted
        ("csv-v2", "csv-p2"): ("Vårdnadshavare", True),  # two guardians
        ("csv-v3", "csv-p2"): ("Vårdnadshavare", True),  # empty relation: Vårdnadshavare
        ("csv-v4", "csv-p3"): ("God man", False),  # not in the school's setting
    }
    assert links(settings, "groupmentor", "mentor_id") == [("csv-g1", "csv-t1")]
    assert links(settings, "groupteacher", "teacher_id") == [
        ("csv-g1", "csv-t1", "Svenska"),
        ("csv-g2", "csv-t2", "Engelska"),
    ]
    assert query(
        settings,
        "SELECT s.external_id, p.external_id FROM schoolprincipal JOIN school s ON s.id = school_id"
        " JOIN person p ON p.id = principal_id WHERE s.external_id = 'csv-s1'",
    ) == [("csv-s1", "csv-t3")]


def test_a_second_import_changes_nothing(settings: Settings) -> None:
    imported(settings, DATA)
    before = dump(settings)
    out = imported(settings, DATA)
    assert dump(settings) == before
    assert all(
        line.split()[1:] == ["0", "created", "0", "updated", "0", "ended"]
        for line in out.splitlines()[1:9]
    ), out


def test_the_dry_run_changes_nothing(settings: Settings) -> None:
    before = dump(settings)
    out = imported(settings, DATA, "--dry-run")
    assert "dry run" in out and "10 created" in out
    assert dump(settings) == before


def rewrite(tmp_path: Path, change: object, *, delimiter: str = ";", bom: bool = False) -> Path:
    with DATA.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file, delimiter=";"))
    rows = change(rows)  # type: ignore[operator]
    target = tmp_path / "elever.csv"
    with target.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as file:
        csv.writer(file, delimiter=delimiter).writerows(rows)
    return target


def test_a_comma_file_with_a_bom_reads_the_same(tmp_path: Path) -> None:
    same = rewrite(tmp_path, lambda rows: rows, delimiter=",", bom=True)
    a, b = csvfile.read(DATA), csvfile.read(same)
    assert (a.schools.keys(), a.persons.keys(), a.guardians.keys()) == (
        b.schools.keys(),
        b.persons.keys(),
        b.guardians.keys(),
    )
    assert a.memberships.keys() == b.memberships.keys()
    assert a.teachers.keys() == b.teachers.keys()


def test_a_membership_gone_from_the_file_is_ended(settings: Settings, tmp_path: Path) -> None:
    imported(settings, DATA)
    # Omar leaves 6B Engelska
    file = rewrite(
        tmp_path, lambda rows: [r for r in rows if r[:2] != ["pupil", "csv-p2"] or r[7] != "csv-g2"]
    )
    out = imported(settings, file)
    assert "1 ended" in out
    assert ("csv-g2", "csv-p2") not in links(settings, "grouppupil", "pupil_id")


def _without_relation(rows: list[list[str]]) -> list[list[str]]:
    at = rows[0].index("relation")
    return [r[:at] + r[at + 1 :] for r in rows]


def _unknown_kind(rows: list[list[str]]) -> list[list[str]]:
    rows[5][0] = "elev"
    return rows


def _orphan_guardian(rows: list[list[str]]) -> list[list[str]]:
    rows[11][11] = "csv-p9"
    return rows


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_without_relation, "elever.csv: line 1: the header lacks the column(s) relation"),
        (_unknown_kind, "elever.csv: line 6 (id csv-p1): kind 'elev' is not one of"),
        (_orphan_guardian, "elever.csv: line 12 (id csv-v3): child csv-p9 is not a pupil"),
    ],
)
def test_malformed_csv_names_file_and_line_and_changes_nothing(
    settings: Settings, tmp_path: Path, change: object, expected: str
) -> None:
    imported(settings, DATA)
    file = rewrite(tmp_path, change)
    before = dump(settings)
    result = iup(settings, "roster", "import", str(file))
    assert result.exit_code != 0
    [line] = [x for x in result.stderr.splitlines() if x.startswith("Error")]
    assert expected in line, line
    assert dump(settings) == before


def test_not_utf8_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "ansi.csv"
    file.write_bytes(DATA.read_text(encoding="utf-8").encode("cp1252"))
    with pytest.raises(RosterError, match=r"ansi.csv: line 5: not UTF-8"):
        csvfile.read(file)


def test_no_personnummer_email_or_phone_is_stored(settings: Settings) -> None:
    with DATA.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file, delimiter=";"))
    secret = {r[c] for r in rows for c in ("personnummer", "e-post", "telefon") if r[c]}
    secret |= {s[2:] for s in secret if s.isdigit()}  # and the short personnummer
    assert len(secret) > 30
    imported(settings, DATA)
    assert stored_anywhere(settings, secret) == []
