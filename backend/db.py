"""Engine, pool, the per-request session, and the migrations entry point.

Handlers run on the event loop without a thread hop (a hop cost more than the whole page,
bench/), so a request's database work is one uninterrupted stretch: the session takes a
connection at its first query and gives it back when the handler's work is done, before
the response is sent. One process therefore needs one connection at a time; the pool
leaves room for the CLI and a health check, and waits briefly rather than stalling."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from litestar.datastructures import State
from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _make_parent(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 5},
            pool_size=2,
            max_overflow=4,
            pool_timeout=5,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4, pool_timeout=5)


def _make_parent(url: str) -> None:
    """A first run makes the folder of its SQLite file (var/ by default)."""
    path = url.split("///", 1)[-1]
    if url.startswith("sqlite") and path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys are off by default in SQLite; WAL lets readers and a writer overlap."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def provide_db(state: State) -> Iterator[Session]:
    """The request's session (a dependency): closed, and its connection returned, when the
    handler has returned, before the response goes out."""
    with Session(state.engine, expire_on_commit=False) as session:
        yield session


def upgrade(url: str, revision: str = "head") -> None:
    _make_parent(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, revision)
