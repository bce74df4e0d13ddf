"""The Alembic migration matches the models, goes down and up again, and moves the data of
the migrations that reshape it; on the run's database (make test runs both)."""

from __future__ import annotations

from datetime import date
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, SQLModel, func, select

import backend.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from backend.db import MIGRATIONS, make_engine, upgrade
from backend.demo import seed
from backend.models import Person
from tests.support import TEST_DATABASE

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
    "held_upload",
    "thread_message",
    "thread_read",
    "periodic_lease",
    "push_subscription",
    "push_off",
    "push_sent",
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


def test_the_migration_matches_the_models(empty_url: str) -> None:
    upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        assert engine.dialect.name == TEST_DATABASE
        assert tables(engine) == TABLES
        assert differences(engine) == []
    finally:
        engine.dispose()


def test_the_comparison_sees_a_difference(empty_url: str) -> None:
    """The check above can fail: a column the models lack is reported."""
    upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE person ADD COLUMN nickname VARCHAR(20)"))
        found = differences(engine)
    finally:
        engine.dispose()
    assert [(d[0], d[2], d[3].name) for d in found] == [("remove_column", "person", "nickname")]


def test_downgrade_to_base_and_upgrade_again(empty_url: str) -> None:
    """Every migration down to nothing, then up again: the same tables, the models' shape,
    and a database the demo seeds."""
    config = alembic_config(empty_url)
    upgrade(empty_url)
    engine = make_engine(empty_url)
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


# Terms became a school's own (0004) ------------------------------------------------------


def test_terms_split_per_school(empty_url: str) -> None:
    """Before 0004 one term served every school; after it each school has its copy and each
    plan points at the copy of its pupil's school."""
    config = alembic_config(empty_url)
    command.upgrade(config, "0003")
    engine = make_engine(empty_url)
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


# Imported schools got a unique key (0012) ------------------------------------------------


def test_schools_from_earlier_imports_get_their_key_and_ours_none(empty_url: str) -> None:
    """The oldest of each imported school (the one imports chose) gets the key; a later
    twin, made by a race before the key, keeps none; our own schools keep none."""
    config = alembic_config(empty_url)
    command.upgrade(config, "0011")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as db:
            db.execute(
                text(
                    "INSERT INTO school (id, name, unit_code, rp_id, origin, external_id) VALUES"
                    " (1, 'Ours', NULL, '', '', 'ext-1'), (2, 'Ours, 1A', NULL, '', '', NULL),"
                    " (3, 'Norr', '123', 'norr.example', 'https://norr.example', NULL),"
                    " (4, 'Norr', '123', 'norr.example', 'https://norr.example', NULL),"
                    " (5, 'Other system', NULL, '', '', NULL)"
                )
            )
            db.execute(text("INSERT INTO pupil_group (id, school_id, name) VALUES (1, 2, '1A')"))
        command.upgrade(config, "head")
        with engine.connect() as db:
            keys = dict(db.execute(text("SELECT id, sender_key FROM school ORDER BY id")).all())
        assert keys == {
            1: None,
            2: None,
            3: "norr.example\nhttps://norr.example\nunit:123",
            4: None,
            5: "\n\nname:Other system",
        }
    finally:
        engine.dispose()
