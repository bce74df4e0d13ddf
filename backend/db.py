"""Engine, pool, the per-request session, and the migrations entry point.

Handlers run on the event loop without a thread hop (a hop cost more than the whole page,
bench/), so a request's database work is one uninterrupted stretch: the session takes a
connection at its first query and gives it back when the handler's work is done, before
the response is sent. One process therefore needs one connection at a time; the pool
leaves room for the CLI and a health check, and waits briefly rather than stalling."""

from __future__ import annotations

import contextlib
from collections import namedtuple
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from litestar import Request
from litestar.types import Message, Scope
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import SQLAlchemyError
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


SCOPE_KEY = "iup.db"


class DbSession(Session):
    """The app's session: one connection a request, for the ORM and the prebuilt reads
    (`Query`) alike, taken at the first read, so a prebuilt read sees what the request wrote
    before it. A request that wrote nothing ends with COMMIT rather than ROLLBACK: the same
    for a read, but psycopg forgets its prepared statements at every ROLLBACK, and
    PostgreSQL would parse and plan each hot read again on every request."""

    _written = False  # flushed since the last commit or rollback

    def flush(self, objects: Any = None) -> None:
        self._written = self._written or bool(self.new or self.dirty or self.deleted)
        super().flush(objects)

    def commit(self) -> None:
        super().commit()
        self._written = False

    def rollback(self) -> None:
        super().rollback()
        self._written = False

    def close(self) -> None:
        if self.in_transaction() and not (self._written or self.new or self.dirty or self.deleted):
            with contextlib.suppress(SQLAlchemyError):  # a failed read: closing rolls back
                super().commit()
        super().close()


def provide_db(request: Request[Any, Any, Any]) -> Session:
    """The request's session (a dependency). Closed, and its connection given back, as soon
    as the response starts (`release_db`), before its body is sent, whether the handler
    returned or something on the way raised. (A generator dependency is not closed when a
    later dependency raises, and Litestar closes a sync one in a worker thread.)"""
    session = DbSession(request.app.state.engine, expire_on_commit=False)
    request.scope[SCOPE_KEY] = session  # type: ignore[literal-required]
    return session


async def release_db(message: Message, scope: Scope) -> None:
    """before_send: the response starts, the request's database work is over."""
    if message["type"] == "http.response.start":
        close_db(scope)


def close_db(scope: Scope) -> None:
    session = scope.pop(SCOPE_KEY, None)  # type: ignore[misc]
    if session is not None:
        session.close()


def upgrade(url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Applies the migrations; returns the revision before (None: a new database) and after,
    so `iup db upgrade` can say what it did."""
    _make_parent(url)
    before = current_revision(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, revision)
    return before, current_revision(url)


def current_revision(url: str) -> str | None:
    """The Alembic revision the database is at; None when it has none (a new database)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


class Query:
    """A hot read (DESIGN: hot reads may use Core), compiled once per dialect and run on the
    DBAPI cursor of the session's connection. SQLAlchemy's work around each execution costs
    about 0.1 ms, more than SQLite's own; the statement, its bind and result types stay
    SQLAlchemy's, so the SQL and the values are exactly what `session.execute` would use."""

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def rows(self, session: Session, params: dict[str, Any] | None = None) -> list[Any]:
        if session.new or session.dirty or session.deleted:
            session.flush()  # as the ORM's autoflush would, before it reads
        connection = session.connection()
        raw: Any = connection.connection.dbapi_connection
        dialect = connection.dialect
        plan = self._plans.get(dialect.name) or self._plan(dialect)
        values = dict(plan.defaults)
        if params:
            values.update(params)
        for name, process in plan.binds:
            values[name] = process(values[name])
        cursor = raw.cursor()
        try:
            cursor.execute(plan.sql, [values[n] for n in plan.names] if plan.names else values)
            rows: list[Any] = list(cursor.fetchall())
        finally:
            cursor.close()
        make = plan.row._make
        if plan.results:
            return [
                make(
                    process(v) if process else v
                    for v, process in zip(row, plan.results, strict=True)
                )
                for row in rows
            ]
        return [make(row) for row in rows]

    def first(self, session: Session, params: dict[str, Any] | None = None) -> Any:
        rows = self.rows(session, params)
        return rows[0] if rows else None

    def _plan(self, dialect: Dialect) -> _Plan:
        compiled: Any = self.statement.compile(dialect=dialect)
        binds = []
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                binds.append((name, process))
        columns = list(getattr(self.statement, "selected_columns", []))
        results = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]
        missing = set(compiled.positiontup or ()) - set(compiled.params)
        if missing:  # an anonymous literal in a compound select; use literal_column()
            raise TypeError(f"a prebuilt query cannot bind {sorted(missing)}")
        plan = _Plan(
            sql=compiled.string,
            names=tuple(compiled.positiontup) if compiled.positional else (),
            defaults=dict(compiled.params),
            binds=tuple(binds),
            results=tuple(results) if any(results) else (),
            row=_row_type(columns),
        )
        self._plans[dialect.name] = plan
        return plan


class _Plan(NamedTuple):
    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]
    results: tuple[Callable[[Any], Any] | None, ...]
    row: Any  # a named tuple of the selected columns: row.given_name, not row[3]


def _row_type(columns: list[Any]) -> Any:
    """Rows named by their columns' keys (`col(Person.given_name)` is `given_name`; label
    a column to name it otherwise: `col(Goal.id).label("goal_id")`). A key selected twice
    is named by its place (`_3`) from its second time on."""
    keys = [getattr(column, "key", None) or f"_{i}" for i, column in enumerate(columns)]
    return namedtuple("Row", keys, rename=True) if keys else tuple
