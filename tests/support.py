"""What several test folders need: a free port, stopping a server, a throwaway PostgreSQL
database, and reading the lines `iup demo` prints."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import secrets
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES = os.environ.get(
    "IUP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

# `iup demo`: "id  role  name  link", two or more spaces between the columns.
DEMO_LINE = re.compile(
    r"^(?P<id>\d+)\s{2,}(?P<role>\S.*?)\s{2,}(?P<name>\S.*?)\s{2,}(?P<url>https?://\S+/enrol/\S+)$"
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
