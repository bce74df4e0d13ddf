"""The route table is a contract (paths an issue names, the policies tests/integration/
test_access.py reviews): moving code between rooms must not change it. tests/data/routes.txt
is the table as it stood before the move; a change to it is a change of the contract, made
on purpose and reviewed in the diff."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar, get
from litestar.testing import TestClient

from backend import access
from backend.app import create_app
from backend.settings import Settings
from backend.web import CSP, OWN_HEADERS
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


def test_every_route_answers_with_the_security_headers(settings: Settings) -> None:
    """Each GET route of the table, as served over https, answers (whatever its status)
    with the page policies and HSTS: the content security policy, the opener isolated, no
    camera, microphone or position, and a year of https only. Static files and the service
    worker carry their own few headers when found (shell.STATIC_HEADERS)."""
    https = msgspec.structs.replace(
        settings, origin="https://iup.kommun.example", rp_id="iup.kommun.example"
    )
    app = create_app(https)
    paths = sorted({path for path, handler in handlers(app) if "GET" in handler.http_methods})
    missing = []
    with TestClient(app, base_url="https://iup.kommun.example") as client:
        for path in paths:
            url = re.sub(r"\{[^}]+\}", "1", path)  # a made-up id: refused, with the headers
            answer = client.get(url, follow_redirects=False)
            if answer.status_code == 200 and url.startswith(OWN_HEADERS):
                continue
            headers = answer.headers
            if not (
                headers.get("content-security-policy") == CSP
                and headers.get("cross-origin-opener-policy") == "same-origin"
                and {"camera=()", "microphone=()", "geolocation=()"}
                <= set(headers.get("permissions-policy", "").replace(",", " ").split())
                and headers.get("strict-transport-security") == "max-age=31536000"
            ):
                missing.append(f"{url} {answer.status_code}")
    assert len(paths) > 80
    assert missing == []


def test_plain_http_gets_no_hsts(settings: Settings) -> None:
    """HSTS over http would be ignored at best; a school trying it on localhost gets none."""
    with TestClient(create_app(settings)) as client:
        assert "strict-transport-security" not in client.get("/login").headers
