"""First load (issue 6, item 15): a cold load of the sign-in page and of a pupil's home puts
at most 30 KB on the wire, at most 15 KB of it JavaScript, headers and the service worker's
install fetches included; a repeat load fetches no static file again.

Bytes are what Chromium reports per finished request (Playwright's sizes(): response
headers plus the encoded body), for the page and for the service worker. Which requests
really crossed the wire is checked against the server's own log: every request the
server answered during the load must be one that was counted, and the other way round."""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
from dataclasses import dataclass
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

KB = 1000  # the stricter reading of "KB"
LIMIT_TOTAL = 30 * KB
LIMIT_JS = 15 * KB
# The service worker is active once its install (the shell's fetches) has finished.
SW_ACTIVE = """async () => {
  const registration = await navigator.serviceWorker.ready;
  return registration.active && registration.active.state === "activated";
}"""
LOG_LINE = re.compile(r"INFO iup\.access (?P<method>[A-Z]+) (?P<route>\S+) (?P<status>\d+) ")


@dataclass
class Transfer:
    url: str
    worker: bool  # fetched by the service worker
    javascript: bool
    headers: int
    body: int

    @property
    def size(self) -> int:
        return self.headers + self.body


class Wire:
    """The requests of one context that reached the network, with their sizes."""

    def __init__(self, context: Any) -> None:
        self.transfers: list[Transfer] = []
        self.cached: list[str] = []
        context.on("requestfinished", self._finished)

    def _finished(self, request: Any) -> None:
        response = request.response()
        if response is None or response.from_service_worker:
            return  # answered by the worker's cache: nothing on the wire
        sizes = request.sizes()
        # From the HTTP cache, Chromium reports a body of 0 bytes (a static file always has
        # a body); for the service worker's own script too, so there the header says.
        if sizes["responseBodySize"] <= 0 and "/static/" in request.url:
            self.cached.append(request.url)
            return
        headers = response.headers
        body = sizes["responseBodySize"] or int(headers.get("content-length", "0"))
        self.transfers.append(
            Transfer(
                url=request.url,
                worker=request.service_worker is not None,
                javascript="javascript" in headers.get("content-type", ""),
                headers=sizes["responseHeadersSize"],
                body=body,
            )
        )

    def total(self) -> int:
        return sum(t.size for t in self.transfers)

    def javascript(self) -> int:
        return sum(t.size for t in self.transfers if t.javascript)

    def report(self, what: str) -> str:
        lines = [
            f"{what}: {self.total()} B in {len(self.transfers)} requests, "
            f"{self.javascript()} B JavaScript"
        ]
        lines += [
            f"  {t.size:6d} B ({t.headers} headers){' [worker]' if t.worker else ''} {t.url}"
            for t in self.transfers
        ]
        return "\n".join(lines)


def server_requests(live_server: Any, since: int) -> list[str]:
    """What the server answered after byte `since` of its log: "GET /route 200"."""
    text = live_server.log_path.read_bytes()[since:].decode(errors="replace")
    return [
        f"{m['method']} {m['route']} {m['status']}"
        for m in map(LOG_LINE.search, text.splitlines())
        if m
    ]


def log_size(live_server: Any) -> int:
    return live_server.log_path.stat().st_size


def settle(page: Any) -> None:
    """The worker is active (its install fetches are done) and the network is quiet."""
    page.wait_for_function(SW_ACTIVE)
    page.wait_for_load_state("networkidle")


def logged(live_server: Any, before: int, count: int) -> list[str]:
    """The server's request lines since `before`, once there are `count` of them: each is
    written just after its response is sent, so wait for the log to grow (`tail -f`, woken
    by each write; at most 5 s), not for a clock."""
    command = ["tail", "-c", f"+{before + 1}", "-f", str(live_server.log_path)]
    deadline = time.monotonic() + 5
    with subprocess.Popen(command, stdout=subprocess.PIPE) as tail:
        assert tail.stdout is not None
        try:
            while len(lines := server_requests(live_server, before)) < count:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([tail.stdout], [], [], left)[0]:
                    break
                if not os.read(tail.stdout.fileno(), 65536):  # new lines: count them again
                    break  # tail has gone
        finally:
            tail.kill()
    return lines


def cold_load(live_server: Any, context: Any, path: str) -> tuple[Wire, Any, list[str]]:
    wire = Wire(context)
    page = context.new_page()
    before = log_size(live_server)
    page.goto(path)
    settle(page)
    return wire, page, logged(live_server, before, len(wire.transfers))


def check_limits(wire: Wire, answered: list[str], what: str) -> None:
    report = wire.report(what)
    print("\n" + report)
    # The measurement itself must be plausible, or the limits prove nothing.
    assert wire.transfers, report
    assert any(t.worker for t in wire.transfers), "no request of the service worker seen"
    assert all(t.headers > 50 for t in wire.transfers), report
    assert len(answered) == len(wire.transfers), (
        f"the server answered {answered}, the browser counted:\n{report}"
    )
    assert 5 * KB < wire.total() <= LIMIT_TOTAL, report
    assert 2 * KB < wire.javascript() <= LIMIT_JS, report


def check_repeat(live_server: Any, page: Any, wire: Wire, path: str) -> None:
    """Loaded again (under the now active worker), no static file comes from the server."""
    before = log_size(live_server)
    wire.transfers.clear()
    page.goto(path)
    page.wait_for_load_state("networkidle")
    answered = logged(live_server, before, len(wire.transfers))
    assert answered, "the page itself comes from the server"
    static = [line for line in answered if " /static/" in line]
    assert static == [], f"static files fetched again: {static}\n{wire.report('repeat')}"
    assert not [t for t in wire.transfers if "/static/" in t.url], wire.report("repeat")


def test_cold_and_repeat_load_of_the_sign_in_page(live_server, new_context, watch) -> None:
    context = new_context()
    wire, page, answered = cold_load(live_server, context, "/login")
    check_limits(wire, answered, "cold /login")
    urls = [t.url for t in wire.transfers]
    assert not any("/js/htmx-" in u for u in urls), "the sign-in page loads no htmx"
    assert any("/js/passkey." in u for u in urls), "the sign-in page has its passkey code"
    check_repeat(live_server, page, wire, "/login")


def test_cold_and_repeat_load_of_a_pupils_home(
    live_server, new_context, add_authenticator, enrol
) -> None:
    # Sign up in one context; take only the session cookie to a fresh one (empty caches,
    # no service worker): the pupil's first visit from a new device, already signed in.
    signup = new_context()
    first = signup.new_page()
    add_authenticator(first)
    enrol(first, live_server.enrolment_url("Maja Andersson"))
    cookies = [c for c in signup.cookies() if c["name"] != "iup_csrf"]
    signup.close()

    context = new_context()
    context.add_cookies(cookies)
    wire, page, answered = cold_load(live_server, context, "/")
    assert page.get_by_role("heading", level=1).text_content() == "Mina mål"
    check_limits(wire, answered, "cold /")
    urls = [t.url for t in wire.transfers]
    assert any("/js/htmx-" in u for u in urls), "the pupil's home uses htmx"
    assert not any("/js/passkey." in u for u in urls), "no passkey code without passkey buttons"
    document = next(t for t in wire.transfers if t.url.endswith("/"))
    assert document.body < 6 * KB, f"the home page's HTML is compressed: {document}"
    check_repeat(live_server, page, wire, "/")
