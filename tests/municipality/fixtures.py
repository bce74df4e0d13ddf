"""Pytest fixtures: the municipality built once per session (a migrated database, SQLite or
with IUP_TEST_DATABASE=postgresql PostgreSQL, with its SS 12000 files imported and a
term's activity seeded), and a copy of it per test.

    from tests.municipality.fixtures import town_fixture, town_template_fixture  # noqa: F401

`town.kinds` maps each kind of person (generate.KINDS) to her Person.id in the database;
`town.model` is the generator's own model, with the ground truth (`may_see`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import Session

from backend.db import make_engine
from backend.settings import Settings
from tests.municipality.generate import Municipality, generate
from tests.municipality.seed import Seeded, build
from tests.support import MasterCopy, master_copy

ORIGIN = "http://localhost:8000"  # as tests/integration/conftest.py
KNOBS = {"seed": 12000, "schools": 3, "pupils_per_class": 4, "classes_per_year": 2}


def knobs() -> dict[str, int]:
    """KNOBS, or another municipality for a longer look: IUP_MUNICIPALITY="seed=7,schools=4"."""
    chosen = dict(KNOBS)
    for pair in filter(None, os.environ.get("IUP_MUNICIPALITY", "").split(",")):
        key, _, value = pair.partition("=")
        if key.strip() not in KNOBS:
            raise ValueError(f"IUP_MUNICIPALITY: {key!r} is not one of {', '.join(KNOBS)}")
        chosen[key.strip()] = int(value)
    return chosen


def settings_for(url: str) -> Settings:
    return Settings(database_url=url, origin=ORIGIN, rp_id="localhost", secret_key="test-secret")


@dataclass
class Template:
    model: Municipality
    seeded: Seeded
    master: MasterCopy  # the built database: copy it, never open it
    files: Path  # the SS 12000 files it was imported from


@dataclass
class Town:
    model: Municipality
    seeded: Seeded
    settings: Settings
    files: Path

    @property
    def kinds(self) -> dict[str, int]:
        return {kind: self.seeded.ids[ext] for kind, ext in self.model.kinds.items()}

    def id(self, ext: str) -> int:
        return self.seeded.ids[ext]

    @contextmanager
    def session(self) -> Iterator[Session]:
        engine = make_engine(self.settings.database_url)
        try:
            with Session(engine, expire_on_commit=False) as session:
                yield session
        finally:
            engine.dispose()


@pytest.fixture(scope="session", name="town_template")
def town_template_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    """Generated, written, imported and seeded once; tests get copies."""
    root = tmp_path_factory.mktemp("municipality")
    model = generate(**knobs(), today=settings_for("sqlite://").today())  # the app's day
    seeded: list[Seeded] = []

    def build_town(url: str) -> None:
        settings = settings_for(url)
        seeded.append(build(model, folder=root / "ss12000", database_url=url, settings=settings))

    with master_copy(root, "town", build_town) as master:
        yield Template(model=model, seeded=seeded[0], master=master, files=root / "ss12000")


@pytest.fixture(name="town")
def town_fixture(town_template: Template) -> Town:
    url = town_template.master.copy("iup")
    return Town(
        model=town_template.model,
        seeded=town_template.seeded,
        settings=settings_for(url),
        files=town_template.files,
    )
