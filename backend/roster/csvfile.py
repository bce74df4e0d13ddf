"""The CSV roster, for schools without SS 12000 (docs/roster.md has the columns)."""

from __future__ import annotations

from pathlib import Path

from backend.roster.source import Roster, RosterError


def read(path: Path) -> Roster:
    raise RosterError(f"{path.name}: CSV import is not built yet")
