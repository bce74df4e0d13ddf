"""Sessions that end when a shared computer is left (issue 23, item 3): an idle end besides
the absolute one (staff 30 minutes, pupils and guardians 8 hours), sign out everywhere, a
new session id and CSRF token at every sign-in, the CSRF token bound to its session,
`__Host-` cookies under https, and a form's save that meets an ended session held on a
page that signs in and sends it on."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta

import httpx
import pytest
from litestar.testing import TestClient
from sqlmodel import Session, col, select

from backend.app import create_app
from backend.auth import sessions
from backend.auth.service import issue_enrolment_code
from backend.auth.sessions import CSRF_COOKIE, SESSION_COOKIE
from backend.models import Guardianship, LoginSession, Note, utcnow
from backend.settings import Settings, from_env
from tests.integration.conftest import ORIGIN, Visitor, demo_person
from tests.integration.test_people import person_id
from tests.softauthn import SoftAuthenticator

HTTPS = "https://iup.local"
NOTE = "Elias läste högt för klassen idag — första gången i år."


class Clock:
    """The sessions' clock, moved on by hand (both apps of the pair run in this process)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = timedelta()
        monkeypatch.setattr(sessions, "utcnow", lambda: utcnow() + self.offset)

    def forward(self, **kwargs: float) -> None:
        self.offset += timedelta(**kwargs)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def signed_in_now(visitor: Visitor) -> bool:
    """Her account page answers her (200), or sends her to sign in (303)."""
    status = visitor.get("/account").status_code
    assert status in (200, 303), status
    return status == 200


def test_staff_are_signed_out_after_30_idle_minutes_and_families_after_8_hours(
    db: Session, signed_in: Callable[[str], Visitor], clock: Clock
) -> None:
    # A teacher who is also a parent is staff: her computer may be the staff room's.
    db.add(Guardianship(guardian_id=person_id(db, "teacher-ek"), pupil_id=person_id(db, "alva")))
    db.commit()
    mentor, teacher, pupil, guardian = (
        signed_in(key) for key in ("mentor-4a", "teacher-ek", "alva", "guardian-anna")
    )
    idle = dict(db.exec(select(LoginSession.person_id, LoginSession.idle_minutes)).all())
    assert idle[person_id(db, "mentor-4a")] == 30
    assert idle[person_id(db, "teacher-ek")] == 30
    assert idle[person_id(db, "alva")] == 8 * 60
    assert idle[person_id(db, "guardian-anna")] == 8 * 60

    clock.forward(minutes=20)
    assert signed_in_now(mentor)  # used again: her idle end moves on, to 50 minutes
    clock.forward(minutes=25)
    assert signed_in_now(mentor)  # 25 idle minutes: still in
    assert not signed_in_now(teacher)  # 45 idle minutes: out
    answer = mentor.get("/")
    assert answer.status_code == 200
    clock.forward(minutes=31)
    answer = mentor.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?expired=1&next=/"

    assert signed_in_now(pupil) and signed_in_now(guardian)  # 76 minutes: the family stays
    clock.forward(hours=7, minutes=59)
    assert signed_in_now(pupil)
    clock.forward(hours=8, minutes=1)
    assert not signed_in_now(pupil)


def test_the_absolute_end_holds_however_busy_she_is(
    signed_in: Callable[[str], Visitor], clock: Clock
) -> None:
    pupil = signed_in("alva")
    for _ in range(11):
        clock.forward(hours=1)
        assert signed_in_now(pupil)
    clock.forward(hours=1, minutes=1)  # 12 hours and a minute after signing in
    assert not signed_in_now(pupil)


def test_the_idle_times_are_configurable() -> None:
    settings = from_env({"IUP_IDLE_MINUTES_STAFF": "15", "IUP_IDLE_MINUTES_FAMILY": "120"})
    assert (settings.idle_minutes_staff, settings.idle_minutes_family) == (15, 120)
    assert (Settings().idle_minutes_staff, Settings().idle_minutes_family) == (30, 480)


def test_sign_out_everywhere_ends_her_sessions_on_every_device(
    db: Session, signed_in: Callable[[str], Visitor], visitor: Callable[[], Visitor]
) -> None:
    phone = signed_in("guardian-anna")
    laptop = visitor()  # the same passkey, synced to her laptop
    laptop.authenticator = phone.authenticator
    assert laptop.sign_in().status_code == 201
    other = signed_in("guardian-lina")
    account = phone.get("/account")
    assert "Du är inloggad på 2 enheter eller webbläsare" in account.text

    out = phone.form("/account/sign-out-everywhere", {})
    assert out.status_code == 303 and out.headers["location"] == "/login?signed_out=1"
    assert not signed_in_now(phone) and not signed_in_now(laptop)
    assert signed_in_now(other)  # someone else's session is hers
    anna = person_id(db, "guardian-anna")
    left = db.exec(select(LoginSession).where(col(LoginSession.person_id) == anna)).all()
    assert left == []

    # The JSON API: the same, and how many ended.
    assert laptop.sign_in().status_code == 201
    phone.authenticator = laptop.authenticator
    assert phone.sign_in().status_code == 201
    ended = laptop.client.delete("/api/sessions", headers={"x-csrftoken": laptop.token})
    assert ended.status_code == 200 and ended.json() == {"ended": 2}
    assert not signed_in_now(phone) and not signed_in_now(laptop)


def test_a_sign_in_gives_a_new_session_and_csrf_token(
    signed_in: Callable[[str], Visitor],
) -> None:
    alva = signed_in("alva")
    before = (alva.client.cookies[SESSION_COOKIE], alva.client.cookies[CSRF_COOKIE])
    old_token = alva.token
    assert alva.sign_in().status_code == 201  # again, on the same browser
    after = (alva.client.cookies[SESSION_COOKIE], alva.client.cookies[CSRF_COOKIE])
    assert after[0] != before[0] and after[1] != before[1] and alva.token != old_token
    assert signed_in_now(alva)

    # The session from before the sign-in ended with it: a stolen copy is worth nothing.
    alva.client.cookies.set(SESSION_COOKIE, before[0])
    assert not signed_in_now(alva)
    alva.client.cookies.set(SESSION_COOKIE, after[0])
    # The token from before the sign-in changes nothing now.
    alva.client.cookies.set(CSRF_COOKIE, before[1])
    stale = alva.client.delete("/api/sessions", headers={"x-csrftoken": before[1]})
    assert stale.status_code == 403 and stale.json()["reason"] == "csrf"
    assert signed_in_now(alva)  # nothing ended


def test_the_csrf_token_is_bound_to_its_session(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """Another session's valid token and cookie (an attacker's own, planted in the victim's
    browser) are refused: 403 `csrf`, and nothing is saved."""
    mentor = signed_in("mentor-4a")
    attacker = signed_in("teacher-ek")
    elias = person_id(db, "elias")
    mentor.client.cookies.set(CSRF_COOKIE, attacker.client.cookies[CSRF_COOKIE])
    forged = mentor.client.post(
        f"/api/pupils/{elias}/notes",
        json={"text": NOTE, "shared": True},
        headers={"x-csrftoken": attacker.token},
    )
    assert forged.status_code == 403 and forged.json()["reason"] == "csrf"
    assert db.exec(select(Note).where(col(Note.text) == NOTE)).all() == []
    # With her own token, the same note is saved.
    mentor.client.cookies.set(CSRF_COOKIE, mentor.token)
    own = mentor.post(f"/api/pupils/{elias}/notes", json={"text": NOTE, "shared": True})
    assert own.status_code == 201, own.text


# Under https ----------------------------------------------------------------------------


@pytest.fixture
def https_visitor(fresh: Callable[[str], str]) -> Iterator[Visitor]:
    settings = Settings(
        database_url=fresh("iup"),
        origin=HTTPS,
        rp_id="iup.local",
        secret_key="test-secret",
    )
    with TestClient(create_app(settings), base_url=HTTPS) as server:
        visitor = Visitor(
            httpx.Client(base_url=HTTPS, transport=server._transport, follow_redirects=True)
        )
        visitor.authenticator = SoftAuthenticator(origin=HTTPS, rp_id="iup.local")
        yield visitor
        server.app.state.engine.dispose()


def test_cookies_under_https_are_host_only(db: Session, https_visitor: Visitor) -> None:
    """`__Host-` names: Secure, path /, no Domain, so no other host can set or shadow them."""
    login = https_visitor.get("/login")
    assert re.match(
        r"__Host-iup_csrf=[^;]+; HttpOnly; Path=/; SameSite=strict; Secure",
        login.headers["set-cookie"],
    )
    code = issue_enrolment_code(db, person_id=person_id(db, "alva"), hours=1)
    answer = https_visitor.enrol(code)
    assert answer.status_code == 201, answer.text
    cookies = answer.headers.get_list("set-cookie")
    assert sorted(c.split("=", 1)[0] for c in cookies) == ["__Host-iup_csrf", "__Host-iup_session"]
    for cookie in cookies:
        flags = [part.strip().lower() for part in cookie.split(";")[1:]]
        assert "secure" in flags and "path=/" in flags and "httponly" in flags, cookie
        assert not any(flag.startswith("domain") for flag in flags), cookie
    assert https_visitor.get("/").status_code == 200
    assert "iup_session" not in https_visitor.client.cookies  # only the prefixed name


# A save that meets an ended session ------------------------------------------------------


def test_a_form_saved_after_the_session_ended_is_held_and_sent_after_signing_in(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    mentor = signed_in("mentor-4a")
    elias = person_id(db, "elias")
    for row in db.exec(select(LoginSession)).all():
        row.idle_until = utcnow() - timedelta(minutes=1)  # left for too long
        db.add(row)
    db.commit()
    held = mentor.form(f"/pupils/{elias}/notes", {"text": NOTE, "shared": "1"})
    assert held.status_code == 401
    assert "Logga in för att spara" in held.text
    assert f'action="/pupils/{elias}/notes"' in held.text
    assert f'name="text" value="{NOTE}"' in held.text  # the text, on the page
    assert 'data-resend="held-form"' in held.text
    assert db.exec(select(Note).where(col(Note.text) == NOTE)).all() == []

    # She signs in there; the page sends the held form with the new session's token.
    signed = mentor.sign_in()
    assert signed.status_code == 201
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', held.text))
    fields["_csrf_token"] = signed.json()["csrf"]
    sent = mentor.client.post(f"/pupils/{elias}/notes", data=fields, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    saved = db.exec(select(Note).where(col(Note.text) == NOTE)).all()
    assert len(saved) == 1 and saved[0].author_id == demo_person(db, "mentor-4a").id


def test_an_htmx_save_after_the_session_ended_is_sent_again_as_a_plain_form(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """htmx cannot show the page that holds a save: a 401 marked `x-iup-held` tells the
    page's script to send the form again, plainly, and that answer is the page above. An
    htmx read (a GET) goes to the sign-in page and back, as before."""
    alva = signed_in("alva")
    for row in db.exec(select(LoginSession)).all():
        db.delete(row)
    db.commit()
    htmx = {"hx-request": "true", "hx-current-url": f"{ORIGIN}/"}
    answer = alva.post("/goals/1/self-assessments", data={"level": "2"}, headers=htmx)
    assert answer.status_code == 401
    assert answer.headers["x-iup-held"] == "1" and "hx-redirect" not in answer.headers
    plain = alva.form("/goals/1/self-assessments", {"level": "2", "comment": "Nästan klart"})
    assert plain.status_code == 401 and 'name="comment" value="Nästan klart"' in plain.text
    read = alva.get("/account", headers=htmx)
    assert read.status_code == 401
    assert read.headers["hx-redirect"] == "/login?expired=1&next=/"


def test_a_browser_that_lost_the_csrf_cookie_gets_a_new_one_its_session_accepts(
    db: Session, signed_in: Callable[[str], Visitor], visitor: Callable[[], Visitor]
) -> None:
    """Only the session's cookie, on a new device: its first page makes a token (the CSRF
    middleware's, never one the browser sent), and the session accepts that one."""
    mentor = signed_in("mentor-4a")
    elias = person_id(db, "elias")
    copy = visitor()
    copy.client.cookies.set(SESSION_COOKIE, mentor.client.cookies[SESSION_COOKIE])
    page = copy.get("/account")
    assert page.status_code == 200
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert token and token.group(1) == copy.client.cookies[CSRF_COOKIE]
    saved = copy.client.post(
        f"/api/pupils/{elias}/notes",
        json={"text": NOTE, "shared": False},
        headers={"x-csrftoken": token.group(1)},
    )
    assert saved.status_code == 201, saved.text
    # The first browser's token is the old one now: its next save asks for a reload.
    stale = mentor.post(f"/api/pupils/{elias}/notes", json={"text": NOTE, "shared": False})
    assert stale.status_code == 403 and stale.json()["reason"] == "csrf"
