"""The read path's invariant (backend/db.py, DbSession): a prebuilt read runs on a
connection of its own while the request has written nothing, and in the writes' own
transaction once it has, so it always sees what the request wrote, committed or not."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from backend.db import DbSession, Query, make_engine
from backend.models import Person
from backend.settings import Settings

_NAMES = Query(select(col(Person.given_name)).where(col(Person.family_name) == "Prebyggd"))


def names(session: DbSession) -> list[str]:
    return [row[0] for row in _NAMES.rows(session)]


def test_a_prebuilt_read_sees_the_requests_unsaved_writes(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    with DbSession(engine, expire_on_commit=False) as session:
        assert names(session) == []
        reads_apart = session.raw()[0]
        session.add(Person(given_name="Ada", family_name="Prebyggd", user_handle=b"a" * 32))
        assert names(session) == ["Ada"]  # pending: flushed first, then read
        assert session.reader()[0] is not reads_apart  # in the writes' transaction
        session.add(Person(given_name="Bo", family_name="Prebyggd", user_handle=b"b" * 32))
        session.flush()
        assert sorted(names(session)) == ["Ada", "Bo"]  # flushed, not committed
        session.rollback()
        assert names(session) == []  # rolled back: gone, and read apart again
        assert session.reader()[0] is reads_apart
        session.add(Person(given_name="Cai", family_name="Prebyggd", user_handle=b"c" * 32))
        session.commit()
        assert names(session) == ["Cai"]
        for person in session.exec(select(Person).where(col(Person.family_name) == "Prebyggd")):
            session.delete(person[0])
        session.commit()
    engine.dispose()
