"""A whole class saves at once, against the real server (`iup serve`, granian, one worker)
on SQLite and on PostgreSQL (TESTING.md, "Load and concurrency").

100 pupils, each with her own session, CSRF token and HTTP connection, save
self-assessments in a loop for 15 seconds while a health check polls every half second.
Nothing may fail (no 5xx), time out or take 10 seconds, and the database holds exactly as
many ratings as were acknowledged with 201: what a busy machine cannot move. The
percentiles are printed, not asserted (a busy machine moves them); `make bench` compares
timings. A second test resends a save with the same Idempotency-Key, one after the other
and 20 at once: it is stored once."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, func, select

from backend.auth.sessions import Started, start_session
from backend.db import make_engine, upgrade
from backend.demo import external, seed
from backend.models import Goal, Group, GroupPupil, Person, Plan, School, SelfAssessment, Term
from backend.settings import Settings
from tests.support import free_port, postgres_database, signed_in_cookies, stop_server

IUP = str(Path(sys.executable).parent / "iup")
PUPILS = 100
# The servers' secret: the sessions started in the database carry CSRF tokens it signed.
SETTINGS = Settings(secret_key="load-test")
LOAD_SECONDS = 15.0
HEALTH_EVERY = 0.5
# No request may take longer, however busy the machine: one unanswered by then is a transport
# error, and the tests fail on any (a time-out, not a latency figure, is what they assert).
CLIENT_TIMEOUT = 10.0
T = TypeVar("T")
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


# The database ----------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh SQLite file, or a database of its own on the local PostgreSQL server
    (dropped afterwards), as tests/integration/test_migrations.py makes one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('load') / 'iup.db'}"
        return
    with postgres_database("iup_load") as url:
        yield url


@dataclass(frozen=True)
class Pupil:
    goal_id: int
    session: Started  # her session and its CSRF token


def add_pupils(session: Session, *, count: int, today_term: Term, school_id: int) -> list[Pupil]:
    """`count` pupils, each alone in a new group, with a plan this term, one goal and a
    session of an hour."""
    made: list[tuple[int, int]] = []
    for i in range(count):
        person = Person(
            given_name=f"Elev{i}", family_name="Lasttest", user_handle=secrets.token_bytes(32)
        )
        group = Group(school_id=school_id, name=f"Last {i}", school_year=7)
        session.add(person)
        session.add(group)
        session.flush()
        assert person.id is not None and group.id is not None
        session.add(GroupPupil(group_id=group.id, pupil_id=person.id))
        plan = Plan(pupil_id=person.id, term_id=today_term.id or 0)
        session.add(plan)
        session.flush()
        assert plan.id is not None
        goal = Goal(plan_id=plan.id, area="Matematik", text=f"Jag kan gångertabellen ({i})")
        session.add(goal)
        session.flush()
        assert goal.id is not None
        made.append((person.id, goal.id))
    session.commit()
    return [
        Pupil(
            goal_id=goal_id,
            session=start_session(session, person_id=person_id, passkey_id=None, settings=SETTINGS),
        )
        for person_id, goal_id in made
    ]


def run_apart(main: Callable[[Served], Coroutine[Any, Any, T]], served: Served) -> T:
    """asyncio.run in a thread of its own: the browser tests' Playwright keeps an event loop
    running in this one for the whole session. The clients' clock must not stop: after the
    rest of the suite this process holds a large heap, and a full collection of it stalls
    the clients' loop for most of a second, which every save in flight then counts as the
    server's latency. So what the process already holds is frozen out of collection while
    the class saves."""
    gc.collect()
    gc.freeze()
    try:
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(lambda: asyncio.run(main(served))).result()
    finally:
        gc.unfreeze()


# The server ------------------------------------------------------------------------------


@dataclass
class Served:
    backend: str
    base_url: str
    engine: Engine
    log: Path
    pupils: list[Pupil]  # the class under load
    spare: Pupil  # for the retry test, so its rows never mix with the load's
    group: int  # the server's process group

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's processes (granian and its worker), from
        /proc; NaN where there is none."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        try:
            stats = list(Path("/proc").glob("[0-9]*/stat"))
        except OSError:
            return float("nan")
        for stat in stats:
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            if int(fields[2]) == self.group:
                total += int(fields[11]) + int(fields[12])
        return total / tick if stats else float("nan")

    def log_tail(self, lines: int = 40) -> str:
        try:
            tail = self.log.read_text(errors="replace").splitlines()[-lines:]
        except OSError as error:
            return f"(no server log: {error})"
        return "\n--- server log (last lines) ---\n" + "\n".join(tail)

    def rows(self, *goal_ids: int, key: str | None = None) -> int:
        query = select(func.count()).select_from(SelfAssessment)
        query = query.where(col(SelfAssessment.goal_id).in_(goal_ids))
        if key is not None:
            query = query.where(SelfAssessment.idempotency_key == key)
        with Session(self.engine) as session:
            return session.exec(query).one()


def wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], log_tail: str) -> None:
    deadline = time.monotonic() + 30
    last = "no answer"
    with httpx.Client(base_url=base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"iup serve exited with {process.returncode}{log_tail}")
            try:
                response = client.get("/healthz")
            except httpx.TransportError as error:
                last = repr(error)
            else:
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:200]}"
            time.sleep(0.1)
    pytest.fail(f"/healthz did not answer 200 within 30 s ({last}){log_tail}")


@pytest.fixture(scope="module")
def served(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    backend = make_url(database_url).get_backend_name()
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        today = Settings().today()  # the school's day, as the server counts it
        with Session(engine, expire_on_commit=False) as session:
            seed(session, today=today)
            school = session.exec(
                select(School).where(School.external_id == external("school"))
            ).one()
            term = session.exec(
                select(Term).where(Term.starts_on <= today, Term.ends_on >= today)
            ).one()
            assert school.id is not None
            *pupils, spare = add_pupils(
                session, count=PUPILS + 1, today_term=term, school_id=school.id
            )

        port = free_port()
        base_url = f"http://localhost:{port}"
        log = tmp_path_factory.mktemp(f"server-{backend}") / "server.log"
        env = {
            **os.environ,
            "IUP_DATABASE_URL": database_url,
            "IUP_ORIGIN": base_url,
            "IUP_SECRET_KEY": SETTINGS.secret_key,
            "PYTHONUNBUFFERED": "1",  # the log is read while the server runs
        }
        command = [IUP, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        it = Served(backend, base_url, engine, log, pupils, spare, process.pid)
        try:
            wait_until_healthy(base_url, process, it.log_tail())
            yield it
        finally:
            stop_server(process)
    finally:
        engine.dispose()


# The clients -----------------------------------------------------------------------------


def client_for(served: Served, pupil: Pupil) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=served.base_url,
        cookies=signed_in_cookies(pupil.session),
        timeout=CLIENT_TIMEOUT,
    )


async def csrf_token(client: httpx.AsyncClient) -> str:
    """The pupil opens her plan: 200, the CSRF cookie set, and the token in the page."""
    page = await client.get("/")
    assert page.status_code == 200, f"GET / answered {page.status_code}: {page.text[:300]}"
    match = CSRF.search(page.text)
    assert match, "the page carries a CSRF token"
    return match.group(1)


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)  # time-outs and transport errors
    refusals: list[str] = field(default_factory=list)  # a few non-201 answers, for the report

    def record(self, started: float, response: httpx.Response, expected: int) -> None:
        self.latencies.append(time.perf_counter() - started)
        self.statuses[response.status_code] += 1
        if response.status_code != expected and len(self.refusals) < 5:
            self.refusals.append(f"{response.status_code} {response.text[:200]}")


async def pupil_saves(
    client: httpx.AsyncClient, token: str, pupil: Pupil, deadline: float, tally: Tally
) -> None:
    level = 0
    while time.monotonic() < deadline:
        level = level % 4 + 1
        started = time.perf_counter()
        try:
            response = await client.post(
                f"/api/goals/{pupil.goal_id}/self-assessments",
                json={"level": level, "comment": f"Det går bra, nivå {level}"},
                headers={"x-csrftoken": token, "Idempotency-Key": uuid.uuid4().hex},
            )
        except httpx.TransportError as error:  # time-outs included
            tally.errors[type(error).__name__] += 1
            continue
        tally.record(started, response, 201)


async def poll_health(base_url: str, stop: asyncio.Event, tally: Tally) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=CLIENT_TIMEOUT) as client:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                response = await client.get("/healthz")
            except httpx.TransportError as error:
                tally.errors[type(error).__name__] += 1
            else:
                tally.record(started, response, 200)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), HEALTH_EVERY)


@dataclass
class Run:
    saves: Tally
    health: Tally
    seconds: float
    server_cpu: float
    client_cpu: float


async def a_class_saves(served: Served) -> Run:
    saves, health = Tally(), Tally()
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(client_for(served, pupil)) for pupil in served.pupils
        ]
        tokens = await asyncio.gather(*(csrf_token(client) for client in clients))
        stop = asyncio.Event()
        poller = asyncio.create_task(poll_health(served.base_url, stop, health))
        server_cpu, client_cpu = served.cpu_seconds(), time.process_time()
        started = time.monotonic()
        deadline = started + LOAD_SECONDS
        try:
            await asyncio.gather(
                *(
                    pupil_saves(client, token, pupil, deadline, saves)
                    for client, token, pupil in zip(clients, tokens, served.pupils, strict=True)
                )
            )
        finally:
            elapsed = time.monotonic() - started
            client_cpu = time.process_time() - client_cpu
            server_cpu = served.cpu_seconds() - server_cpu
            stop.set()
            await poller
    return Run(saves, health, elapsed, server_cpu, client_cpu)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


# The tests -------------------------------------------------------------------------------


def test_a_whole_class_saves_at_once(served: Served, capsys: pytest.CaptureFixture[str]) -> None:
    run = run_apart(a_class_saves, served)
    saves, health, elapsed = run.saves, run.health, run.seconds
    acknowledged = saves.statuses[201]
    stored = served.rows(*(pupil.goal_id for pupil in served.pupils))
    total = sum(saves.statuses.values())
    p50, p99 = percentile(saves.latencies, 0.50), percentile(saves.latencies, 0.99)
    slowest = max(saves.latencies, default=float("nan"))
    with capsys.disabled():  # the figures show in every run's output, pass or fail
        print(
            f"\nload[{served.backend}]: {PUPILS} pupils, {total} saves in {elapsed:.1f} s, "
            f"{total / elapsed:.0f} req/s, p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
            f"max {slowest * 1000:.0f} ms; 201: {acknowledged}, rows: {stored}, "
            f"CPU/save: server {run.server_cpu / max(total, 1) * 1000:.2f} ms, "
            f"client {run.client_cpu / max(total, 1) * 1000:.2f} ms, "
            f"errors: {dict(saves.errors)}; healthz: {dict(health.statuses)}, "
            f"max {max(health.latencies, default=float('nan')) * 1000:.0f} ms"
        )

    report = (
        f"{stored} rows for {acknowledged} saves acknowledged, "
        f"statuses {dict(saves.statuses)}, errors {dict(saves.errors)}, "
        f"refusals {saves.refusals}, healthz {dict(health.statuses)} "
        f"errors {dict(health.errors)}{served.log_tail()}"
    )
    assert total > 0, report
    assert not [s for s in saves.statuses if s >= 500], report
    assert not saves.errors, report
    assert acknowledged == total, report
    assert health.statuses and set(health.statuses) == {200}, report
    assert not health.errors, report
    assert stored == acknowledged, report


async def resend(served: Served) -> tuple[list[httpx.Response], list[httpx.Response], str, str]:
    pupil = served.spare
    first_key, shared_key = uuid.uuid4().hex, uuid.uuid4().hex
    url = f"/api/goals/{pupil.goal_id}/self-assessments"
    async with client_for(served, pupil) as client:
        token = await csrf_token(client)
        headers = {"x-csrftoken": token, "Idempotency-Key": first_key}
        body = {"level": 3, "comment": "Nästan klart"}
        # The same save twice: the second as a browser resends it after its time-out.
        once = [await client.post(url, json=body, headers=headers) for _ in range(2)]
        headers = {"x-csrftoken": token, "Idempotency-Key": shared_key}
        body = {"level": 2, "comment": "Tjugo gånger samtidigt"}
        at_once = await asyncio.gather(
            *(client.post(url, json=body, headers=headers) for _ in range(20))
        )
    return once, list(at_once), first_key, shared_key


def test_a_save_sent_again_is_stored_once(served: Served) -> None:
    once, at_once, first_key, shared_key = run_apart(resend, served)
    goal = served.spare.goal_id
    log = served.log_tail()

    first, again = once
    assert first.status_code == 201, f"{first.status_code} {first.text}{log}"
    assert again.status_code == 200, f"{again.status_code} {again.text}{log}"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["level"] == 3
    assert served.rows(goal, key=first_key) == 1

    statuses = Counter(response.status_code for response in at_once)
    assert statuses == {201: 1, 200: 19}, f"{dict(statuses)}{log}"
    assert len({response.json()["id"] for response in at_once}) == 1
    assert served.rows(goal, key=shared_key) == 1
    assert served.rows(goal) == 2
