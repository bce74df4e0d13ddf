"""Browser tests: the real app (`iup serve`, granian) on a temporary SQLite file, driven by
Debian's Chromium through Playwright, with a CDP virtual authenticator for passkeys.

One server and one browser per session; a new browser context per test. Every test fails
on a JavaScript error, a console error (CSP violations are console errors) or a request to
any host but the test server, unless the test declares the console error it expects."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, ClassVar
from urllib.parse import urlsplit

import httpx
import pytest

from backend.auth.sessions import CSRF_COOKIE, SESSION_COOKIE
from tests.softauthn import SoftAuthenticator
from tests.support import DEMO_LINE, free_port, stop_server

CHROMIUM_PATH = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BIN = Path(sys.executable).parent
IUP = str(BIN / "iup")


def chromium() -> str:
    """The browser, or skip (fail on CI) loudly when it is missing."""
    path = CHROMIUM_PATH if Path(CHROMIUM_PATH).exists() else shutil.which("chromium")
    if path:
        return path
    reason = (
        "Chromium not installed: apt-get install -y --no-install-recommends chromium "
        "— browser tests NOT run"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (CI=true: a missing browser is an error)", pytrace=False)
    pytest.skip(reason)
    raise AssertionError("unreachable")


# ---- The live server ---------------------------------------------------------------------


@dataclass
class LiveServer:
    port: int
    env: dict[str, str]
    db_path: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    log: BinaryIO | None = None
    links: dict[str, str] = field(default_factory=dict)  # name -> unused enrolment URL

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def iup(self, *args: str) -> str:
        result = subprocess.run(
            [IUP, *args], env=self.env, capture_output=True, text=True, timeout=60, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"iup {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def demo(self) -> None:
        """Seed the demo school; remember each person's one-time link."""
        for line in self.iup("demo").splitlines():
            match = DEMO_LINE.match(line.rstrip())
            if match:
                self.links[match["name"]] = match["url"]
        assert "Alva Nilsson" in self.links, "`iup demo` printed no link for Alva Nilsson"

    def person_id(self, name: str) -> int:
        given, family = name.split(" ", 1)
        with contextlib.closing(sqlite3.connect(self.db_path)) as db:
            row = db.execute(
                "SELECT id FROM person WHERE given_name = ? AND family_name = ?", (given, family)
            ).fetchone()
        assert row is not None, f"no demo person called {name}"
        return int(row[0])

    def add_person(self, name: str) -> tuple[int, bool]:
        """A person who is not in the demo (no passkey, no stored language, no link): her
        id, and whether she is new. Added once: a second call finds her."""
        given, family = name.split(" ", 1)
        with contextlib.closing(sqlite3.connect(self.db_path)) as db:
            found = db.execute(
                "SELECT id FROM person WHERE given_name = ? AND family_name = ?", (given, family)
            ).fetchone()
            if found:
                return int(found[0]), False
            cursor = db.execute(
                "INSERT INTO person (given_name, family_name, user_handle, created_at) "
                "VALUES (?, ?, ?, ?)",
                (given, family, secrets.token_bytes(32), datetime.now(UTC).isoformat(" ")),
            )
            db.commit()
            return int(cursor.lastrowid or 0), True

    def add_guardian(self, name: str, *, child: str, access: bool = True) -> int:
        """A guardian of `child` who is not in the demo, for a file whose steps count her
        passkeys or change her access; her id. Added once: a second call finds her."""
        guardian, new = self.add_person(name)
        if new:
            with contextlib.closing(sqlite3.connect(self.db_path)) as db:
                db.execute(
                    "INSERT INTO guardianship (guardian_id, pupil_id, has_access, relation) "
                    "VALUES (?, ?, ?, 'Vårdnadshavare')",
                    (guardian, self.person_id(child), int(access)),
                )
                db.commit()
        return guardian

    def enrolment_url(self, name: str) -> str:
        """A one-time sign-up link for a demo person: the one `iup demo` printed the first
        time, afterwards a fresh one from `iup enrol ID` (which replaces older links)."""
        url = self.links.pop(name, None)
        if url is None:
            url = self.iup("enrol", str(self.person_id(name))).strip().splitlines()[-1]
        assert url.startswith(self.url + "/enrol/"), url
        return url

    def start(self) -> None:
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [IUP, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_healthy(self, seconds: float = 20) -> bool:
        deadline = time.monotonic() + seconds
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/healthz", timeout=1
                ) as response:
                    if response.status == 200 and json.load(response).get("status") == "ok":
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            stop_server(process)
        if self.log is not None:
            self.log.close()
            self.log = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def _settings_env(tmp: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IUP_")}
    env.update(
        {
            "IUP_DATABASE_URL": f"sqlite:///{tmp / 'iup.db'}",
            "IUP_ORIGIN": f"http://localhost:{port}",
            "IUP_RP_ID": "localhost",
            "IUP_SECRET_KEY": "e2e-test-secret",
            "IUP_DEBUG": "true",
            # The whole suite is a school behind one address, signing up dozens of people.
            "IUP_SIGN_INS_PER_ADDRESS": "1200",
            "PYTHONWARNINGS": "ignore",  # the server's own warnings are not this suite's business
        }
    )
    return env


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    chromium()  # no browser: skip before paying for the server
    tmp = tmp_path_factory.mktemp("e2e")
    port = free_port()
    server = LiveServer(
        port=port, env=_settings_env(tmp, port), db_path=tmp / "iup.db", log_path=tmp / "server.log"
    )
    server.iup("db", "upgrade")
    server.demo()
    for _attempt in range(3):  # the free port may be taken between choosing and binding
        server.start()
        if server.wait_healthy():
            break
        server.stop()
        server.port = free_port()
        server.env = _settings_env(tmp, server.port)  # the WebAuthn origin follows the port
        server.links = {
            name: re.sub(r"^http://localhost:\d+", server.url, url)
            for name, url in server.links.items()
        }
    else:
        pytest.fail(f"iup serve did not become healthy:\n{server.log_text()}")
    try:
        yield server
    finally:
        server.stop()


# ---- The browser ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright(live_server: LiveServer) -> Iterator[Any]:
    chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    browser = playwright.chromium.launch(
        executable_path=chromium(), args=LAUNCH_ARGS, headless=True
    )
    try:
        yield browser
    finally:
        browser.close()


@dataclass
class Watch:
    """What the pages of one context did: errors, console errors, requested URLs."""

    origin: str
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow_console(self, pattern: str) -> None:
        """Declare an expected console error (e.g. the browser's note about a 410 page)."""
        self.allowed.append(re.compile(pattern))

    def attach(self, page: Any) -> None:
        page.on("pageerror", lambda err: self.errors.append(f"{page.url}: {err}"))
        page.on(
            "console",
            lambda msg: (
                msg.type == "error"
                and self.console.append(f"{page.url}: {msg.text} @ {msg.location.get('url', '')}")
            ),
        )

    def problems(self) -> list[str]:
        out = [f"page error: {e}" for e in self.errors]
        out += [
            f"console error: {c}"
            for c in self.console
            if not any(p.search(c) for p in self.allowed)
        ]
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in {"data", "blob", "about"}:
                continue
            if f"{parts.scheme}://{parts.netloc}" != self.origin:
                out.append(f"request to another host: {url}")
        return out


@pytest.fixture
def watch(live_server: LiveServer) -> Watch:
    return Watch(origin=live_server.url)


@pytest.fixture
def new_context(
    browser: Any, playwright: Any, live_server: LiveServer, watch: Watch, tmp_path: Path
) -> Iterator[Any]:
    """new_context(**options): a fresh browser context (own cookies, storage, service
    worker) whose pages are watched; all are closed after the test, then checked.
    new_context(persistent=True) is a context with a profile on disk, i.e. not incognito,
    in a browser of its own (Chromium does not offer to install apps in incognito)."""
    contexts: list[Any] = []

    def make(*, persistent: bool = False, **options: Any) -> Any:
        options.setdefault("base_url", live_server.url)
        options.setdefault("locale", "sv-SE")
        if persistent:
            context = playwright.chromium.launch_persistent_context(
                tmp_path / f"profile-{len(contexts)}",
                executable_path=chromium(),
                args=LAUNCH_ARGS,
                headless=True,
                **options,
            )
            for page in context.pages:
                watch.attach(page)
        else:
            context = browser.new_context(**options)
        context.on("page", watch.attach)
        context.on("request", lambda request: watch.requests.append(request.url))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    problems = watch.problems()
    assert not problems, "the browser reported problems:\n" + "\n".join(problems)


@pytest.fixture
def context(new_context: Any) -> Any:
    return new_context()


@pytest.fixture
def page(context: Any) -> Any:
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


# ---- Passkeys: the CDP virtual authenticator --------------------------------------------------


class Authenticator:
    """A platform authenticator with resident keys and user verification, on one page."""

    OPTIONS: ClassVar[dict[str, Any]] = {
        "protocol": "ctap2",
        "ctap2Version": "ctap2_1",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }

    def __init__(self, page: Any) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable", {"enableUI": False})
        self.id = self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": self.OPTIONS})[
            "authenticatorId"
        ]

    def credentials(self) -> list[dict[str, Any]]:
        return list(
            self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]
        )

    def remove(self) -> None:
        self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": self.id})


@pytest.fixture
def add_authenticator() -> Any:
    """add_authenticator(page) -> Authenticator."""
    return Authenticator


def _enrol(page: Any, url: str) -> None:
    """Open a sign-up link and create a passkey; ends on the home page."""
    page.goto(url)
    page.locator('[data-passkey="register"]').click()
    page.wait_for_url(re.compile(r"/(pupils/\d+)?\?welcome=1$"))  # a guardian: her child


def _sign_in(page: Any) -> None:
    """Usernameless sign-in with the button on /login; ends on the home page."""
    page.goto("/login")
    page.locator('[data-passkey="login"]').click()
    page.wait_for_url(re.compile(r"^[^?]+://[^/]+/$"))


# ---- Accessibility -----------------------------------------------------------------------------


def _axe_check(page: Any) -> None:
    """axe-core (WCAG 2.0/2.1 A and AA) finds nothing on the page as it is now.

    axe_playwright_python injects axe with page.evaluate, i.e. CDP Runtime.evaluate, which
    the page's CSP (script-src 'self') does not govern; the app keeps its CSP enforced."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    if results.violations_count:
        pytest.fail(f"axe on {page.url}:\n{results.generate_report()}", pytrace=False)


def _axe_check_without_js(page: Any) -> None:
    """_axe_check for a page of a context with java_script_enabled=False.

    There page.evaluate waits forever, and even in an isolated world timers never fire, so
    axe cannot finish. It checks a copy instead: the page's DOM as rendered without
    scripts (so <noscript> content shown, <script> gone), served at the same URL to a
    throwaway context with scripts on, where nothing but axe runs."""
    html = page.content()
    html = re.sub(r"<script\b[^>]*>.*?</script\s*>", "", html, flags=re.DOTALL | re.IGNORECASE)
    html = re.sub(r"</?noscript\b[^>]*>", "", html, flags=re.IGNORECASE)
    target = page.url.split("#", 1)[0]
    mirror = page.context.browser.new_context()
    try:
        copy = mirror.new_page()
        copy.route(
            lambda url: url.split("#", 1)[0] == target,
            lambda route: route.fulfill(
                status=200, content_type="text/html; charset=utf-8", body=html
            ),
        )
        copy.goto(target)
        assert copy.locator("script").count() == 0
        _axe_check(copy)
    finally:
        mirror.close()


@pytest.fixture
def axe_check() -> Any:
    """axe_check(page): fails the test on any WCAG 2.0/2.1 A/AA violation."""
    return _axe_check


@pytest.fixture
def axe_check_without_js() -> Any:
    """axe_check_without_js(page): axe_check for a context with java_script_enabled=False."""
    return _axe_check_without_js


@pytest.fixture
def enrol() -> Any:
    """enrol(page, url): create a passkey with a sign-up link; ends on the home page."""
    return _enrol


@pytest.fixture
def signed_up(live_server: Any, new_context: Any) -> Any:
    """signed_up(name, options) -> page: a new context (PHONE or DESKTOP) with its own
    authenticator, where the demo person has signed up with her link; on her home page."""

    def person(name: str, options: dict[str, Any]) -> Any:
        page = new_context(**options).new_page()
        Authenticator(page)
        _enrol(page, live_server.enrolment_url(name))
        return page

    return person


@pytest.fixture
def sign_in() -> Any:
    """sign_in(page): the sign-in button on /login; ends on the home page."""
    return _sign_in


def _go_offline(page: Any) -> None:
    """The context goes offline, and the test waits until that holds for every path a
    request can take: Chromium applies the emulation to the service worker, and to the
    JSON API's requests the worker's static route sends to the network, a moment later
    than to the page (a save sent at once has got through under load). So it waits until
    a plain request and an /api/ request both fail, and only then refuses the page's JSON
    requests here as well (a route would fail the probe at once), until `go_online`."""
    page.context.set_offline(True)
    page.wait_for_function(
        """() => Promise.all(['/healthz', '/api/notifications'].map((url) =>
               fetch(url, {cache: 'no-store'}).then(() => false, () => true)))
             .then((failed) => failed.every(Boolean))""",
        polling=100,
    )
    page.context.route("**/api/**", lambda route: route.abort("internetdisconnected"))


@pytest.fixture
def go_offline() -> Any:
    """go_offline(page): no connection, for the page and its service worker alike."""
    return _go_offline


def _go_online(page: Any) -> None:
    page.context.unroute("**/api/**")
    page.context.set_offline(False)


@pytest.fixture
def go_online() -> Any:
    """go_online(page): the connection is back (after go_offline)."""
    return _go_online


# ---- A person through the JSON API (no browser): setting up what a journey starts from -------


class ApiPerson:
    """A demo person signed up over plain HTTP with a software passkey (tests/softauthn.py):
    for a test that needs, say, a published written plan before its browser journey starts.
    `call` refuses anything but a 2xx."""

    def __init__(self, live_server: LiveServer, name: str) -> None:
        self.client = httpx.Client(base_url=live_server.url, timeout=10)
        self.authenticator = SoftAuthenticator(origin=live_server.url)
        match = re.search(r'name="csrf-token" content="([^"]+)"', self.client.get("/login").text)
        assert match, "the page carries a CSRF token"
        self.token = match.group(1)
        code = live_server.enrolment_url(name).rsplit("/enrol/", 1)[1]
        options = self.call("POST", f"/enrol/{code}/options", {})
        signed = self.call("POST", f"/enrol/{code}/verify", self.authenticator.register(options))
        self.token = signed["csrf"]  # new at sign-in, bound to her session

    def call(self, method: str, url: str, body: Any = None) -> Any:
        response = self.client.request(method, url, json=body, headers={"x-csrftoken": self.token})
        assert 200 <= response.status_code < 300, f"{method} {url}: {response.text}"
        return response.json()

    def cookies(self) -> list[dict[str, Any]]:
        """Her session, for a browser context to go on as her (add_cookies)."""
        kept = [(name, self.client.cookies.get(name)) for name in (SESSION_COOKIE, CSRF_COOKIE)]
        assert all(value for _, value in kept), "signed in"
        return [{"name": n, "value": v, "url": str(self.client.base_url)} for n, v in kept]

    def sign(self, agreement_id: int) -> None:
        options = self.call("POST", f"/api/agreements/{agreement_id}/signature/options", {})
        self.call(
            "POST", f"/api/agreements/{agreement_id}/signature", self.authenticator.login(options)
        )


@pytest.fixture
def api_person(live_server: LiveServer) -> Iterator[Any]:
    """api_person(name) -> ApiPerson, signed up with a fresh link; closed after the test."""
    made: list[ApiPerson] = []

    def make(name: str) -> ApiPerson:
        made.append(ApiPerson(live_server, name))
        return made[-1]

    yield make
    for person in made:
        person.client.close()


# ---- The crawl's figures, printed at the end of the run (CI's output) ------------------------

CRAWLED: set[tuple[str, str, int, str]] = set()  # (role, language, width, kind of page)


@pytest.fixture
def crawled() -> set[tuple[str, str, int, str]]:
    """crawled.add((role, language, width, kind of page)) for every page a crawl checked
    (axe, width, language); the totals are printed after the tests."""
    return CRAWLED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not CRAWLED:
        return
    pages = {page for _role, _lang, _width, page in CRAWLED}
    roles = sorted({role for role, _lang, _width, _page in CRAWLED})
    langs = sorted({lang for _role, lang, _width, _page in CRAWLED})
    widths = sorted({width for _role, _lang, width, _page in CRAWLED})
    write = terminalreporter.write_line
    write("")
    write(
        f"crawl: {len(pages)} kinds of page × {len(roles)} roles ({', '.join(roles)}) × "
        f"{len(widths)} widths ({', '.join(f'{w} px' for w in widths)}) × {len(langs)} "
        f"languages ({', '.join(langs)}): {len(CRAWLED)} checked pages, 0 axe violations, "
        "nothing wider than the window (also at 320 px and 800 px)"
    )
    for role in roles:
        for lang in langs:
            counts = [
                len({p for r, la, w, p in CRAWLED if (r, la, w) == (role, lang, width)})
                for width in widths
            ]
            write(
                f"  {role:<9} {lang}: "
                + ", ".join(f"{c} at {w} px" for c, w in zip(counts, widths, strict=True))
            )


def _publish_written_plan(
    mentor: ApiPerson, pupil_id: int, agreements: list[tuple[str, str]], *, measures: str
) -> dict[str, int]:
    """The pupil's written plan this term, held yesterday and published by her mentor (an
    ApiPerson) with these agreements ((text, party), due in three weeks), each added unless
    there already; safe to call again. Returns {text: agreement id}."""
    today = date.today()  # noqa: DTZ011
    summary = mentor.call("GET", f"/api/pupils/{pupil_id}/summary")
    if not summary.get("held_on"):
        body = {
            "version": summary.get("version", 0),
            "held_on": (today - timedelta(days=1)).isoformat(),
            "measures_school": summary.get("measures_school") or measures,
        }
        mentor.call("PUT", f"/api/pupils/{pupil_id}/summary", body)
    made = {a["text"] for a in mentor.call("GET", f"/api/pupils/{pupil_id}/agreements")}
    due = (today + timedelta(days=21)).isoformat()
    for text, party in agreements:
        if text not in made:
            body = {"text": text, "party": party, "due_on": due}
            mentor.call("POST", f"/api/pupils/{pupil_id}/agreements", body)
    mentor.call("POST", f"/api/pupils/{pupil_id}/summary/publish", {})
    return {a["text"]: a["id"] for a in mentor.call("GET", f"/api/pupils/{pupil_id}/agreements")}


@pytest.fixture
def publish_written_plan() -> Any:
    """publish_written_plan(mentor, pupil_id, [(text, party)], measures=...) -> {text: id}:
    the pupil's written plan, published through the API by her mentor (an ApiPerson)."""
    return _publish_written_plan
