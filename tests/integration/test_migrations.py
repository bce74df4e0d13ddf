"""The Alembic migration matches the models on SQLite and PostgreSQL, goes down and up
again, and the app runs on PostgreSQL: demo seed, enrolment, the pupil's goals."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from litestar.testing import TestClient
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, SQLModel, func, select

import backend.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from backend.app import create_app
from backend.auth.service import issue_enrolment_code
from backend.db import MIGRATIONS, make_engine, upgrade
from backend.demo import external, seed
from backend.models import Goal, Person, Plan, SelfAssessment
from backend.settings import Settings
from tests.integration.conftest import ORIGIN, Visitor
from tests.support import postgres_database

TABLES = {
    "school",
    "pupil_group",
    "person",
    "grouppupil",
    "groupteacher",
    "groupmentor",
    "guardianship",
    "schoolprincipal",
    "term",
    "plan",
    "goal",
    "selfassessment",
    "passkeycredential",
    "enrolmentcode",
    "login_session",
    "challenge",
    "auditevent",
    "read_log",
    "rate_limit",
    "goal_proposal",
    "reflection_reply",
    "reflection_seen",
    "note",
    "preparation_question",
    "preparation",
    "preparation_answer",
    "talk_time",
    "talk_booking",
    "talk_draft",
    "plan_event",
    "notification",
    "notification_item",
    "plan_summary",
    "agreement",
    "agreement_signature",
    "roster_source",
    "roster_record",
    "organisation",
    "organisation_school",
    "organiser",
    "periodic_lease",
}


def alembic_config(url: str) -> Config:
    """Built as backend.db.upgrade() builds it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'iup.db'}"


# SQLite ----------------------------------------------------------------------------------


def test_the_migration_matches_the_models_on_sqlite(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        assert tables(engine) == TABLES
        assert differences(engine) == []
    finally:
        engine.dispose()


def test_the_comparison_sees_a_difference(sqlite_url: str) -> None:
    """The check above can fail: a column the models lack is reported."""
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE person ADD COLUMN nickname VARCHAR(20)"))
        found = differences(engine)
    finally:
        engine.dispose()
    assert [(d[0], d[2], d[3].name) for d in found] == [("remove_column", "person", "nickname")]


def test_downgrade_to_base_and_upgrade_again_on_sqlite(sqlite_url: str) -> None:
    down_and_up(sqlite_url)


def down_and_up(url: str) -> None:
    """Every migration down to nothing, then up again: the same tables, the models' shape,
    and a database the demo seeds."""
    config = alembic_config(url)
    upgrade(url)
    engine = make_engine(url)
    try:
        assert tables(engine) == TABLES
        command.downgrade(config, "base")
        assert tables(engine) == set()
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() is None
        command.upgrade(config, "head")
        assert tables(engine) == TABLES
        assert differences(engine) == []
        with Session(engine) as session:
            seed(session, today=date.today())  # noqa: DTZ011
            assert session.exec(select(func.count()).select_from(Person)).one() > 10
    finally:
        engine.dispose()


# PostgreSQL ------------------------------------------------------------------------------


def test_the_migration_matches_the_models_on_postgresql(postgres_url: str) -> None:
    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    try:
        assert engine.dialect.name == "postgresql"
        assert tables(engine) == TABLES
        assert differences(engine) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again_on_postgresql() -> None:
    with postgres_database("iup_down_up") as url:  # a database of its own: it goes to nothing
        down_and_up(url)


def test_the_pupil_journey_on_postgresql(postgres_url: str) -> None:
    upgrade(postgres_url)  # idempotent: the test above may have run first
    settings = Settings(
        database_url=postgres_url, origin=ORIGIN, rp_id="localhost", secret_key="test-secret"
    )
    with ExitStack() as stack:
        engine = make_engine(postgres_url)
        stack.callback(engine.dispose)
        with Session(engine, expire_on_commit=False) as db:
            seed(db, today=date.today())  # noqa: DTZ011
            people = db.exec(select(func.count()).select_from(Person)).one()
            seed(db, today=date.today())  # noqa: DTZ011
            assert db.exec(select(func.count()).select_from(Person)).one() == people > 10
            alva = db.exec(select(Person).where(Person.external_id == external("alva"))).one()
            assert alva.id is not None
            code = issue_enrolment_code(db, person_id=alva.id, hours=1)
            [goal] = db.exec(
                select(Goal.id).join(Plan).where(Plan.pupil_id == alva.id, Goal.position == 0)
            ).all()

        app = create_app(settings)
        with TestClient(app) as client:
            assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
            pupil = Visitor(client)
            assert pupil.get(f"/enrol/{code}").status_code == 200
            enrolled = pupil.enrol(code)
            assert enrolled.status_code == 201, enrolled.text
            home = pupil.get("/")
            assert home.status_code == 200
            assert "Mina mål" in home.text and "multiplikationstabellerna" in home.text
            again = pupil.get(f"/enrol/{code}")  # used, and she is signed in: home
            assert again.status_code == 303 and again.headers["location"] == "/", "the code is used"

            saved = pupil.form(f"/goals/{goal}/self-assessments", {"level": "3", "comment": "PG"})
            assert saved.status_code == 303
            assert pupil.form("/logout", {}).status_code == 303
            assert pupil.get("/").status_code == 303
            again = pupil.sign_in()
            assert again.status_code == 201, again.text
            plan = pupil.get("/api/plan").json()
            assert [
                g["self_assessments"][0]["comment"] for g in plan["goals"] if g["id"] == goal
            ] == ["PG"]

        with Session(engine) as db:
            levels = db.exec(select(SelfAssessment.level).where(SelfAssessment.goal_id == goal))
            assert list(levels) == [3]


# Terms became a school's own (0004) ------------------------------------------------------


def _terms_split_per_school(url: str) -> None:
    """Before 0004 one term served every school; after it each school has its copy and each
    plan points at the copy of its pupil's school."""
    config = alembic_config(url)
    command.upgrade(config, "0003")
    engine = make_engine(url)
    try:
        with engine.begin() as db:
            for sql in (
                "INSERT INTO school (id, name) VALUES (1, 'A'), (2, 'B')",
                "INSERT INTO pupil_group (id, school_id, name) VALUES (1, 1, '1A'), (2, 2, '2B')",
                "INSERT INTO person (id, given_name, family_name, user_handle, created_at) VALUES "
                "(1, 'Ann', 'A', :h1, '2026-08-01'), (2, 'Bo', 'B', :h2, '2026-08-01')",
                "INSERT INTO grouppupil (group_id, pupil_id) VALUES (1, 1), (2, 2)",
                # Without explicit ids: PostgreSQL's sequence gives the migration's copy its id.
                "INSERT INTO term (code, starts_on, ends_on) "
                "VALUES ('HT2026', '2026-08-01', '2026-12-31')",
                "INSERT INTO plan (pupil_id, term_id, state, version) "
                "SELECT p, (SELECT id FROM term), 'draft', 1 FROM (SELECT 1 AS p UNION SELECT 2) x",
            ):
                db.execute(text(sql), {"h1": b"1" * 32, "h2": b"2" * 32})
        command.upgrade(config, "head")
        with engine.connect() as db:
            terms = db.execute(text("SELECT id, school_id, code FROM term ORDER BY id")).all()
            plans = db.execute(
                text("SELECT p.pupil_id, t.school_id FROM plan p JOIN term t ON t.id = p.term_id")
            ).all()
        assert [(school, code) for _id, school, code in terms] == [(1, "HT2026"), (2, "HT2026")]
        assert sorted(plans) == [(1, 1), (2, 2)]
        command.downgrade(config, "0003")
        with engine.connect() as db:
            [(first, code)] = db.execute(text("SELECT id, code FROM term")).all()
            assert code == "HT2026" and first == terms[0][0]
            assert db.execute(text("SELECT term_id FROM plan")).scalars().all() == [first, first]
    finally:
        engine.dispose()


def test_terms_split_per_school_on_sqlite(sqlite_url: str) -> None:
    _terms_split_per_school(sqlite_url)


def test_terms_split_per_school_on_postgresql() -> None:
    with postgres_database("iup_terms") as url:
        _terms_split_per_school(url)
