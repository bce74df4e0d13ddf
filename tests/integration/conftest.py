"""The app through Litestar's TestClient, on a copy of the migrated demo school (an SQLite
file, or with IUP_TEST_DATABASE=postgresql a PostgreSQL database), and a `Visitor`: a
client with its CSRF token and its own software authenticator."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import msgspec
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
from tests.support import TEST_DATABASE, MasterCopy, master_copy, postgres_database

ORIGIN = "http://localhost:8000"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked `database("postgresql")` is about that database alone: the run on the
    other database leaves it out (deselected, not skipped). A test marked `long` runs
    first."""
    other = [
        i for i in items if (m := i.get_closest_marker("database")) and m.args[0] != TEST_DATABASE
    ]
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = [i for i in items if i not in other]
    # The long ones first, so that no core is left alone with one at the end (-n auto).
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture
def empty_url(tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it yet, on the run's database."""
    if TEST_DATABASE == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with postgres_database("iup_empty") as url:
        yield url


def build_demo(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        seed(session, today=date.today())  # noqa: DTZ011
    engine.dispose()


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MasterCopy]:
    """Migrated and seeded once (on the run's database); every test starts from a copy."""
    with master_copy(tmp_path_factory.mktemp("template"), "demo", build_demo) as master:
        yield master


@pytest.fixture
def fresh(demo_master: MasterCopy) -> Callable[[str], str]:
    """`fresh(name)`: a new copy of the demo; its URL is the same in every test, so that
    the apps `servers` keeps serve it."""
    return demo_master.copy


@pytest.fixture
def settings(fresh: Callable[[str], str]) -> Settings:
    return Settings(
        database_url=fresh("iup"),
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

    def __init__(self, client: httpx.Client) -> None:
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
        return self._signed(
            self.post(f"/enrol/{code}/verify", json=self.authenticator.register(options.json()))
        )

    def sign_in(self) -> httpx.Response:
        options = self.post("/auth/login/options", json={})
        assert options.status_code == 201, options.text
        return self._signed(
            self.post("/auth/login/verify", json=self.authenticator.login(options.json()))
        )

    def _signed(self, answer: httpx.Response) -> httpx.Response:
        """A sign-in gives a new CSRF token (and cookie), as the page's script takes it."""
        if answer.status_code == 201:
            self._token = answer.json()["csrf"]
        return answer


class Servers:
    """Apps kept for the whole run, two for each `Settings`: building one takes 0.6 s (its
    routes), and a test's settings name the same database in every test (`fresh`)."""

    def __init__(self, stack: ExitStack) -> None:
        self.stack = stack
        self.pairs: dict[bytes, tuple[TestClient[Litestar], ...]] = {}

    def pair(self, settings: Settings) -> tuple[TestClient[Litestar], ...]:
        key = msgspec.json.encode(settings)
        if key not in self.pairs:
            self.pairs[key] = tuple(
                self.stack.enter_context(TestClient(create_app(settings))) for _ in range(2)
            )
        return self.pairs[key]

    def release(self) -> None:
        """After a test: no connection stays open into a database the next one replaces."""
        for pair in self.pairs.values():
            for server in pair:
                server.app.state.engine.dispose()


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    with ExitStack() as stack:
        yield Servers(stack)


@pytest.fixture
def visitor(settings: Settings, servers: Servers) -> Iterator[Callable[[], Visitor]]:
    """Visitors are served in turn by two apps over the same database, as if by two
    processes: nothing may live in the process. Each visitor has cookies of her own."""
    pair = servers.pair(settings)
    served = itertools.count()

    def make() -> Visitor:
        server = pair[next(served) % 2]
        return Visitor(
            httpx.Client(
                base_url=server.base_url,
                headers=server.headers,
                follow_redirects=True,
                transport=server._transport,
            )
        )

    yield make
    servers.release()


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
def other(fresh: Callable[[str], str]) -> Settings:
    return Settings(
        database_url=fresh("receiving"),
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
