"""Pytest fixtures: the municipality built once per session (a migrated SQLite file with its
SS 12000 files imported and a term's activity seeded), and a copy of it per test.

    from tests.municipality.fixtures import town_fixture, town_template_fixture  # noqa: F401

`town.kinds` maps each kind of person (generate.KINDS) to her Person.id in the database;
`town.model` is the generator's own model, with the ground truth (`may_see`)."""

from __future__ import annotations

import os
import shutil
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


def settings_for(path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{path}", origin=ORIGIN, rp_id="localhost", secret_key="test-secret"
    )


@dataclass
class Template:
    model: Municipality
    seeded: Seeded
    database: Path  # the built file: copy it, never open it
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
def town_template_fixture(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """Generated, written, imported and seeded once; tests get copies."""
    root = tmp_path_factory.mktemp("municipality")
    path = root / "iup.db"
    settings = settings_for(path)
    model = generate(**knobs(), today=settings.today())  # the app's today, in its zone
    seeded = build(
        model, folder=root / "ss12000", database_url=settings.database_url, settings=settings
    )
    return Template(model=model, seeded=seeded, database=path, files=root / "ss12000")


@pytest.fixture(name="town")
def town_fixture(tmp_path: Path, town_template: Template) -> Town:
    path = tmp_path / "iup.db"
    shutil.copyfile(town_template.database, path)
    return Town(
        model=town_template.model,
        seeded=town_template.seeded,
        settings=settings_for(path),
        files=town_template.files,
    )
