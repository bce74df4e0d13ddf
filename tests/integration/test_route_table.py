"""The route table is a contract (paths an issue names, the policies tests/integration/
test_access.py reviews): moving code between rooms must not change it. tests/data/routes.txt
is the table as it stood before the move; a change to it is a change of the contract, made
on purpose and reviewed in the diff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, get

from backend import access
from backend.app import create_app
from tests.integration.test_access import handlers

TABLE = Path(__file__).resolve().parents[1] / "data" / "routes.txt"


def route_table(app: Litestar) -> list[str]:
    """One line a path and method: the path, the method and the access policy it declares."""
    rows = set()
    for path, handler in handlers(app):
        provide = handler.resolve_dependencies().get("access")
        policy = getattr(provide.dependency, "policy", "none") if provide else "none"
        for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
            rows.add(f"{path} {method} {policy}")
    return sorted(rows)


def test_the_route_table_is_the_one_written_down(app: Litestar) -> None:
    written = TABLE.read_text().splitlines()
    now = route_table(app)
    assert [r for r in now if r not in written] == [], "routes that are not in routes.txt"
    assert [r for r in written if r not in now] == [], "routes in routes.txt that are gone"
    assert now == written


def test_the_table_test_fails_on_a_route_added_without_writing_it_down(settings: Any) -> None:
    @get("/forgotten", dependencies=access.PUBLIC, sync_to_thread=False)
    def forgotten() -> str:
        return "data"

    app = create_app(settings)
    app.register(forgotten)
    with pytest.raises(AssertionError, match=r"not in routes\.txt"):
        test_the_route_table_is_the_one_written_down(app)


def test_every_route_has_a_name_in_its_room(app: Litestar) -> None:
    """Templates and redirects reach a route by its name (`url_for`, `web.see_other`), so
    a path can change in one place. The name is `<room>.<handler>`."""
    names = []
    for path, handler in handlers(app):
        room = handler.fn.__module__.split(".")[1]
        assert handler.name == f"{room}.{handler.fn.__name__}", path
        names.append(handler.name)
    assert len(names) == len(set(names))
