"""The read path's invariant (backend/db.py, DbSession): a prebuilt read runs on a
connection of its own and sees only what is committed, so in debug mode (IUP_DEBUG, which
every test runs with) it refuses to run past the request's unsaved ORM writes."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import col

from backend.db import DbSession, Query, UnsavedWrites, make_engine
from backend.models import Person
from backend.settings import Settings

_NAMES = Query(select(col(Person.given_name)).where(col(Person.family_name) == "Prebyggd"))


def test_a_prebuilt_read_refuses_to_run_past_unsaved_writes(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    with DbSession(engine, expire_on_commit=False) as session:
        session.check_reads = True
        assert _NAMES.rows(session) == []
        session.add(Person(given_name="Ada", family_name="Prebyggd", user_handle=b"a" * 32))
        with pytest.raises(UnsavedWrites):
            _NAMES.rows(session)  # pending: the read would not see Ada
        session.flush()
        with pytest.raises(UnsavedWrites):
            _NAMES.rows(session)  # flushed, not committed: still invisible to it
        session.commit()
        assert [row[0] for row in _NAMES.rows(session)] == ["Ada"]
    engine.dispose()


def test_without_debug_the_read_runs_and_misses_the_unsaved_write(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    with DbSession(engine, expire_on_commit=False) as session:
        session.add(Person(given_name="Bo", family_name="Prebyggd", user_handle=b"b" * 32))
        assert _NAMES.rows(session) == []  # what the check guards against
        session.rollback()
    engine.dispose()
