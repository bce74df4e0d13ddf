"""`iup roster import` of the repository's SS 12000 files: rows and relations as the source
says, guardians' access by relation type and protected identity, idempotent, a dry run and
malformed input change nothing, and no identity number, e-mail, phone or address is stored."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import LargeBinary, String, Text, inspect, select, text
from sqlmodel import Session

from backend.db import make_engine
from backend.models import Guardianship, Person
from backend.settings import Settings
from tests.integration.test_cli import iup

DATA = Path(__file__).resolve().parents[1] / "data" / "ss12000"


def u(n: int) -> str:
    return f"5f1e0000-0000-4000-8000-{n:012d}"


def dump(settings: Settings) -> dict[str, list[Any]]:
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as db:
            names = inspect(engine).get_table_names()
            return {
                t: sorted(map(tuple, db.execute(text(f'SELECT * FROM "{t}"'))), key=repr)
                for t in names
            }
    finally:
        engine.dispose()


def query(settings: Settings, sql: str, **params: object) -> list[Any]:
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as db:
            return [tuple(r) for r in db.execute(text(sql), params)]
    finally:
        engine.dispose()


def imported(settings: Settings, path: Path = DATA, *extra: str) -> str:
    result = iup(settings, "roster", "import", str(path), *extra)
    assert result.exit_code == 0, result.output
    return result.stdout


def guardians(settings: Settings) -> dict[tuple[str, str], tuple[str, bool]]:
    rows = query(
        settings,
        "SELECT g.external_id, p.external_id, relation, has_access FROM guardianship "
        "JOIN person g ON g.id = guardian_id JOIN person p ON p.id = pupil_id "
        "WHERE p.external_id LIKE '5f1e%'",
    )
    return {(g, p): (r, bool(a)) for g, p, r, a in rows}


def test_the_school_imports_as_described(settings: Settings) -> None:
    imported(settings)
    assert query(settings, "SELECT name, unit_code FROM school WHERE external_id = :e", e=u(1)) == [
        ("Björkskolan", "87654321")
    ]
    groups = query(
        settings,
        "SELECT external_id, name, school_year FROM pupil_group WHERE external_id LIKE '5f1e%'",
    )
    assert sorted(groups) == [(u(11), "5A", 5), (u(12), "5A Matematik", 5), (u(13), "4A", 4)]
    members = query(
        settings,
        "SELECT g.external_id, p.external_id FROM grouppupil JOIN pupil_group g ON g.id = group_id"
        " JOIN person p ON p.id = pupil_id WHERE g.external_id LIKE '5f1e%'",
    )
    assert sorted(members) == sorted((g, u(p)) for g in (u(11), u(12)) for p in (101, 103, 106)), (
        "4A's membership ended in 2020; the Schema group is not imported"
    )
    marking = query(
        settings, "SELECT security_marking FROM person WHERE external_id = :e", e=u(101)
    )
    assert marking == [("Skyddad folkbokföring",)]
    assert guardians(settings) == {
        (u(102), u(101)): ("Vårdnadshavare", False),  # protected identity: restricted
        (u(104), u(103)): ("Vårdnadshavare", True),  # two households
        (u(105), u(103)): ("Vårdnadshavare", True),
        (u(108), u(106)): ("Utsedd behörig", False),
        (u(107), u(106)): ("God man", False),
    }
    teachers = query(
        settings,
        "SELECT g.external_id, p.external_id, subject FROM groupteacher "
        "JOIN pupil_group g ON g.id = group_id JOIN person p ON p.id = teacher_id "
        "WHERE g.external_id LIKE '5f1e%'",
    )
    assert sorted(teachers) == [(u(11), u(201), "Svenska"), (u(12), u(202), "Matematik")]
    mentors = query(
        settings,
        "SELECT g.external_id, p.external_id FROM groupmentor JOIN pupil_group g ON g.id = group_id"
        " JOIN person p ON p.id = mentor_id WHERE g.external_id LIKE '5f1e%'",
    )
    assert mentors == [(u(11), u(201))]
    principals = query(
        settings,
        "SELECT s.external_id, p.external_id FROM schoolprincipal JOIN school s ON s.id = school_id"
        " JOIN person p ON p.id = principal_id WHERE s.external_id = :e",
        e=u(1),
    )
    assert principals == [(u(1), u(203))]


def test_a_second_import_changes_nothing(settings: Settings) -> None:
    imported(settings)
    before = dump(settings)
    out = imported(settings)
    assert dump(settings) == before
    assert "created" not in out.split("\n", 9)[-1] or " 0 created" in out
    assert all(
        line.split()[1:] == ["0", "created", "0", "updated", "0", "ended"]
        for line in out.splitlines()[1:9]
    )


def test_the_dry_run_changes_nothing(settings: Settings) -> None:
    before = dump(settings)
    out = imported(settings, DATA, "--dry-run")
    assert "dry run" in out and "11 created" in out
    assert dump(settings) == before


def test_the_school_setting_decides_which_relations_may_read(settings: Settings) -> None:
    imported(settings)
    query_ = (
        "UPDATE school SET guardian_relations = 'Vårdnadshavare,God man' WHERE external_id = :e"
    )
    engine = make_engine(settings.database_url)
    with engine.begin() as db:
        db.execute(text(query_), {"e": u(1)})
        db.execute(text("DELETE FROM guardianship"))
        # staff opened the protected pupil's link earlier: kept on the next import
    engine.dispose()
    imported(settings)
    found = guardians(settings)
    assert found[(u(107), u(106))] == ("God man", True)
    assert found[(u(108), u(106))] == ("Utsedd behörig", False)
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        maria = session.exec(select(Person.id).where(Person.external_id == u(102))).one()
        link = session.get(
            Guardianship,
            (
                maria[0],
                session.exec(select(Person.id).where(Person.external_id == u(101))).one()[0],
            ),
        )
        assert link is not None and not link.has_access
        link.has_access = True  # staff open it
        session.add(link)
        session.commit()
    engine.dispose()
    imported(settings)
    assert guardians(settings)[(u(102), u(101))] == ("Vårdnadshavare", True)


def decide(settings: Settings, guardian: str, pupil: str, *, access: bool, decided: bool) -> None:
    """Staff open or restrict a link (people/guardians.py), or someone changed it by hand."""
    engine = make_engine(settings.database_url)
    with engine.begin() as db:
        db.execute(
            text(
                "UPDATE guardianship SET has_access = :a, decided_at = :d "
                "WHERE guardian_id = (SELECT id FROM person WHERE external_id = :g) "
                "AND pupil_id = (SELECT id FROM person WHERE external_id = :p)"
            ),
            {
                "a": access,
                "d": "2026-09-01 08:00:00" if decided else None,
                "g": guardian,
                "p": pupil,
            },
        )
    engine.dispose()


def test_a_re_import_never_overrides_a_staff_decision(settings: Settings) -> None:
    imported(settings)
    # Opened by hand, with no decision: the import closes a type the school does not allow.
    decide(settings, u(107), u(106), access=True, decided=False)
    imported(settings)
    assert guardians(settings)[(u(107), u(106))] == ("God man", False)
    # Opened, restricted and opened for a protected pupil by staff: every import keeps them.
    decide(settings, u(107), u(106), access=True, decided=True)
    decide(settings, u(104), u(103), access=False, decided=True)
    decide(settings, u(102), u(101), access=True, decided=True)
    before = guardians(settings)
    imported(settings)
    assert guardians(settings) == before
    assert before[(u(107), u(106))] == ("God man", True)
    assert before[(u(104), u(103))] == ("Vårdnadshavare", False)
    assert before[(u(102), u(101))] == ("Vårdnadshavare", True)


def copy_of_data(tmp_path: Path) -> Path:
    folder = tmp_path / "ss12000"
    shutil.copytree(DATA, folder)
    return folder


def edit(folder: Path, name: str, change: Any) -> None:
    file = folder / name
    page = json.loads(file.read_text())
    change(page["data"])
    file.write_text(json.dumps(page, ensure_ascii=False))


def test_a_membership_gone_from_the_source_is_ended(settings: Settings, tmp_path: Path) -> None:
    imported(settings)
    folder = copy_of_data(tmp_path)
    edit(folder, "groups.json", lambda data: data[0]["groupMemberships"].pop(1))  # Leo leaves 5A
    out = imported(settings, folder)
    assert "1 ended" in out
    members = query(
        settings,
        "SELECT p.external_id FROM grouppupil JOIN pupil_group g ON g.id = group_id"
        " JOIN person p ON p.id = pupil_id WHERE g.external_id = :g",
        g=u(11),
    )
    assert sorted(members) == [(u(101),), (u(106),)]


def _missing_name(data: list[Any]) -> None:
    del data[2]["givenName"]


def _dangling(data: list[Any]) -> None:
    data[0]["groupMemberships"].append({"person": {"id": "no-such-person"}})


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        ("persons.json", None, "persons.json: not an SS 12000 list page"),
        ("persons.json", _missing_name, f"persons.json: record 2 (id {u(103)}): "),
        ("groups.json", _dangling, f"groups.json: record 0 (id {u(11)}): member no-such-person"),
    ],
)
def test_malformed_input_names_file_and_record_and_changes_nothing(
    settings: Settings, tmp_path: Path, name: str, change: Any, expected: str
) -> None:
    folder = copy_of_data(tmp_path)
    if change is None:
        (folder / name).write_text('{"data": [ {"id": "x",')
    else:
        edit(folder, name, change)
    before = dump(settings)
    result = iup(settings, "roster", "import", str(folder))
    assert result.exit_code != 0
    [line] = [x for x in result.stderr.splitlines() if x.startswith("Error")]
    assert expected in line, line
    if change is _missing_name:
        assert "givenName" in line
    assert dump(settings) == before


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def test_no_identity_number_email_phone_or_address_is_stored(settings: Settings) -> None:
    secret: set[str] = set()
    for file in DATA.glob("*.json"):
        for record in json.loads(file.read_text())["data"]:
            for key in (
                "civicNo",
                "emails",
                "phoneNumbers",
                "addresses",
                "email",
                "phoneNumber",
                "address",
            ):
                secret.update(s for s in _strings(record.get(key)) if len(s) > 3)
    secret -= {"Privat", "Mobil", "Folkbokföring", "Småstad", "12345"}
    assert any(s.isdigit() and len(s) == 12 for s in secret), "the source holds identity numbers"
    assert len(secret) > 40
    imported(settings)
    assert stored_anywhere(settings, secret) == []


def stored_anywhere(settings: Settings, secret: set[str]) -> list[tuple[str, str, str]]:
    """Every (table, column, value) where a text or blob column holds one of `secret`;
    proves there were columns to scan."""
    engine = make_engine(settings.database_url)
    found = []
    scanned = 0
    try:
        inspector = inspect(engine)
        with engine.connect() as db:
            for table in inspector.get_table_names():
                for column in inspector.get_columns(table):
                    if not isinstance(column["type"], String | Text | LargeBinary):
                        continue
                    scanned += 1
                    for (value,) in db.execute(text(f'SELECT "{column["name"]}" FROM "{table}"')):
                        if value is None:
                            continue
                        haystack = (
                            value.decode("utf-8", "replace") if isinstance(value, bytes) else value
                        )
                        found += [(table, column["name"], s) for s in secret if s in haystack]
    finally:
        engine.dispose()
    assert scanned > 30
    return found
