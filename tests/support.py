"""What several test folders need: a free port, stopping a server, a throwaway PostgreSQL
database, a built database that tests copy (on the database the run is for), and reading
the lines `iup demo` prints."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlmodel import SQLModel

import backend.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from backend import readlog
from backend.auth.sessions import CSRF_COOKIE, SESSION_COOKIE, Started

POSTGRES = os.environ.get(
    "IUP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# The database the integration tests run on; `make test` runs them once on each.
TEST_DATABASE = os.environ.get("IUP_TEST_DATABASE", "sqlite")
if TEST_DATABASE not in ("sqlite", "postgresql"):
    raise ValueError(f"IUP_TEST_DATABASE={TEST_DATABASE!r}: sqlite or postgresql")

# `iup demo`: "id  role  name  link", two or more spaces between the columns.
DEMO_LINE = re.compile(
    r"^(?P<id>\d+)\s{2,}(?P<role>\S.*?)\s{2,}(?P<name>\S.*?)\s{2,}(?P<url>https?://\S+/enrol/\S+)$"
)


def signed_in_cookies(started: Started) -> dict[str, str]:
    """A session begun in the database (`start_session`), as a browser over http holds it:
    the session cookie and the CSRF cookie bound to it (the server's secret must be the one
    the session was started with)."""
    return {SESSION_COOKIE: started.token, CSRF_COOKIE: started.csrf}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(iup: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`iup serve` on 127.0.0.1:`port`, its output in `log`, in a process group of its own
    (which stop_server stops whole)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [iup, "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """`iup serve` started with start_new_session: the whole group, since granian's worker
    is a process of its own. SIGTERM first, SIGKILL for whatever is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):  # a worker left behind
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A database of its own on the local PostgreSQL server, dropped afterwards. Without
    the server the test is skipped, except on CI, where that is a failure."""
    server = make_url(POSTGRES)
    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        admin.dispose()
        reason = f"PostgreSQL at {server.render_as_string(hide_password=True)} unusable: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class MasterCopy:
    """A database built once (migrated, seeded) that tests copy but never open. `copy`
    gives a name the same URL each time, with the master's data again. On SQLite: a copy
    of the file, in a folder of its own. On PostgreSQL: a database of its own, made the
    first time by CREATE DATABASE ... TEMPLATE, then given the master's rows again (DELETE
    and INSERT; a new database for each test would wait for a checkpoint at each DROP)."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url = make_url(url)
        self.folder = folder  # of the SQLite copies
        self.made: set[str] = set()
        if self.url.get_backend_name() == "postgresql":
            engine = create_engine(self.url)
            with engine.connect() as connection:
                self.rows = {
                    table.name: [dict(row._mapping) for row in connection.execute(table.select())]
                    for table in SQLModel.metadata.sorted_tables
                }
                self.sequences = connection.execute(
                    text(
                        "SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences"
                        " WHERE last_value IS NOT NULL"
                    )
                ).all()
            engine.dispose()

    def copy(self, name: str) -> str:
        # The database goes back to an earlier state under the same URL, as after a restore:
        # this process forgets which reads it wrote to the log today, as a restart would.
        readlog._WRITTEN.clear()
        if self.url.get_backend_name() == "sqlite":  # a folder of its own, emptied first
            folder = self.folder / name
            shutil.rmtree(folder, ignore_errors=True)  # the WAL, an origin file, ...
            folder.mkdir(parents=True)
            shutil.copyfile(str(self.url.database), folder / "iup.db")
            return f"sqlite:///{folder / 'iup.db'}"
        copy = self.url.set(database=f"{self.url.database}_{name}")
        if copy.database in self.made:
            self._restore(copy)
        else:
            _admin(f'CREATE DATABASE "{copy.database}" TEMPLATE "{self.url.database}"')
            self.made.add(str(copy.database))
        return copy.render_as_string(hide_password=False)

    def _restore(self, url: URL) -> None:
        _admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE datname = '{url.database}' AND pid <> pg_backend_pid()"
        )
        tables = SQLModel.metadata.sorted_tables
        engine = create_engine(url)
        try:
            with engine.begin() as connection:  # few round trips: the machine is busy
                connection.exec_driver_sql(
                    "SET LOCAL synchronous_commit = off; "  # DELETE: TRUNCATE's files cost a fsync
                    + "".join(f'DELETE FROM "{table.name}"; ' for table in reversed(tables))
                )
                for table in tables:
                    if self.rows[table.name]:
                        connection.execute(table.insert(), self.rows[table.name])
                connection.exec_driver_sql(
                    "SELECT "
                    + ", ".join(f"setval('{name}', {value})" for name, value in self.sequences)
                )
        finally:
            engine.dispose()


@contextmanager
def master_copy(folder: Path, name: str, build: Callable[[str], None]) -> Iterator[MasterCopy]:
    """`build(url)` writes the master on TEST_DATABASE; on PostgreSQL the master and its
    copies are dropped afterwards."""
    if TEST_DATABASE == "sqlite":
        url = f"sqlite:///{folder / name}.db"
        build(url)
        yield MasterCopy(url, folder / f"{name}-copies")
        return
    with postgres_database(f"iup_{name}") as url:
        build(url)
        master = MasterCopy(url, folder)
        try:
            yield master
        finally:
            for copy in master.made:
                _admin(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


def _admin(statement: str) -> None:
    admin = create_engine(make_url(POSTGRES), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


# Browser contexts for the e2e tests: a cheap phone held upright, with touch, and a desktop.
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def words(lang: str, msgid: str) -> str:
    """What the page says for `msgid` in `lang`, read from its catalogue (i18n/), so that a
    test in Swedish or Arabic follows a reworded translation instead of breaking on it."""
    return _catalogue(lang)[msgid]


@functools.cache
def _catalogue(lang: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    path = Path(__file__).parents[1] / "i18n" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalogue = read_po(po)
    return {str(m.id): str(m.string) for m in catalogue if isinstance(m.id, str) and m.string}
