"""The read path's invariants (backend/db.py, DbSession): a prebuilt read runs on the
request's one connection, so it sees what the request wrote, committed or not; and a
request that wrote nothing ends with COMMIT, so that psycopg keeps its prepared statements
(every ROLLBACK drops them) and PostgreSQL does not plan the hot reads again each time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select, text
from sqlmodel import col

from backend.db import DbSession, Query, make_engine, upgrade
from backend.models import Person
from backend.settings import Settings

_NAMES = Query(select(col(Person.given_name)).where(col(Person.family_name) == "Prebyggd"))


def names(session: DbSession) -> list[str]:
    return sorted(row[0] for row in _NAMES.rows(session))


def test_a_prebuilt_read_sees_the_requests_unsaved_writes(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    with DbSession(engine, expire_on_commit=False) as session:
        assert names(session) == []
        session.add(Person(given_name="Ada", family_name="Prebyggd", user_handle=b"a" * 32))
        assert names(session) == ["Ada"]  # pending: flushed first, then read
        session.add(Person(given_name="Bo", family_name="Prebyggd", user_handle=b"b" * 32))
        session.flush()
        assert names(session) == ["Ada", "Bo"]  # flushed, not committed
        session.rollback()
        assert names(session) == []
    engine.dispose()


@pytest.fixture
def postgres(empty_url: str) -> Iterator[Engine]:
    upgrade(empty_url)
    engine = make_engine(empty_url)
    engine.pool.dispose()
    yield engine
    engine.dispose()


def prepared(engine: Engine) -> int:
    """Statements psycopg has prepared on the pool's connection."""
    with DbSession(engine) as session:
        return len(session.execute(text("SELECT name FROM pg_prepared_statements")).all())


@pytest.mark.database("postgresql")  # psycopg's prepared statements
def test_reading_requests_keep_their_prepared_statements(postgres: Engine) -> None:
    for _ in range(6):  # psycopg prepares a statement at its fifth run on one connection
        with DbSession(postgres) as session:
            names(session)
    assert prepared(postgres) >= 1, "a reading request ended with ROLLBACK"
    with DbSession(postgres) as session:  # a request that writes ends as before
        session.add(Person(given_name="Cai", family_name="Prebyggd", user_handle=b"c" * 32))
        session.flush()
        assert names(session) == ["Cai"]
    assert prepared(postgres) == 0  # rolled back: psycopg dropped them
    with DbSession(postgres) as session:
        assert names(session) == []
