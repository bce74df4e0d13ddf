"""What an outside tester sends over plain HTTP: bad input is a clear 4xx in the user's
language and stores nothing, on SQLite and on PostgreSQL; abuse is limited with 429 and
Retry-After; a failure is logged with the request id that its page shows."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from backend.auth import limits
from backend.auth.service import issue_enrolment_code
from backend.models import Challenge, PasskeyCredential, Person, SelfAssessment
from backend.settings import Settings
from backend.web import safe_next
from tests.integration.conftest import ORIGIN, Visitor, demo_person
from tests.softauthn import SoftAuthenticator


@pytest.fixture
def settings(fresh: Callable[[str], str]) -> Settings:
    """Without the debug flag, as served (PostgreSQL refuses what SQLite stores: make test
    runs these on both)."""
    return Settings(
        database_url=fresh("iup"), origin=ORIGIN, rp_id="localhost", secret_key="test-secret"
    )


@pytest.fixture(autouse=True)
def still_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """A limit's window does not end in the middle of a test."""
    start = int(time.time()) // 600 * 600 + 1
    monkeypatch.setattr(limits, "clock", lambda: start)


def ratings(db: Session, goal: int) -> int:
    db.expire_all()
    return db.exec(
        select(func.count()).select_from(SelfAssessment).where(SelfAssessment.goal_id == goal)
    ).one()


def first_goal(db: Session, key: str) -> int:
    pupil = demo_person(db, key)
    row = db.execute(
        text(
            "SELECT goal.id FROM goal JOIN plan ON plan.id = goal.plan_id "
            "WHERE plan.pupil_id = :p ORDER BY goal.id LIMIT 1"
        ),
        {"p": pupil.id},
    ).scalar_one()
    return int(row)


def deep(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


# Deep JSON ------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1_000, 40_000])
def test_deep_json_is_a_400_everywhere(
    db: Session, signed_in: Callable[[str], Visitor], depth: int
) -> None:
    alva = signed_in("alva")
    goal = first_goal(db, "alva")
    before = ratings(db, goal)
    for url in (
        "/auth/login/verify",
        "/enrol/no-such-code/verify",
        f"/api/goals/{goal}/self-assessments",
        "/account/passkeys/verify",
    ):
        response = alva.post(url, content=deep(depth), headers={"content-type": "application/json"})
        assert 400 <= response.status_code < 500, (url, response.status_code, response.text)
        assert response.json()["reason"] in {"too_deep", "invalid_request", "code_unknown"}
    nested = {"level": 2, "comment": "x", "extra": json.loads(deep(100))}
    assert alva.post(f"/api/goals/{goal}/self-assessments", json=nested).status_code == 400
    assert ratings(db, goal) == before


# Numbers and characters that are not what they seem ---------------------------------------


@pytest.mark.parametrize("level", ["²", "٣", "３", "1" * 5000, "-1", "0", "5", " ", "1.0", "3\x00"])
def test_a_level_that_is_not_1_to_4_is_explained(
    db: Session, signed_in: Callable[[str], Visitor], level: str
) -> None:
    alva = signed_in("alva")
    goal = first_goal(db, "alva")
    before = ratings(db, goal)
    response = alva.form(f"/goals/{goal}/self-assessments", {"level": level, "comment": "typed"})
    assert response.status_code == 422
    assert "Välj hur det går." in response.text
    assert ">typed</textarea>" in response.text, "what she wrote is kept"
    assert ratings(db, goal) == before


@pytest.mark.parametrize(
    "body",
    [
        b'{"level": 1' + b"0" * 5000 + b"}",
        b'{"level": "three"}',
        b'{"level": 3.5}',
        b'{"level": 99999999999999999999999}',
        b'{"level": 2, "comment": "a\\u0000b"}',
        b'{"level": 2, "comment": "a\\ud800b"}',
        b'{"level": 2, "comment": "bell\\u0007"}',
        b'{"level": 2, "comment": "' + b"x" * 1001 + b'"}',
    ],
)
def test_bad_json_ratings_are_a_400(
    db: Session, signed_in: Callable[[str], Visitor], body: bytes
) -> None:
    alva = signed_in("alva")
    goal = first_goal(db, "alva")
    before = ratings(db, goal)
    response = alva.post(
        f"/api/goals/{goal}/self-assessments",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["reason"] == "invalid_request"
    assert ratings(db, goal) == before


@pytest.mark.parametrize("comment", ["null\x00byte", "escape\x1b[31m", "del\x7f"])
def test_control_characters_in_a_comment_are_explained_and_the_text_kept(
    db: Session, signed_in: Callable[[str], Visitor], comment: str
) -> None:
    alva = signed_in("alva")
    goal = first_goal(db, "alva")
    before = ratings(db, goal)
    response = alva.form(f"/goals/{goal}/self-assessments", {"level": "3", "comment": comment})
    assert response.status_code == 422
    assert "Kommentaren har ett tecken som vi inte kan spara" in response.text
    assert ratings(db, goal) == before


def test_line_breaks_tabs_and_any_language_are_fine(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = signed_in("alva")
    goal = first_goal(db, "alva")
    before = ratings(db, goal)
    comment = "Bra!\r\n\tمرحبا — 😀 ²"
    saved = alva.form(f"/goals/{goal}/self-assessments", {"level": "3", "comment": comment})
    assert saved.status_code == 303
    api = alva.post(f"/api/goals/{goal}/self-assessments", json={"level": 4, "comment": comment})
    assert api.status_code == 201 and api.json()["comment"] == comment.strip()
    assert ratings(db, goal) == before + 2


def test_a_nul_in_a_passkey_name_is_refused(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = signed_in("alva")
    passkey = db.exec(
        select(PasskeyCredential)
        .where(PasskeyCredential.person_id == demo_person(db, "alva").id)
        .order_by(PasskeyCredential.id.desc())  # type: ignore[union-attr]
    ).first()
    assert passkey is not None
    response = alva.form(f"/account/passkeys/{passkey.id}/rename", {"nickname": "mobil\x00"})
    assert response.status_code == 422
    assert "Använd bokstäver, siffror och skiljetecken" in response.text
    db.refresh(passkey)
    assert "\x00" not in passkey.nickname


# next= --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r/evil.example",
        "/\\evil.example",
        "/ok\\..\\evil",
        "/\x00",
        "/" + "a" * 600,
        "//evil.example",
        "https://evil.example",
    ],
)
def test_next_stays_on_this_site(target: str) -> None:
    assert safe_next(target) == "/"


def test_next_keeps_an_ordinary_path() -> None:
    assert safe_next("/pupils/3?x=1") == "/pupils/3?x=1"


def test_the_sign_in_page_does_not_echo_a_bad_next(visitor: Callable[[], Visitor]) -> None:
    page = visitor().get("/login", params={"next": "/\t/evil.example"})
    assert page.status_code == 200
    assert "evil.example" not in page.text


# Abuse limits -------------------------------------------------------------------------


def test_a_thousand_sign_in_starts_meet_429_and_the_challenges_stay_bounded(
    db: Session, visitor: Callable[[], Visitor], caplog: pytest.LogCaptureFixture
) -> None:
    guest = visitor()
    statuses = []
    with caplog.at_level(logging.INFO, logger="iup"):
        for _ in range(1000):
            statuses.append(guest.post("/auth/login/options", json={}).status_code)
    first_refusal = statuses.index(429)
    assert first_refusal <= 200, "refused long before the end"
    assert set(statuses[:first_refusal]) == {201} and set(statuses[first_refusal:]) == {429}
    refused = guest.post("/auth/login/options", json={})
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["reason"] == "sign_in_start"
    assert "För många försök" in refused.json()["message"]
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Challenge)).one() == first_refusal
    assert "429 sign_in_start" in caplog.text


def test_enrolment_code_guesses_are_limited_and_logged(
    visitor: Callable[[], Visitor], caplog: pytest.LogCaptureFixture
) -> None:
    guest = visitor()
    with caplog.at_level(logging.INFO, logger="iup"):
        statuses = [guest.get(f"/enrol/guess-{n}").status_code for n in range(40)]
    assert statuses[:20] == [410] * 20  # a clear "not valid" page each time
    assert set(statuses[20:]) == {429}
    assert caplog.text.count("code_guess") >= 20


def test_used_links_clicked_again_never_lock_out_a_class(
    db: Session, visitor: Callable[[], Visitor]
) -> None:
    """A class behind the school's one address: ten pupils sign up, then their used links
    are opened again three times each (30 more than the guess limit allows); each says
    "used", none is refused. Guesses past the limit are refused, and even then a valid,
    unused link from the same address works."""
    pupils = [p for p in db.exec(select(Person)).all() if p.id is not None][:11]
    used = []
    for pupil in pupils[:10]:
        code = issue_enrolment_code(db, person_id=int(pupil.id or 0), hours=1)
        assert visitor().enrol(code).status_code == 201, pupil.name
        used.append(code)
    again = visitor()
    assert [again.get(f"/enrol/{code}").status_code for code in used * 3] == [410] * 30
    guesses = [again.get(f"/enrol/guess-{n}").status_code for n in range(25)]
    assert guesses[:20] == [410] * 20 and set(guesses[20:]) == {429}
    fresh = issue_enrolment_code(db, person_id=int(pupils[10].id or 0), hours=1)
    assert again.get(f"/enrol/{fresh}").status_code == 200
    assert again.enrol(fresh).status_code == 201


def test_a_class_signs_up_in_the_same_minute_from_one_address(
    db: Session, visitor: Callable[[], Visitor]
) -> None:
    """The mentor hands out 30 letters in class; every phone comes through the school's one
    address, each opening the page, asking for options and sending its passkey."""
    pupils = db.exec(select(Person)).all()[:30]
    assert len(pupils) >= 27  # the demo's people, as many as a class
    for pupil in pupils:  # the clock stands still (still_clock): all in one window
        assert pupil.id is not None
        code = issue_enrolment_code(db, person_id=pupil.id, hours=1)
        phone = visitor()
        assert phone.get(f"/enrol/{code}").status_code == 200, pupil.name
        assert phone.enrol(code).status_code == 201, pupil.name


def test_failed_sign_ins_are_limited_per_address(visitor: Callable[[], Visitor]) -> None:
    guest = visitor()
    statuses = []
    for _ in range(40):
        options = guest.post("/auth/login/options", json={}).json()
        credential = SoftAuthenticator(origin=ORIGIN).login(options)  # a passkey we never saw
        statuses.append(guest.post("/auth/login/verify", json=credential).status_code)
    assert statuses[:30] == [400] * 30
    assert set(statuses[30:]) == {429}


# Failures ------------------------------------------------------------------------------


def test_a_failure_is_logged_with_the_id_its_page_shows(
    db: Session, signed_in: Callable[[str], Visitor], caplog: pytest.LogCaptureFixture
) -> None:
    alva = signed_in("alva")
    db.execute(text("ALTER TABLE selfassessment RENAME TO away"))  # the database breaks
    db.commit()
    try:
        with caplog.at_level(logging.INFO, logger="iup"):
            page = alva.get("/")
            api = alva.get("/api/plan")
    finally:
        db.execute(text("ALTER TABLE away RENAME TO selfassessment"))
        db.commit()
    assert page.status_code == 500 and api.status_code == 500
    request_id = page.headers["x-request-id"]
    assert request_id in page.text, "the page shows the id to quote"
    assert api.json()["request_id"] == api.headers["x-request-id"]
    failures = [r for r in caplog.records if r.getMessage().startswith("failure")]
    assert [request_id in r.getMessage() for r in failures] == [True, False]
    assert all(r.exc_info for r in failures), "with the traceback"


def test_one_log_line_per_request_without_secrets(
    db: Session, signed_in: Callable[[str], Visitor], caplog: pytest.LogCaptureFixture
) -> None:
    alva = signed_in("alva")
    token = alva.client.cookies["iup_session"]
    maja = demo_person(db, "maja")
    with caplog.at_level(logging.INFO, logger="iup.access"):
        alva.get("/")
        alva.get(f"/pupils/{maja.id}")
    lines = [r.getMessage() for r in caplog.records if r.name == "iup.access"]
    assert len(lines) == 2
    assert lines[0].startswith("GET / 200 ") and "ms id=" in lines[0]
    assert lines[1].startswith("GET /pupils/{pupil_id} 404 ")
    assert token not in caplog.text and "Alva" not in caplog.text


def test_a_municipality_behind_one_address_can_raise_the_limit(
    settings: Settings, tmp_path: Path
) -> None:
    from litestar.testing import TestClient

    from backend.app import create_app

    roomy = msgspec.structs.replace(settings, sign_ins_per_address=600)
    with TestClient(create_app(roomy)) as client:
        guest = Visitor(client)
        statuses = [guest.post("/auth/login/options", json={}).status_code for _ in range(650)]
    assert statuses.index(429) == 600


def test_failed_sign_ins_are_limited_per_passkey(visitor: Callable[[], Visitor]) -> None:
    one_passkey = SoftAuthenticator(origin=ORIGIN)  # tried again and again, from anywhere
    statuses = []
    for _ in range(12):
        guest = visitor()
        options = guest.post("/auth/login/options", json={}).json()
        statuses.append(
            guest.post("/auth/login/verify", json=one_passkey.login(options)).status_code
        )
    assert statuses == [400] * 10 + [429] * 2
