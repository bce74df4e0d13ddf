"""Server CPU per request, throughput, latency and SQL statements of each page a person opens
daily, by role, under concurrent load, next to a bare Litestar JSON endpoint (bench/bare.py,
"the floor") loaded the same way in the same run, on SQLite and on PostgreSQL in one run:
ratios, not absolute numbers, on a noisy 2-core machine (TESTING.md, "Measuring speed").

Both servers run under granian (--log-level warning, their output, the app's one line per
request, sent to a temporary file), one worker each, pinned to core 1; the app is
`backend.asgi:app_from_env` on a throwaway database (a temporary SQLite file; a database of
its own on the local PostgreSQL server, dropped at the end), migrated and seeded with the
demo data, plus a group of 30 pupils for the mentor; 4A's Alva has her written plan
published with two agreements that she and her guardian Anna have signed ("after the talk"),
Elias has none ("before the talk"). Each person signs in with an enrolment code and a
software passkey. The load comes from `wrk -t1 -c64 --latency` pinned to core 0, carrying
the person's cookies and accepting what a browser accepts (br, gzip); a rating is an htmx
POST with the CSRF token (a wrk Lua script sets method and body), and the ratings the load
adds are deleted after each load. bench/load.py, an asyncio client on core 0, drives the
load when wrk is missing: slower, and then the floor is driven by it as well. PostgreSQL's
backends for the bench's database are pinned to core 0 too, and their CPU is counted.

Alternating rounds (--rounds): each round loads the floor, then every page. Per page: one
check (it must answer 200), a warm-up, then --seconds of load; the table shows the median of
the rounds. Columns:
  ms CPU     utime+stime of the granian worker (/proc/PID/stat) / requests completed
  % floor    floor CPU / page CPU, the same round's floor: the page's throughput, in per
             cent of the bare endpoint's, when the server's core is the limit
  ±          how far the rounds' % floor lie apart (max/min − 1)
  p50, p99   latency with --connections requests in flight; req/s as counted
  SQL        statements one request sends, counted outside the load on the app run
             in-process with tests/statements.py's counter, same database and cookies
             (SQLite's counter: "-" on PostgreSQL)
  db ms      CPU of PostgreSQL's backends for the bench's database / requests (PostgreSQL)
A page that answers anything but 200, or a load with non-2xx/3xx responses or socket errors,
fails the run.

Run: `make bench` (writes var/bench.json), or `.venv/bin/python bench/pages.py --seconds 3
--rounds 3 --json out.json`; `--only home --only login` loads only the pages whose label or
path holds one of the words; `--all` adds the other pages (preparation, notifications, ...);
`--databases sqlite` skips PostgreSQL (IUP_BENCH_POSTGRES_URL, else IUP_TEST_POSTGRES_URL,
else postgres@127.0.0.1:5432/test names the server). `--profile prof.txt` also samples the
worker with py-spy (`.venv/bin/pip install py-spy`) while loading the pupil's home after the
talk on SQLite (`--profile-page LABEL`: another page of the table), and writes the functions
with the most self time, and the app's own functions and templates with their callees, to
prof.txt (the raw stacks to prof.txt.stacks)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, delete, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from litestar.testing import TestClient

from backend.auth.service import issue_enrolment_code
from backend.db import make_engine, upgrade
from backend.demo import external, seed
from backend.models import (
    Goal,
    Group,
    Person,
    Plan,
    School,
    SelfAssessment,
)
from backend.settings import from_env
from tests.softauthn import SoftAuthenticator
from tests.statements import counting_app, make_group, queries

TICKS = os.sysconf("SC_CLK_TCK")
MULTICORE = (os.cpu_count() or 1) > 1
SERVER_CORE, CLIENT_CORE = 1, 0
POSTGRES = os.environ.get(
    "IUP_BENCH_POSTGRES_URL",
    os.environ.get("IUP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
)
CSS = "<css>"  # stands for the stylesheet the /login page links
BIG_GROUP = 30  # pupils in the mentor's large group
RATING = "level=3&comment=Det+g%C3%A5r+b%C3%A4ttre"  # the form's fields, urlencoded
BROWSER_ENCODINGS = "Accept-Encoding: gzip, deflate, br"
TIMEOUT = 10  # s: a slow page under 64 connections is measured, not failed (wrk's is 2 s)


@dataclass(frozen=True)
class Page:
    """What a person opens: `who` is a demo person's key (None: signed out); the path may
    name {pupil} (Alva), {group} (4A), {big} (the 30 pupils), {school} and {goal} (one of
    Maja's goals); `form`, a urlencoded body, makes it an htmx POST."""

    label: str
    who: str | None
    path: str
    form: str | None = None


# Every page a person opens daily (issue 21, item 1), by role.
DAILY = [
    Page("pupil home, before the talk", "elias", "/"),
    Page("pupil home, after the talk", "alva", "/"),
    Page("pupil /api/plan", "alva", "/api/plan"),
    Page("pupil saves a rating (htmx)", "maja", "/goals/{goal}/self-assessments", RATING),
    Page("guardian: the plan", "guardian-anna", "/pupils/{pupil}"),
    Page("teacher: /reflections", "teacher-ek", "/reflections"),
    Page("mentor: group of 30", "mentor-4a", "/groups/{big}"),
    Page("mentor: compilation", "mentor-4a", "/pupils/{pupil}/compilation"),
    Page("mentor: written plan", "mentor-4a", "/pupils/{pupil}/written-plan"),
    Page("principal: school", "principal", "/schools/{school}"),
    Page("sign-in page", None, "/login"),
    Page("static file (CSS)", None, CSS),
]
# The other pages, with --all.
MORE = [
    Page("/healthz", None, "/healthz"),
    Page("pupil /preparation", "alva", "/preparation"),
    Page("pupil /api/plan/preparation", "alva", "/api/plan/preparation"),
    Page("pupil /notifications", "alva", "/notifications"),
    Page("pupil /account", "alva", "/account"),
    Page("/sw.js", None, "/sw.js"),
    Page("mentor: start page", "mentor-4a", "/"),
    Page("mentor: group 4A", "mentor-4a", "/groups/{group}"),
    Page("mentor: group 30 JSON", "mentor-4a", "/api/groups/{big}/overview"),
    Page("mentor: notes", "mentor-4a", "/pupils/{pupil}/notes"),
    Page("mentor: talk times", "mentor-4a", "/groups/{group}/talk-times"),
    Page("guardian: preparation", "guardian-anna", "/pupils/{pupil}/preparation"),
    Page("guardian: talk times", "guardian-anna", "/pupils/{pupil}/talk-times"),
    Page("guardian: agreements JSON", "guardian-anna", "/api/pupils/{pupil}/agreements"),
]
PROFILED = "pupil home, after the talk"
UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
HEADER = (
    f"{'page':<31}{'ms CPU':>8}{'% floor':>9}{'±':>6}{'p50 ms':>8}{'p99 ms':>8}"
    f"{'req/s':>7}{'SQL':>5}{'db ms':>7}"
)


def pinned(core: int, command: list[str]) -> list[str]:
    return ["taskset", "-c", str(core), *command] if MULTICORE else command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def process_tree(pid: int) -> list[int]:
    pids = [pid]
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in map(int, children.read_text().split()):
            pids += process_tree(child)
    return pids


class Server:
    """One granian worker pinned to the server core, its output sent to a log file."""

    def __init__(self, target: str, port: int, env: dict[str, str], log: Path) -> None:
        command = [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-ws",
            "--log-level",
            "warning",
        ]
        command += ["--factory", target[:-2]] if target.endswith("()") else [target]
        self.target, self.log = target, log
        with log.open("wb") as output:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                pinned(SERVER_CORE, command),
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.alive()
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise SystemExit(f"{target} did not answer within 60 s\n{self.log_tail()}")

    def alive(self) -> None:
        if self.process.poll() is not None:
            raise SystemExit(f"{self.target} exited ({self.process.returncode})\n{self.log_tail()}")

    def cpu(self) -> dict[int, float]:
        return {pid: cpu_seconds(pid) for pid in process_tree(self.process.pid)}

    def settle(self, timeout: float = 15) -> None:
        """Wait until the server has served what an earlier load left in flight."""
        deadline, last = time.monotonic() + timeout, sum(self.cpu().values())
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = sum(self.cpu().values())
            if now == last:
                return
            last = now

    def worker(self) -> int:
        """granian forks its worker: the busiest process in the tree."""
        cpu = self.cpu()
        return max(cpu, key=cpu.__getitem__)

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(f"  {self.target}> {line}" for line in text)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Load:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: dict[str, int]


@dataclass
class Measured:
    """One load of one page in one round."""

    ms_cpu: float
    db_ms: float | None
    load: Load


@dataclass
class Result:
    """A page on one database: its loads, one a round, and the floor of each round."""

    page: Page
    url: str
    statements: int | None
    rounds: list[Measured] = field(default_factory=list)
    floors: list[float] = field(default_factory=list)  # the floor's ms CPU, each round

    def shares(self) -> list[float]:
        return [f / m.ms_cpu * 100 for f, m in zip(self.floors, self.rounds, strict=True)]

    def median(self, value: Callable[[Measured], float]) -> float:
        return statistics.median(value(m) for m in self.rounds)

    def db_ms(self) -> float | None:
        values = [m.db_ms for m in self.rounds if m.db_ms is not None]
        return statistics.median(values) if values else None

    def line(self) -> str:
        shares, db_ms = self.shares(), self.db_ms()
        return (
            f"{self.page.label[:30]:<31}{self.median(lambda m: m.ms_cpu):>8.3f}"
            f"{statistics.median(shares):>8.1f}%{(max(shares) / min(shares) - 1) * 100:>5.0f}%"
            f"{self.median(lambda m: m.load.p50_ms):>8.1f}"
            f"{self.median(lambda m: m.load.p99_ms):>8.1f}"
            f"{self.median(lambda m: m.load.rps):>7.0f}"
            f"{'-' if self.statements is None else self.statements:>5}"
            f"{'' if db_ms is None else f'{db_ms:.3f}':>7}"
        )

    def as_dict(self) -> dict[str, object]:
        shares = self.shares()
        return {
            "page": self.page.label,
            "who": self.page.who,
            "method": "POST" if self.page.form else "GET",
            "url": self.url,
            "ms_cpu_per_request": self.median(lambda m: m.ms_cpu),
            "pct_of_floor": statistics.median(shares),
            "pct_of_floor_spread": max(shares) / min(shares) - 1,
            "p50_ms": self.median(lambda m: m.load.p50_ms),
            "p99_ms": self.median(lambda m: m.load.p99_ms),
            "rps": self.median(lambda m: m.load.rps),
            "sql_statements_per_request": self.statements,
            "db_ms_cpu_per_request": self.db_ms(),
            "rounds": [
                {"floor_ms_cpu": f, "pct_of_floor": s, **asdict(m)}
                for f, s, m in zip(self.floors, shares, self.rounds, strict=True)
            ],
        }


def parse_wrk(output: str) -> Load:
    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise SystemExit(f"unexpected wrk output (no {pattern!r}):\n{output}")
        return match

    def latency(percent: int) -> float:
        match = find(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m|h)\s*$")
        return float(match[1]) * UNITS_MS[match[2]]

    done = find(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)")
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    counts = map(int, socket_errors.groups()) if socket_errors else [0] * 4
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Load(
        requests=int(done[1]),
        seconds=float(done[2]) * UNITS_MS[done[3]] / 1000,
        rps=float(find(r"Requests/sec:\s+([\d.]+)")[1]),
        p50_ms=latency(50),
        p99_ms=latency(99),
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        errors=dict(zip(("connect", "read", "write", "timeout"), counts, strict=True)),
    )


class LoadGenerator:
    """wrk, or bench/load.py where wrk is missing, pinned to the client core; GET, or a
    POST of a urlencoded form (wrk: a Lua script sets the method and the body)."""

    def __init__(
        self, kind: str, connections: int, headers: list[str], form: str | None = None
    ) -> None:
        self.kind, self.connections, self.headers, self.form = kind, connections, headers, form

    def run(self, url: str, seconds: int, *, warmup: bool = False) -> Load:
        flags = [arg for header in self.headers for arg in ("-H", header)]
        with tempfile.TemporaryDirectory() as tmp:
            if self.kind == "wrk":
                if self.form is not None:
                    script = Path(tmp) / "post.lua"
                    script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(self.form)}\n')
                    flags += ["-s", str(script)]
                command = ["wrk", "-t1", f"-c{self.connections}", f"-d{seconds}s", "--latency"]
                command += ["--timeout", f"{TIMEOUT}s"]
                command += [*flags, url]
            else:
                command = [sys.executable, str(ROOT / "bench" / "load.py"), url]
                command += ["--seconds", str(seconds), "--connections", str(self.connections)]
                command += ["--timeout", str(TIMEOUT)]
                command += flags + (["--data", self.form] if self.form is not None else [])
            done = subprocess.run(
                pinned(CLIENT_CORE, command), capture_output=True, text=True, check=False
            )
        if done.returncode != 0:
            raise SystemExit(
                f"{command[0]} failed on {url} ({done.returncode}):\n{done.stdout}{done.stderr}"
            )
        load = parse_wrk(done.stdout) if self.kind == "wrk" else Load(**json.loads(done.stdout))
        if not load.requests and not warmup:  # a warm-up may wait behind a backlog
            raise SystemExit(
                f"{url}: no request completed in {seconds} s under "
                f"{self.connections} connections: the server is stuck (a deadlock? "
                f"`py-spy dump --pid WORKER` shows where) or each request takes "
                f"longer than the client's {TIMEOUT} s timeout\n{done.stdout}"
            )
        if load.non_2xx or any(load.errors.values()):
            raise SystemExit(
                f"{url}: {load.requests} requests, {load.non_2xx} answered neither "
                f"2xx nor 3xx, socket errors {load.errors}\n{done.stdout}"
            )
        return load


def cpu_of(pids: list[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            found[pid] = cpu_seconds(pid)
    return found


def measure(
    generator: LoadGenerator,
    server: Server,
    url: str,
    *,
    seconds: int,
    warmup: int,
    database: Database | None = None,
    reset: Callable[[], None] | None = None,
) -> Measured:
    server.settle()  # what the last load left queued is not this one's
    if warmup:
        generator.run(url, warmup, warmup=True)
    server.settle()  # the warm-up's last requests are not this run's
    if reset:
        reset()
    backends = database.backends() if database else []
    before, db_before = server.cpu(), cpu_of(backends)
    load = generator.run(url, seconds)
    after = server.cpu()
    backends = database.backends() if database else []  # the pool may have opened more
    db_after = cpu_of(backends)
    server.alive()
    if reset:
        server.settle()
        reset()
    busiest = max((after[pid] - before.get(pid, 0.0) for pid in after), default=0.0)
    db_ms = (
        sum(db_after[pid] - db_before.get(pid, 0.0) for pid in db_after) / load.requests * 1000
        if database and database.kind == "postgresql"
        else None
    )
    return Measured(max(busiest, 1 / TICKS) / load.requests * 1000, db_ms, load)


def check(
    client: httpx.Client, path: str, form: str | None = None, headers: dict[str, str] | None = None
) -> None:
    if form is None:
        response = client.get(path)
    else:
        response = client.post(path, content=form, headers=headers)
    if response.status_code != 200:
        raise SystemExit(
            f"{'POST' if form else 'GET'} {path}: HTTP {response.status_code}, expected 200\n"
            f"{response.text[:500]}"
        )


PASSKEYS: dict[int, SoftAuthenticator] = {}  # each signed-in client's passkey, by id(client)


def sign_in(base: str, url: str, key: str) -> httpx.Client:
    engine = make_engine(url)
    with Session(engine) as db:
        person = db.exec(select(Person).where(Person.external_id == external(key))).one()
        assert person.id is not None
        code = issue_enrolment_code(db, person_id=person.id, hours=1)
    engine.dispose()
    client = httpx.Client(base_url=base, headers={"accept-encoding": "gzip"})
    headers = {"x-csrftoken": csrf_token(client, "/login")}
    options = client.post(f"/enrol/{code}/options", json={}, headers=headers).json()
    passkey = PASSKEYS[id(client)] = SoftAuthenticator(origin=base)
    credential = passkey.register(options)
    client.post(f"/enrol/{code}/verify", json=credential, headers=headers).raise_for_status()
    return client


def csrf_token(client: httpx.Client, path: str = "/account") -> str:
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).text)
    if token is None:
        raise SystemExit(f"{path} has no csrf-token")
    return token[1]


def stylesheet(client: httpx.Client) -> str:
    for tag in re.findall(r"<link\b[^>]*>", client.get("/login").text):
        href = re.search(r'\bhref="([^"]+)"', tag)
        if re.search(r'\brel="stylesheet"', tag) and href:
            return href[1]
    raise SystemExit("/login links no stylesheet")


def one(db: Session, model: Any, key: str) -> int:
    row = db.exec(select(model).where(model.external_id == external(key))).one()
    assert row.id is not None
    return int(row.id)


def big_group(db: Session, *, size: int) -> int:
    """A group of `size` pupils mentored by 4A's mentor (tests/statements.py's make_group,
    which the statements-per-page test counts on too); its id."""
    make_group(db, name="7B", size=size)
    group = db.exec(select(Group).where(Group.name == "7B")).one()
    assert group.id is not None
    return group.id


def prepare(url: str) -> dict[str, int]:
    """Migrates and seeds the database, adds the big group; the ids the paths name."""
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        seed(db, today=date.today())  # noqa: DTZ011
        ids = {
            "group": one(db, Group, "group-4A"),
            "school": one(db, School, "school"),
            "pupil": one(db, Person, "alva"),
            "big": big_group(db, size=BIG_GROUP),
        }
        maja = one(db, Person, "maja")
        ids["goal"] = db.exec(
            select(Goal.id)
            .join(Plan, col(Plan.id) == Goal.plan_id)
            .where(Plan.pupil_id == maja)
            .order_by(col(Goal.position))
        ).first()  # type: ignore[assignment]
    engine.dispose()
    return ids


def written_plan(mentor: httpx.Client, signers: list[httpx.Client], pupil: int) -> None:
    """The pupil's written plan with two agreements, published, and signed (every agreement,
    one touch) by each of `signers`, through the JSON API: the plan after the talk."""

    def post(client: httpx.Client, method: str, path: str, body: object) -> httpx.Response:
        headers = {"x-csrftoken": csrf_token(client)}
        response = client.request(method, path, json=body, headers=headers)
        response.raise_for_status()
        return response

    yesterday = (date.today() - timedelta(days=1)).isoformat()  # noqa: DTZ011
    due = (date.today() + timedelta(days=30)).isoformat()  # noqa: DTZ011
    post(
        mentor,
        "PUT",
        f"/api/pupils/{pupil}/summary",
        {
            "version": 0,
            "held_on": yesterday,
            "measures_school": "Extra stöd i matematik.",
            "measures_pupil": "Läsa 20 minuter varje kväll.",
        },
    )
    made = [
        post(
            mentor,
            "POST",
            f"/api/pupils/{pupil}/agreements",
            {"text": text, "party": party, "due_on": due},
        ).json()["id"]
        for text, party in (("Läsa varje kväll", "pupil"), ("Stöd på tisdagar", "school"))
    ]
    post(mentor, "POST", f"/api/pupils/{pupil}/summary/publish", {})
    for signer in signers:
        options = post(signer, "POST", f"/api/agreements/{made[0]}/signature/options?all=true", {})
        post(
            signer,
            "POST",
            f"/api/agreements/{made[0]}/signature",
            PASSKEYS[id(signer)].login(options.json()),
        )


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A database of its own on the local PostgreSQL server, dropped afterwards (as
    tests/support.py's postgres_database makes one)."""
    server = make_url(POSTGRES)
    name = f"bench_{secrets.token_hex(6)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        admin.dispose()
        where = server.render_as_string(hide_password=True)
        raise SystemExit(
            f"PostgreSQL at {where} unusable ({error}); `--databases sqlite` skips it"
        ) from error
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Database:
    kind: str  # sqlite or postgresql
    url: str

    def backends(self) -> list[int]:
        """PostgreSQL's backend processes serving this database (their titles name it),
        pinned to the client's core: the server's core is the app's alone."""
        if self.kind != "postgresql":
            return []
        name = make_url(self.url).database
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                title = (
                    (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
                if title.startswith("postgres: ") and f" {name} " in title:
                    found.append(int(entry.name))
                    if MULTICORE:
                        os.sched_setaffinity(int(entry.name), {CLIENT_CORE})
        return found


@dataclass
class Target:
    """A page made ready to load: its URL, its client and load generator, and what undoes
    the load's writes."""

    page: Page
    path: str
    client: httpx.Client
    generator: LoadGenerator
    headers: dict[str, str]  # besides the client's cookies: the POST's
    reset: Callable[[], None] | None


def cookie_header(client: httpx.Client) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in client.cookies.jar)


def targets(
    args: argparse.Namespace, pages: list[Page], base: str, database: Database
) -> list[Target]:
    """Signs everyone in, publishes and signs Alva's written plan, checks each page once."""
    ids = prepare(database.url)
    wanted = {"mentor-4a", "alva", "guardian-anna"} | {p.who for p in pages if p.who}
    clients: dict[str | None, httpx.Client] = {
        key: sign_in(base, database.url, key) for key in sorted(wanted)
    }
    clients[None] = httpx.Client(base_url=base, headers={"accept-encoding": "gzip"})
    written_plan(clients["mentor-4a"], [clients["alva"], clients["guardian-anna"]], ids["pupil"])
    engine = make_engine(database.url)
    with Session(engine) as db:
        mark = db.exec(select(SelfAssessment.id).order_by(col(SelfAssessment.id).desc())).first()

    def reset() -> None:
        """Deletes the ratings a load added: the next load starts from the same plan."""
        with engine.begin() as connection:
            connection.execute(
                delete(SelfAssessment).where(
                    col(SelfAssessment.goal_id) == ids["goal"], col(SelfAssessment.id) > (mark or 0)
                )
            )

    made = []
    for page in pages:
        client = clients[page.who]
        path = stylesheet(client) if page.path == CSS else page.path.format(**ids)
        headers = [BROWSER_ENCODINGS]
        headers += [f"Cookie: {cookie_header(client)}"] if page.who else []
        extra = {}
        if page.form is not None:
            extra = {
                "content-type": "application/x-www-form-urlencoded",
                "hx-request": "true",
                "x-csrftoken": csrf_token(client),
            }
        headers += [f"{name}: {value}" for name, value in extra.items()]
        check(client, path, page.form, extra)
        generator = LoadGenerator(args.client, args.connections, headers, page.form)
        made.append(Target(page, path, client, generator, extra, reset if page.form else None))
    if any(target.reset for target in made):
        reset()
    return made


def count_statements(database: Database, env: dict[str, str], made: list[Target]) -> dict[str, int]:
    """Statements per request of each page, the app run in-process with the counter of
    tests/statements.py on the same database, with the same cookies (the second request:
    the first may fill a cache). SQLite only: that is the counter's."""
    if database.kind != "sqlite":
        return {}
    app, statements = counting_app(from_env(env))
    warnings.filterwarnings("ignore", message="The base_url", category=UserWarning)
    counts = {}
    with TestClient(app, base_url=env["IUP_ORIGIN"]) as client:
        for target in made:
            headers = {"accept-encoding": "gzip", **target.headers}
            if target.page.who:
                headers["cookie"] = cookie_header(target.client)

            def send(target: Target = target, headers: dict[str, str] = headers) -> int:
                if target.page.form is None:
                    return client.get(target.path, headers=headers).status_code
                return client.post(
                    target.path, content=target.page.form, headers=headers
                ).status_code

            send()
            statements.clear()
            status = send()
            if status != 200:
                raise SystemExit(f"in-process {target.path}: HTTP {status}, expected 200")
            counts[target.page.label] = len(queries(statements))
            if target.reset:
                target.reset()
    app.state.engine.dispose()
    return counts


def run_database(
    args: argparse.Namespace,
    database: Database,
    pages: list[Page],
    bare: tuple[Server, str],
    tmp: Path,
) -> tuple[list[Result], list[Measured]]:
    """Every page on one database, in alternating rounds with the floor."""
    port = free_port()
    base = f"http://localhost:{port}"
    env = {
        **os.environ,
        "IUP_DATABASE_URL": database.url,
        "IUP_ORIGIN": base,
        "IUP_SECRET_KEY": "bench",
        "PYTHONPATH": str(ROOT),
    }
    upgrade(database.url)  # before the server starts: it reads the schema
    app = Server("backend.asgi:app_from_env()", port, env, tmp / f"app-{database.kind}.log")
    try:
        made = targets(args, pages, base, database)
        counts = count_statements(database, env, made)
        results = [Result(t.page, base + t.path, counts.get(t.page.label)) for t in made]
        floor_generator = LoadGenerator(args.client, args.connections, [BROWSER_ENCODINGS])
        floors = []
        for number in range(1, args.rounds + 1):
            floor = measure(
                floor_generator, bare[0], bare[1], seconds=args.seconds, warmup=args.warmup
            )
            floors.append(floor)
            print(
                f"{database.kind} round {number} of {args.rounds}: floor "
                f"{floor.ms_cpu:.3f} ms CPU, {floor.load.rps:.0f} req/s",
                flush=True,
            )
            for target, result in zip(made, results, strict=True):
                measured = measure(
                    target.generator,
                    app,
                    result.url,
                    seconds=args.seconds,
                    warmup=args.warmup,
                    database=database,
                    reset=target.reset,
                )
                result.rounds.append(measured)
                result.floors.append(floor.ms_cpu)
                print(
                    f"  {target.page.label[:30]:<31}{measured.ms_cpu:>8.3f} ms"
                    f"{floor.ms_cpu / measured.ms_cpu * 100:>8.1f}%",
                    flush=True,
                )
        if args.profile and database.kind == "sqlite":
            chosen = [t for t in made if t.page.label == args.profile_page]
            if chosen:
                profile(chosen[0].generator, app, base + chosen[0].path, args)
            else:
                print(f"\n--profile: no page '{args.profile_page}' in this run")
        for client in {id(t.client): t.client for t in made}.values():
            client.close()
        return results, floors
    except BaseException:
        if app.log.stat().st_size:
            print(f"\n{app.target} said:\n{app.log_tail()}", file=sys.stderr)
        raise
    finally:
        app.stop()


@contextlib.contextmanager
def database_url(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp}/bench.db"
    else:
        with postgres_database() as url:
            yield url


NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def print_table(kind: str, results: list[Result], floors: list[Measured]) -> None:
    floor_ms = statistics.median(f.ms_cpu for f in floors)
    floor_rps = statistics.median(f.load.rps for f in floors)
    print(
        f"\n{NAMES[kind]}: floor (bare Litestar JSON) {floor_ms:.3f} ms CPU, "
        f"{floor_rps:.0f} req/s; median of {len(floors)} rounds"
    )
    print(HEADER)
    for result in results:
        print(result.line())


def print_comparison(by_kind: dict[str, tuple[list[Result], list[Measured]]]) -> None:
    sqlite, postgres = by_kind["sqlite"][0], by_kind["postgresql"][0]
    print(f"\n{'PostgreSQL ÷ SQLite':<31}{'app CPU':>9}{'+ db CPU':>10}")
    for lite, pg in zip(sqlite, postgres, strict=True):
        lite_ms = lite.median(lambda m: m.ms_cpu)
        pg_ms = pg.median(lambda m: m.ms_cpu)
        print(
            f"{lite.page.label[:30]:<31}{pg_ms / lite_ms:>8.2f}×"
            f"{(pg_ms + (pg.db_ms() or 0.0)) / lite_ms:>9.2f}×"
        )


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def frame_package(frame: str) -> str:
    """'render (jinja2/environment.py:1290)' -> 'jinja2'."""
    match = re.search(r"\(([^():]+)(?::\d+)?\)$", frame)
    if match is None:
        return frame
    parts = Path(match[1]).parts
    if len(parts) > 1 and parts[0] == "/":
        return "/".join(parts[:3]) + "/…"
    return parts[0].removesuffix(".py")


_OURS = re.compile(r"\((backend/|[\w/]+\.html:)")  # a frame of the app's code or templates


def summarise(raw: str, top: int) -> tuple[int, str]:
    """Flat profile from py-spy's raw (collapsed) stacks: 'frame;frame;... count' lines."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames, weight = stack.split(";"), int(count)
        samples += weight
        own[frames[-1]] += weight
        packages[frame_package(frames[-1])] += weight
        for frame in set(frames):
            if _OURS.search(frame):
                inclusive[frame] += weight
    if not samples:
        return 0, ""

    def listing(title: str, counter: Counter[str]) -> list[str]:
        lines = [title, f"{'%':>7}{'samples':>9}  where"]
        lines += [
            f"{n / samples * 100:>6.1f}%{n:>9}  {name}" for name, n in counter.most_common(top)
        ]
        return [*lines, ""]

    text = listing(f"Self time by function (top {top}):", own)
    text += listing(f"Self time by package or file (top {top}):", packages)
    text += listing(
        f"Time including callees, the app's functions and templates (top {top}):", inclusive
    )
    return samples, "\n".join(text)


def profile(generator: LoadGenerator, app: Server, url: str, args: argparse.Namespace) -> None:
    spy = py_spy()
    if spy is None:
        print(
            "\n--profile: py-spy is not installed; `.venv/bin/pip install py-spy` "
            "installs it. No profile written."
        )
        return
    pid = app.worker()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "stacks.txt"
        command = [
            spy,
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--output",
            str(raw),
            "--rate",
            str(args.profile_rate),
            "--function",
            "--gil",
            "--nonblocking",
        ]
        recorder = subprocess.Popen(
            pinned(CLIENT_CORE, command),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        time.sleep(1)  # attaching takes a moment; a refusal ends py-spy at once
        if recorder.poll() is not None:
            output = recorder.communicate()[0]
            print(
                f"\n--profile: py-spy could not attach to pid {pid} (permissions? "
                f"ptrace_scope, or run as root). No profile written.\n{output.strip()}"
            )
            return
        try:
            load = generator.run(url, args.seconds)
        finally:
            recorder.send_signal(signal.SIGINT)
            try:
                output = recorder.communicate(timeout=60)[0]
            except subprocess.TimeoutExpired:
                recorder.kill()
                output = recorder.communicate()[0]
        stacks = raw.read_text() if raw.exists() else ""
        Path(args.profile).parent.mkdir(parents=True, exist_ok=True)
        Path(args.profile + ".stacks").write_text(stacks)  # for flame graphs, other cuts
        samples, text = summarise(stacks, args.profile_top)
    if not samples:
        print(f"\n--profile: py-spy recorded no samples.\n{output.strip()}")
        return
    head = (
        f"py-spy profile of GET {args.profile_page} ({url}), granian worker pid {pid}\n"
        f"{args.seconds} s under {args.connections} connections ({generator.kind}): "
        f"{load.requests} requests, {load.rps:.0f} req/s while sampled\n"
        f"{samples} samples at {args.profile_rate}/s of the worker thread holding the GIL "
        f"(py-spy --gil --nonblocking): Python CPU time; waits, and native code that "
        f"releases the GIL (granian's Rust, system calls), are left out\n\n"
    )
    Path(args.profile).write_text(head + text)
    print(f"\nprofile of {args.profile_page}: {samples} samples, written to {args.profile}")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=3, help="load per page (default 3)")
    parser.add_argument(
        "--warmup", type=int, default=1, help="seconds of load before each measured one (default 1)"
    )
    parser.add_argument("--connections", type=int, default=64, help="in flight (default 64)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds: floor, every page (default 3)"
    )
    parser.add_argument(
        "--databases",
        default="sqlite,postgresql",
        help="comma-separated: sqlite, postgresql (default both)",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="WORD",
        help="only the pages whose label or path holds WORD (again for more)",
    )
    parser.add_argument("--all", action="store_true", help="also the pages not opened daily")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument(
        "--client",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator: wrk when installed (auto), or bench/load.py",
    )
    parser.add_argument(
        "--profile",
        metavar="PATH",
        help="profile one page (--profile-page) on SQLite with py-spy; a flat top-N to PATH",
    )
    parser.add_argument(
        "--profile-page",
        metavar="LABEL",
        default=PROFILED,
        help=f"the page profiled, by its label in the table (default '{PROFILED}')",
    )
    parser.add_argument("--profile-top", type=int, default=30, help="functions listed")
    parser.add_argument("--profile-rate", type=int, default=1000, help="samples per second")
    args = parser.parse_args()
    if args.seconds < 1 or args.warmup < 0 or args.connections < 1 or args.rounds < 1:
        parser.error("--seconds, --connections and --rounds must be positive")
    args.databases = [kind.strip() for kind in args.databases.split(",") if kind.strip()]
    if not args.databases or set(args.databases) - set(NAMES):
        parser.error("--databases: sqlite, postgresql or both")
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
    elif args.client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk)")
    args.pages = [
        page
        for page in DAILY + (MORE if args.all else [])
        if not args.only or any(word in page.label or word in page.path for word in args.only)
    ]
    if not args.pages:
        parser.error("--only matches no page")
    return args


def main() -> None:
    args = arguments()
    started = time.monotonic()
    if MULTICORE:
        os.sched_setaffinity(0, {CLIENT_CORE})
    else:
        print("one core only: server and client share it, the ratios mean less")
    print(
        f"{args.client}, {args.connections} connections, {args.rounds} rounds of "
        f"{args.seconds} s per page after {args.warmup} s warm-up; "
        f"{', '.join(NAMES[kind] for kind in args.databases)}",
        flush=True,
    )
    by_kind: dict[str, tuple[list[Result], list[Measured]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        bare = Server("bench.bare:app", port, env, tmp / "bare.log")
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as plain:
                check(plain, "/bare")
            for kind in args.databases:
                with database_url(kind, tmp) as url:
                    by_kind[kind] = run_database(
                        args,
                        Database(kind, url),
                        args.pages,
                        (bare, f"http://127.0.0.1:{port}/bare"),
                        tmp,
                    )
        except BaseException:
            if bare.log.stat().st_size:
                print(f"\n{bare.target} said:\n{bare.log_tail()}", file=sys.stderr)
            raise
        finally:
            bare.stop()
    for kind, (results, floors) in by_kind.items():
        print_table(kind, results, floors)
    if len(by_kind) == 2:
        print_comparison(by_kind)
    print(f"\n{time.monotonic() - started:.0f} s in all")
    if args.json:
        document = {
            "date": date.today().isoformat(),  # noqa: DTZ011
            "client": args.client,
            "connections": args.connections,
            "seconds": args.seconds,
            "warmup": args.warmup,
            "rounds": args.rounds,
            "cpu_count": os.cpu_count(),
            "databases": {
                kind: {
                    "floor": [asdict(floor) for floor in floors],
                    "pages": [result.as_dict() for result in results],
                }
                for kind, (results, floors) in by_kind.items()
            },
        }
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n")
        print(f"results written to {args.json}")


if __name__ == "__main__":
    main()
