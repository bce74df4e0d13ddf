"""Counting the SQL statements a request sends (issue 21): a DBAPI-level counter that sees
the ORM's statements and the prebuilt `db.Query` ones alike, for the tests and the bench."""

from __future__ import annotations

import sqlite3
from typing import Any

from litestar import Litestar
from sqlalchemy import event

from backend.app import create_app
from backend.settings import Settings


class _Cursor(sqlite3.Cursor):
    """Counts every statement sent to SQLite, through the ORM or a prebuilt Query alike
    (both run on a DBAPI cursor); one executemany is one statement."""

    log: list[str]

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        self.log.append(sql)
        return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        self.log.append(sql)
        return super().executemany(sql, parameters)


def counting_app(settings: Settings) -> tuple[Litestar, list[str]]:
    """The app for `settings`, and the list every statement it sends is appended to."""
    statements: list[str] = []

    class Cursor(_Cursor):
        log = statements

    class Connection(sqlite3.Connection):
        def cursor(self, factory: Any = None) -> Any:
            return super().cursor(factory or Cursor)

    app = create_app(settings)

    @event.listens_for(app.state.engine, "do_connect")
    def counted(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        params["factory"] = Connection

    return app, statements


def queries(statements: list[str]) -> list[str]:
    """What the request asked of the database (a new connection's PRAGMAs are not)."""
    return [s for s in statements if not s.lstrip().upper().startswith("PRAGMA")]
