"""Twenty families book the same talk time at the same moment, against the real server
(`iup serve`, several workers) on SQLite and on PostgreSQL: exactly one gets 201, the
other nineteen get 409 `taken` with the message, and the database holds one booking. The
unique key on `talk_booking.talk_time_id` decides, not the code (issue 8, acceptance)."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import subprocess
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session, func, select

from backend.auth.sessions import Started, start_session
from backend.db import make_engine, upgrade
from backend.demo import external, seed
from backend.models import (
    Booking,
    Group,
    GroupMentor,
    GroupPupil,
    Guardianship,
    Person,
    Plan,
    School,
    TalkTime,
    Term,
)
from backend.settings import Settings
from tests.load.test_class_saves import CLIENT_TIMEOUT, IUP, wait_until_healthy
from tests.support import free_port, postgres_database, signed_in_cookies, stop_server

FAMILIES = 20
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
SETTINGS = Settings(secret_key="race-test")  # the servers': it signs the sessions' tokens
TAKEN = "Den tiden hann någon annan boka. Välj en annan tid."


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('race') / 'iup.db'}"
        return
    with postgres_database("iup_race") as url:
        yield url


def _person(session: Session, given: str, family: str) -> int:
    person = Person(given_name=given, family_name=family, user_handle=secrets.token_bytes(32))
    session.add(person)
    session.flush()
    assert person.id is not None
    return person.id


@dataclass
class Race:
    base_url: str
    engine: Engine
    time_id: int
    tokens: list[Started]  # one guardian's session per family


def families(session: Session, *, today: Any) -> tuple[int, list[str]]:
    """A group of 20 pupils with a mentor, each pupil with a guardian of her own, and one
    talk time in three days. Returns the time and each guardian's session."""
    school = session.exec(select(School).where(School.external_id == external("school"))).one()
    term = session.exec(select(Term).where(Term.starts_on <= today, Term.ends_on >= today)).one()
    assert school.id is not None and term.id is not None
    group = Group(school_id=school.id, name="Kapplöpning", school_year=7)
    session.add(group)
    session.flush()
    assert group.id is not None
    mentor = _person(session, "Mentor", "Kapplöpning")
    session.add(GroupMentor(group_id=group.id, mentor_id=mentor))
    guardians = []
    for i in range(FAMILIES):
        pupil = _person(session, f"Elev{i}", "Kapplöpning")
        guardian = _person(session, f"Förälder{i}", "Kapplöpning")
        session.add(GroupPupil(group_id=group.id, pupil_id=pupil))
        session.add(Guardianship(guardian_id=guardian, pupil_id=pupil))
        session.add(Plan(pupil_id=pupil, term_id=term.id))
        guardians.append(guardian)
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    time = TalkTime(
        group_id=group.id,
        term_id=term.id,
        mentor_id=mentor,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=20),
        closes_at=starts - timedelta(days=1),
        place="Rum 1",
    )
    session.add(time)
    session.commit()
    assert time.id is not None
    tokens = [
        start_session(session, person_id=g, passkey_id=None, settings=SETTINGS) for g in guardians
    ]
    return time.id, tokens


@pytest.fixture(scope="module")
def race(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Race]:
    backend = make_url(database_url).get_backend_name()
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        today = Settings().today()
        with Session(engine, expire_on_commit=False) as session:
            seed(session, today=today)
            time_id, tokens = families(session, today=today)
        port = free_port()
        base_url = f"http://localhost:{port}"
        log = tmp_path_factory.mktemp(f"race-{backend}") / "server.log"
        env = {
            **os.environ,
            "IUP_DATABASE_URL": database_url,
            "IUP_ORIGIN": base_url,
            "IUP_SECRET_KEY": SETTINGS.secret_key,
            "PYTHONUNBUFFERED": "1",
        }
        # Several worker processes: the requests meet in the database, not in one loop.
        command = [IUP, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "4"]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        try:
            tail = f"\n{log}"
            wait_until_healthy(base_url, process, tail)
            yield Race(base_url, engine, time_id, tokens)
        finally:
            stop_server(process)
    finally:
        engine.dispose()


async def _book_at_once(race: Race) -> list[httpx.Response]:
    clients = [
        httpx.AsyncClient(
            base_url=race.base_url, cookies=signed_in_cookies(t), timeout=CLIENT_TIMEOUT
        )
        for t in race.tokens
    ]
    try:
        pages = await asyncio.gather(*(c.get("/account") for c in clients))
        tokens = []
        for page in pages:
            match = CSRF.search(page.text)
            assert page.status_code == 200 and match, page.text[:300]
            tokens.append(match.group(1))
        start = asyncio.Event()

        async def book(client: httpx.AsyncClient, token: str) -> httpx.Response:
            await start.wait()  # the barrier: every request leaves at the same moment
            return await client.post(
                f"/api/talk-times/{race.time_id}/booking",
                json={},
                headers={"x-csrftoken": token},
            )

        tasks = [asyncio.create_task(book(c, t)) for c, t in zip(clients, tokens, strict=True)]
        await asyncio.sleep(0.05)
        start.set()
        return list(await asyncio.gather(*tasks))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


def test_twenty_families_one_time_exactly_one_booking(
    race: Race, capsys: pytest.CaptureFixture[str]
) -> None:
    with ThreadPoolExecutor(1) as pool:  # Playwright may hold this thread's event loop
        answers = pool.submit(lambda: asyncio.run(_book_at_once(race))).result()
    statuses = Counter(r.status_code for r in answers)
    slowest = max(r.elapsed.total_seconds() for r in answers)
    with capsys.disabled():
        print(f"\nrace: {FAMILIES} bookings at once, slowest {slowest * 1000:.0f} ms")
    assert statuses == Counter({201: 1, 409: FAMILIES - 1}), [
        (r.status_code, r.text[:200]) for r in answers
    ]
    for refused in (r for r in answers if r.status_code == 409):
        body = refused.json()
        assert body["reason"] == "taken" and body["message"] == TAKEN
        assert race.time_id not in body["current"]["free"]
    with Session(race.engine) as session:
        count = session.exec(
            select(func.count()).select_from(Booking).where(Booking.talk_time_id == race.time_id)
        ).one()
    assert count == 1
