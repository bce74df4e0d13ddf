"""The `iup` command through click's CliRunner, on a copy of the migrated, seeded database:
printed links work, errors are one line on stderr, the seed is idempotent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from litestar.testing import TestClient
from sqlalchemy import inspect
from sqlmodel import Session, func, select

from backend.app import create_app
from backend.cli import main
from backend.db import make_engine
from backend.demo import external
from backend.models import Person
from backend.settings import Settings

LINK = re.compile(r"(https?://\S+)/enrol/([A-Za-z0-9_-]{16,})")


def env_for(settings: Settings) -> dict[str, str]:
    return {
        "IUP_DATABASE_URL": settings.database_url,
        "IUP_ORIGIN": settings.origin,
        "IUP_RP_ID": settings.rp_id,
        "IUP_SECRET_KEY": settings.secret_key,
    }


def iup(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env_for(settings), catch_exceptions=False)


def code_from(settings: Settings, result: Result) -> str:
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1, lines
    match = LINK.fullmatch(lines[0])
    assert match, lines[0]
    assert match.group(1) == settings.origin
    return match.group(2)


def count_people(settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(Person)).one()
    engine.dispose()
    return count


@pytest.mark.parametrize("ref", ["id", "external"])
def test_enrol_prints_a_link_that_works(settings: Settings, ref: str) -> None:
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        alva = session.exec(select(Person).where(Person.external_id == external("alva"))).one()
    engine.dispose()
    code = code_from(
        settings, iup(settings, "enrol", str(alva.id) if ref == "id" else external("alva"))
    )
    with TestClient(create_app(settings)) as client:
        page = client.get(f"/enrol/{code}")
    assert page.status_code == 200
    assert "Alva" in page.text and f'data-options-url="/enrol/{code}/options"' in page.text


def test_enrol_an_unknown_person_fails_with_a_reason(settings: Settings) -> None:
    result = iup(settings, "enrol", "999999")
    assert result.exit_code != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "999999" in lines[0] and "no person" in lines[0]


def test_a_new_link_replaces_the_unused_one(settings: Settings) -> None:
    first = code_from(settings, iup(settings, "enrol", external("elias")))
    second = code_from(settings, iup(settings, "enrol", external("elias")))
    assert first != second
    with TestClient(create_app(settings)) as client:
        assert client.get(f"/enrol/{first}").status_code == 410
        assert client.get(f"/enrol/{second}").status_code == 200


def test_demo_is_idempotent(tmp_path: Path) -> None:
    fresh = Settings(database_url=f"sqlite:///{tmp_path / 'iup.db'}", secret_key="test-secret")
    assert iup(fresh, "db", "upgrade").exit_code == 0
    first = iup(fresh, "demo")
    people = count_people(fresh)
    second = iup(fresh, "demo")
    assert people > 10 and count_people(fresh) == people
    for result in (first, second):
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert len(lines) == people, "one line per person"
        assert all(LINK.search(line) for line in lines)
        assert sum(line.startswith("pupil in 4A") and "Alva Nilsson" in line for line in lines) == 1
    codes = LINK.findall(first.stdout + second.stdout)
    assert len(codes) == 2 * people
    assert len(set(codes)) == len(codes), "each run prints fresh links"


def test_db_upgrade_creates_the_tables(tmp_path: Path) -> None:
    fresh = Settings(database_url=f"sqlite:///{tmp_path / 'iup.db'}", secret_key="test-secret")
    assert not (tmp_path / "iup.db").exists()
    result = iup(fresh, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.stdout
    engine = make_engine(fresh.database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"person", "plan", "goal", "passkeycredential", "login_session"} <= tables
    assert "alembic_version" in tables
    assert count_people(fresh) == 0


def test_db_upgrade_creates_the_directory_too(tmp_path: Path) -> None:
    fresh = Settings(
        database_url=f"sqlite:///{tmp_path / 'new' / 'iup.db'}", secret_key="test-secret"
    )
    result = iup(fresh, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new" / "iup.db").exists()
