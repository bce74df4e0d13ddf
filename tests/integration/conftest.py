"""The app through Litestar's TestClient, on a migrated SQLite file with the demo school,
and a `Visitor`: a client with its CSRF token and its own software authenticator."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from backend.app import create_app
from backend.auth.service import issue_enrolment_code
from backend.db import make_engine, upgrade
from backend.demo import external, seed
from backend.models import Person
from backend.settings import Settings
from tests.softauthn import SoftAuthenticator
from tests.support import postgres_database

ORIGIN = "http://localhost:8000"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_database("iup_test") as url:
        yield url


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Migrate and seed once; every test starts from a copy of this file."""
    path = tmp_path_factory.mktemp("template") / "iup.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        seed(session, today=date.today())  # noqa: DTZ011
    engine.dispose()
    return path.read_bytes()


@pytest.fixture
def settings(tmp_path: Path, template_db: bytes) -> Settings:
    path = tmp_path / "iup.db"
    path.write_bytes(template_db)
    return Settings(
        database_url=f"sqlite:///{path}",
        origin=ORIGIN,
        rp_id="localhost",
        secret_key="test-secret",
        debug=True,
    )


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
def db(settings: Settings) -> Iterator[Session]:
    engine: Engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def demo_person(db: Session, key: str) -> Person:
    person = db.exec(select(Person).where(Person.external_id == external(key))).one()
    assert person.id is not None
    return person


class Visitor:
    """One browser: cookies, a CSRF token read from the page, and an authenticator."""

    def __init__(self, client: TestClient[Litestar]) -> None:
        self.client = client
        self.authenticator = SoftAuthenticator(origin=ORIGIN)
        self._token: str | None = None

    @property
    def token(self) -> str:
        if self._token is None:
            match = re.search(
                r'name="csrf-token" content="([^"]+)"', self.client.get("/login").text
            )
            assert match, "the page carries a CSRF token"
            self._token = match.group(1)
        return self._token

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(url, follow_redirects=False, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"x-csrftoken": self.token, **kwargs.pop("headers", {})}
        return self.client.post(url, headers=headers, follow_redirects=False, **kwargs)

    def form(self, url: str, data: dict[str, str], **kwargs: Any) -> httpx.Response:
        """A plain HTML form post: the token travels as a form field, not a header."""
        self.token
        return self.client.post(
            url, data={"_csrf_token": self.token, **data}, follow_redirects=False, **kwargs
        )

    def enrol(self, code: str) -> httpx.Response:
        options = self.post(f"/enrol/{code}/options", json={})
        assert options.status_code == 201, options.text
        return self.post(f"/enrol/{code}/verify", json=self.authenticator.register(options.json()))

    def sign_in(self) -> httpx.Response:
        options = self.post("/auth/login/options", json={})
        assert options.status_code == 201, options.text
        return self.post("/auth/login/verify", json=self.authenticator.login(options.json()))


@pytest.fixture
def visitor(settings: Settings) -> Iterator[Callable[[], Visitor]]:
    """Each visitor gets an app of its own over the same database, as if each browser were
    served by another process: nothing may live in the process."""
    with ExitStack() as stack:
        yield lambda: Visitor(stack.enter_context(TestClient(create_app(settings))))


@pytest.fixture
def signed_in(db: Session, visitor: Callable[[], Visitor]) -> Callable[[str], Visitor]:
    """A visitor who has enrolled as the demo person `key` (and so is signed in)."""

    def make(key: str) -> Visitor:
        person = demo_person(db, key)
        assert person.id is not None
        code = issue_enrolment_code(db, person_id=person.id, hours=1)
        guest = visitor()
        response = guest.enrol(code)
        assert response.status_code == 201, response.text
        return guest

    return make


# The receiving installation of an exchange: another school, another web origin and
# relying party, with the same demo people (so the same SS 12000 ids).
THEIR_ORIGIN = "https://skola-b.example"
THEIR_RP_ID = "skola-b.example"


@pytest.fixture
def other(tmp_path: Path, template_db: bytes) -> Settings:
    path = tmp_path / "receiving.db"
    path.write_bytes(template_db)
    return Settings(
        database_url=f"sqlite:///{path}",
        origin=THEIR_ORIGIN,
        rp_id=THEIR_RP_ID,
        secret_key="other-secret",
        debug=True,
    )


@pytest.fixture
def other_db(other: Settings) -> Iterator[Session]:
    engine = make_engine(other.database_url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()
