"""Two server processes on one PostgreSQL database (issue 22, item 5), as a municipality
runs them behind a proxy that sends each request wherever it likes: a sign-up ceremony
started on one finishes on the other, the session it makes holds on both, a sign-in
ceremony goes the other way, wrong sign-up codes count on both towards one limit, a booking
made on one is taken on the other, and the hourly work runs in one process, not both."""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from backend.auth.limits import CODE_GUESS
from backend.auth.service import issue_enrolment_code
from backend.auth.sessions import SESSION_COOKIE, start_session
from backend.db import make_engine, upgrade
from backend.demo import external, seed
from backend.models import Group, Person, TalkTime
from backend.settings import Settings
from tests.load.test_class_saves import CLIENT_TIMEOUT, IUP, wait_until_healthy
from tests.softauthn import SoftAuthenticator
from tests.support import free_port, postgres_database, serve, signed_in_cookies, stop_server

CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
SECRET = "two-servers"  # both servers': it signs the CSRF tokens of sessions begun here
ELSEWHERE = "another process runs this hour's passes"


@dataclass
class Pair:
    a: str  # base URLs
    b: str
    engine: Engine
    logs: tuple[Path, Path]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with postgres_database("iup_two") as url:
        upgrade(url)
        engine = make_engine(url)
        with Session(engine) as session:
            seed(session, today=Settings().today())
        ports = free_port(), free_port()
        a, b = (f"http://localhost:{port}" for port in ports)
        folder = tmp_path_factory.mktemp("two-servers")
        env = {
            **os.environ,
            "IUP_DATABASE_URL": url,
            "IUP_ORIGIN": a,  # the proxy's address: the same for both
            "IUP_SECRET_KEY": SECRET,
            "PYTHONUNBUFFERED": "1",
        }
        processes, logs = [], []
        try:
            for n, port in enumerate(ports):
                log = folder / f"server-{n}.log"
                logs.append(log)
                processes.append(serve(IUP, port, env, log))
            for base, process, log in zip((a, b), processes, logs, strict=True):
                wait_until_healthy(base, process, f"\n{log}")
            yield Pair(a, b, engine, (logs[0], logs[1]))
        finally:
            for process in processes:
                stop_server(process)
            engine.dispose()


class Browser:
    """One browser whose requests the proxy sends to either server: what one server sets
    in a cookie, the next request carries to whichever answers it."""

    def __init__(self, pair: Pair) -> None:
        self.a = httpx.Client(base_url=pair.a, timeout=CLIENT_TIMEOUT)
        self.b = httpx.Client(base_url=pair.b, timeout=CLIENT_TIMEOUT)
        self.authenticator = SoftAuthenticator(origin=pair.a)
        self.token = ""
        self.fresh_token(self.a)

    def fresh_token(self, client: httpx.Client) -> None:
        """The CSRF token of a page, as a browser reads it after signing in or out."""
        page = self.get(client, "/login")
        match = CSRF.search(page.text)
        assert page.status_code == 200 and match
        self.token = match.group(1)

    def _kept(self, answer: httpx.Response) -> httpx.Response:
        for client in (self.a, self.b):
            client.cookies.update(answer.cookies)
        return answer

    def get(self, client: httpx.Client, url: str) -> httpx.Response:
        return self._kept(client.get(url))

    def post(self, client: httpx.Client, url: str, body: object) -> httpx.Response:
        return self._kept(client.post(url, json=body, headers={"x-csrftoken": self.token}))

    def forget(self, name: str) -> None:
        for client in (self.a, self.b):
            client.cookies.delete(name)

    def close(self) -> None:
        self.a.close()
        self.b.close()


def person(engine: Engine, key: str) -> int:
    with Session(engine) as session:
        found = session.exec(select(Person.id).where(Person.external_id == external(key))).one()
    assert found is not None
    return int(found)


def test_a_ceremony_and_a_session_cross_from_one_server_to_the_other(pair: Pair) -> None:
    alva = person(pair.engine, "alva")
    with Session(pair.engine) as session:
        code = issue_enrolment_code(session, person_id=alva, hours=1)
    browser = Browser(pair)
    try:
        options = browser.post(browser.a, f"/enrol/{code}/options", {})
        assert options.status_code == 201, options.text
        made = browser.post(
            browser.b, f"/enrol/{code}/verify", browser.authenticator.register(options.json())
        )
        assert made.status_code == 201, made.text  # started on A, finished on B
        for client in (browser.a, browser.b):
            account = browser.get(client, "/account")
            assert account.status_code == 200 and "Alva Nilsson" in account.text
        browser.forget(SESSION_COOKIE)
        assert browser.get(browser.a, "/account").status_code in (303, 401)
        browser.fresh_token(browser.b)
        login = browser.post(browser.b, "/auth/login/options", {})
        assert login.status_code == 201, login.text
        signed = browser.authenticator.login(login.json())
        back = browser.post(browser.a, "/auth/login/verify", signed)
        assert back.status_code == 201, back.text  # started on B, finished on A
        assert "Alva Nilsson" in browser.get(browser.b, "/account").text
    finally:
        browser.close()


def test_wrong_codes_count_on_both_towards_one_limit(pair: Pair) -> None:
    browser = Browser(pair)
    try:
        while True:
            window = int(time.time()) // CODE_GUESS.window
            answers = [
                browser.post(client, f"/enrol/{secrets.token_urlsafe(16)}/options", {})
                for _ in range(CODE_GUESS.max // 2)
                for client in (browser.a, browser.b)
            ]
            over = browser.post(browser.a, f"/enrol/{secrets.token_urlsafe(16)}/options", {})
            if int(time.time()) // CODE_GUESS.window == window:
                break  # all in one window of the limit (else the count started again)
            time.sleep(1)
        assert all(a.status_code in (400, 403, 404) for a in answers), {
            a.status_code for a in answers
        }
        assert over.status_code == 429, over.text  # half were tried on A, half on B
        assert over.headers.get("retry-after")
    finally:
        browser.close()


def test_a_booking_on_one_server_is_taken_on_the_other(pair: Pair) -> None:
    with Session(pair.engine) as session:
        group = session.exec(
            select(Group.id).where(Group.external_id == external("group-4A"))
        ).one()
        time_id = session.exec(
            select(TalkTime.id).where(TalkTime.group_id == group).order_by(col(TalkTime.starts_at))
        ).first()
        tokens = [
            start_session(
                session,
                person_id=person(pair.engine, key),
                passkey_id=None,
                settings=Settings(secret_key=SECRET),
            )
            for key in ("guardian-anna", "guardian-lina")
        ]
    answers = []
    for base, token in zip((pair.a, pair.b), tokens, strict=True):
        with httpx.Client(
            base_url=base, cookies=signed_in_cookies(token), timeout=CLIENT_TIMEOUT
        ) as client:
            page = client.get("/account")
            match = CSRF.search(page.text)
            assert match, page.text[:200]
            answers.append(
                client.post(
                    f"/api/talk-times/{time_id}/booking",
                    json={},
                    headers={"x-csrftoken": match.group(1)},
                )
            )
    assert answers[0].status_code == 201, answers[0].text  # Anna, on A
    assert answers[1].status_code == 409 and answers[1].json()["reason"] == "taken"  # Lina, on B


def test_the_hourly_work_runs_in_one_of_the_two(pair: Pair) -> None:
    said = [log.read_text(errors="replace") for log in pair.logs]
    assert sum(ELSEWHERE in text for text in said) == 1, said
