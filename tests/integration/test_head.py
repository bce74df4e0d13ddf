"""HEAD on every GET route answers as GET would, without a body (RFC 9110 §9.3.2), and a
HEAD is not a read of a pupil's data: nothing is logged."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session, select

from backend.app import create_app
from backend.models import ReadLog
from backend.settings import Settings
from tests.integration.conftest import ORIGIN, Visitor, demo_person

BROWSER = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
VOLATILE = {"date", "x-request-id", "set-cookie"}


@pytest.fixture
def raw_app(settings: Settings) -> Iterator[Litestar]:
    """The app without a test client: its engine is disposed here, not by a shutdown."""
    app = create_app(settings)
    yield app
    app.state.engine.dispose()


def asgi(
    app: Litestar, method: str, path: str, cookie: str = ""
) -> tuple[int, dict[str, str], bytes]:
    """One request straight through the ASGI app: what it sends, body included (the test
    client drops a HEAD response's body itself, so it cannot show one the app sent)."""
    messages: list[dict[str, Any]] = []
    headers = [(b"accept", BROWSER["accept"].encode()), (b"host", b"localhost:8000")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 8000),
        "state": {},
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    # In a thread of its own: after the browser tests, Playwright's loop runs in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()  # type: ignore[arg-type]
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    names = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], names, body


def cookie_header(visitor: Visitor) -> str:
    return "; ".join(f"{name}={value}" for name, value in visitor.client.cookies.items())


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/login", 200),
        ("/healthz", 200),
        ("/manifest.webmanifest", 200),
        ("/sw.js", 200),
        ("/offline", 200),
        ("/logout", 200),
        ("/no-such-page", 404),
        ("/lang", 405),  # POST only: the same refusal a GET gets
    ],
)
def test_head_answers_like_get_without_a_body(raw_app: Litestar, path: str, status: int) -> None:
    got_status, got_headers, got_body = asgi(raw_app, "GET", path)
    head_status, head_headers, head_body = asgi(raw_app, "HEAD", path)
    assert got_status == head_status == status
    assert got_body and head_body == b""
    assert {k: v for k, v in got_headers.items() if k not in VOLATILE} == {
        k: v for k, v in head_headers.items() if k not in VOLATILE
    }


def test_head_on_a_static_file_and_a_signed_in_page(
    raw_app: Litestar, signed_in: Callable[[str], Visitor]
) -> None:
    app = raw_app
    static = asgi(app, "GET", "/sw.js")[2].decode()
    shell = json.loads(re.search(r"const SHELL=(\[.*?\]);", static).group(1))  # type: ignore[union-attr]
    css = next(url for url in shell if url.endswith(".css"))
    alva = cookie_header(signed_in("alva"))
    for path, cookie in ((css, ""), ("/", alva), ("/account", alva)):
        got = asgi(app, "GET", path, cookie)
        head = asgi(app, "HEAD", path, cookie)
        assert got[0] == head[0] == 200, path
        assert head[2] == b"" and got[1]["content-length"] == head[1]["content-length"], path


def test_head_on_a_pupils_plan_is_not_a_logged_read(
    raw_app: Litestar, db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    app = raw_app
    alva = demo_person(db, "alva")
    mentor = cookie_header(signed_in("mentor-4a"))
    status, _headers, body = asgi(app, "HEAD", f"/pupils/{alva.id}", mentor)
    assert status == 200 and body == b""
    assert db.exec(select(ReadLog)).all() == []
    assert asgi(app, "GET", f"/pupils/{alva.id}", mentor)[0] == 200
    assert len(db.exec(select(ReadLog)).all()) == 1


def test_head_through_the_test_client(visitor: Callable[[], Visitor]) -> None:
    response = visitor().client.head("/login")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")


@pytest.mark.database("sqlite")  # its own database, which is not one
def test_health_is_503_while_the_database_does_not_answer(tmp_path: Path) -> None:
    """A monitor or a proxy takes the process out: 503 with the reason, not a 500 page."""
    folder = tmp_path / "not-a-database.db"
    folder.mkdir()  # SQLite cannot open a folder
    app = create_app(
        Settings(database_url=f"sqlite:///{folder}", origin=ORIGIN, secret_key="test-secret")
    )
    client = TestClient(app)  # no lifespan: the hourly work would need the database too
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable", "database": "unreachable"}
