"""The floor plan (docs/DESIGN.md, "Rooms"): every room of backend/ stands on a floor, and
imports only rooms on the floors below. Read from the code's own imports (every `import` and
`from ... import`, inside functions and under TYPE_CHECKING too), so a circle between
packages, or an import from a shared room into a domain, fails here first."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BACKEND = REPO / "backend"

# Lowest first; a room may import the rooms before it, never one after it. The same list,
# with what lives in each room, is docs/DESIGN.md's "Rooms".
SHARED = [
    "settings", "i18n", "assets", "models", "migrations", "db", "names", "errors", "web",
    "readlog", "viewer", "access",
]  # fmt: skip
DOMAINS = [
    "retention", "roster", "notifications", "auth", "people", "schools", "terms", "plans",
    "notes", "goals", "threads", "reflections", "preparation", "groups", "stats", "talks",
    "compilation", "agreements", "exchange",
]  # fmt: skip
TOP = ["home", "mydata", "shell", "periodic", "demo", "cli", "app", "asgi"]
ROOMS = SHARED + DOMAINS + TOP
# Imports that run back up on purpose, each with its reason (DESIGN.md names them too).
BACK_UP: dict[tuple[str, str], str] = {}


def room_of(path: Path) -> str:
    return path.relative_to(BACKEND).parts[0].removesuffix(".py")


def imported(path: Path) -> Iterable[str]:
    """The backend modules a file imports, by their dotted names."""
    package = ".".join(path.relative_to(REPO).with_suffix("").parts)
    if path.name == "__init__.py":
        package += ".__init__"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: -node.level]
                base = ".".join([*parent, base] if base else parent)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def arrows(root: Path = BACKEND) -> dict[tuple[str, str], set[str]]:
    """(from room, to room) -> the files that import across."""
    found: dict[tuple[str, str], set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        source = room_of(path)
        for name in imported(path):
            parts = name.split(".")
            if parts[0] != "backend" or len(parts) < 2 or parts[1] == source:
                continue
            if (BACKEND / parts[1]).is_dir() or (BACKEND / f"{parts[1]}.py").is_file():
                found.setdefault((source, parts[1]), set()).add(str(path.relative_to(REPO)))
    return found


def back_up(found: dict[tuple[str, str], set[str]], order: list[str]) -> list[str]:
    floor = {room: i for i, room in enumerate(order)}
    return [
        f"{a} -> {b} ({', '.join(sorted(files))})"
        for (a, b), files in sorted(found.items())
        if floor[a] <= floor[b] and (a, b) not in BACK_UP
    ]


def circles(found: dict[tuple[str, str], set[str]]) -> list[list[str]]:
    """Strongly connected rooms (Tarjan), for a message that names the whole circle."""
    graph: dict[str, set[str]] = {}
    for a, b in found:
        graph.setdefault(a, set()).add(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while (w := stack.pop()) != v:
                group.append(w)
            if group:
                out.append(sorted([v, *group]))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_every_room_of_backend_has_a_floor() -> None:
    rooms = {room_of(p) for p in BACKEND.rglob("*.py")} - {"__init__"}
    assert sorted(rooms - set(ROOMS)) == [], "a new room: give it a floor here and in DESIGN"
    assert sorted(set(ROOMS) - rooms) == [], "a room that is gone: strike it here and in DESIGN"
    assert len(ROOMS) == len(set(ROOMS))


def test_no_circle_between_rooms_and_no_import_runs_back_up() -> None:
    found = arrows()
    assert circles(found) == []
    assert back_up(found, ROOMS) == []
    assert len(BACK_UP) <= 1


def test_shared_rooms_import_no_domain() -> None:
    found = arrows()
    shared = set(SHARED)
    assert sorted(f"{a} -> {b}" for a, b in found if a in shared and b not in shared) == []


def test_the_test_sees_a_circle_and_an_import_back_up(tmp_path: Path) -> None:
    found = {("plans", "goals"): {"backend/plans/x.py"}, ("goals", "plans"): {"y"}}
    assert circles(found) == [["goals", "plans"]]
    assert back_up(found, ROOMS) == ["plans -> goals (backend/plans/x.py)"]
    assert back_up({("access", "auth"): {"backend/access.py"}}, ROOMS)


def test_design_lists_the_rooms_in_this_order() -> None:
    design = (REPO / "docs" / "DESIGN.md").read_text()
    section = design.split("### Rooms", 1)[1].split("\n#", 1)[0]
    listed = re.findall(r"^- \[`backend/([a-z0-9_]+)(?:/|\.py)`\]", section, re.MULTILINE)
    assert listed == ROOMS
