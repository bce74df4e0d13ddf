"""Fixtures for the service tests: settings built in code (never from the environment), a
SQLite file per test with the real Alembic migration applied, a session, and people."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from backend.db import make_engine, upgrade
from backend.models import Person
from backend.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'iup.db'}",
        origin="http://localhost:8000",
        rp_id="localhost",
        secret_key="test",
    )


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The real Alembic migration, applied once; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("migrated") / "iup.db"
    upgrade(f"sqlite:///{path}")
    return path.read_bytes()


@pytest.fixture
def engine(settings: Settings, tmp_path: Path, migrated: bytes) -> Iterator[Engine]:
    (tmp_path / "iup.db").write_bytes(migrated)
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def make_person(session: Session) -> Callable[..., Person]:
    def make(given_name: str = "Alva", family_name: str = "Berg") -> Person:
        person = Person(
            given_name=given_name, family_name=family_name, user_handle=secrets.token_bytes(32)
        )
        session.add(person)
        session.commit()
        session.refresh(person)
        return person

    return make


@pytest.fixture
def person(make_person: Callable[..., Person]) -> Person:
    return make_person()
