"""Web Push (issue 24, items 2 and 3): a local push service receives the push, the test
decrypts it (RFC 8291, aes128gcm) with the subscription's private key and finds nothing
personal in it, only the words and the path of the thread a tap opens; a 410 ends the
subscription; sign-out, sign out everywhere and removing the passkey end them; one person
cannot end another's; her choice is kept; one push a kind a day, with the first link."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from backend.models import PushSent, PushSubscription
from backend.notifications import push
from backend.notifications.service import Kind, notify
from backend.settings import Settings
from tests.integration.conftest import Visitor, demo_person
from tests.integration.test_reflections import rate
from tests.integration.test_threads import goal_of
from tests.webpush import Browser, PushService, push_service


@pytest.fixture
def service() -> Iterator[PushService]:
    with push_service() as found:
        yield found


def subscribe(visitor: Visitor, browser: Browser) -> None:
    answer = visitor.post("/api/push/subscriptions", json=browser.subscription())
    assert answer.status_code == 201, answer.text


def reply_to_alva(db: Session, signed_in: Callable[[str], Visitor]) -> Visitor:
    rating = rate(db, "alva", "Matematik", "Jag övar bråk med Elias varje dag.")
    teacher = signed_in("teacher-ek")
    answer = teacher.post(
        f"/api/self-assessments/{rating}/replies", json={"text": "Bra jobbat, Alva!"}
    )
    assert answer.status_code == 201, answer.text
    push.wait()
    return teacher


def test_the_key_is_a_p256_point(signed_in: Callable[[str], Visitor]) -> None:
    key = signed_in("alva").get("/api/push/key").json()["key"]
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert len(raw) == 65 and raw[0] == 4


def test_a_reply_reaches_her_device_with_nothing_personal(
    db: Session, signed_in: Callable[[str], Visitor], service: PushService
) -> None:
    alva = signed_in("alva")
    browser = Browser(service.url + "/push/alva-phone")
    subscribe(alva, browser)
    reply_to_alva(db, signed_in)
    assert len(service.received) == 1
    path, headers, body = service.received[0]
    assert path == "/push/alva-phone"
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["authorization"].startswith("vapid t=")
    assert b"IUP" not in body  # encrypted on the wire
    payload = browser.decrypt(body)
    # The teacher's reply went into the goal's thread: the tap opens that thread.
    goal = goal_of(db, "alva", "Matematik")
    assert payload == {"title": "Något nytt i IUP", "link": f"/goals/{goal.id}/thread"}
    nothing_personal(db, payload, "alva", goal.id, "Bra jobbat", "bråk")


def nothing_personal(
    db: Session, payload: dict[str, Any], key: str, thread_id: int | None, *texts: str
) -> None:
    """No name of anyone in the demo, none of the texts, and no number but the thread's
    (the goal's or the plan's id), which is not the pupil's."""
    pupil = demo_person(db, key)
    assert thread_id != pupil.id  # else the check below could not tell them apart
    words = json.dumps(payload, ensure_ascii=False)
    names = ("Alva", "Nilsson", "Elias", "Sara", "Ek", "Anna", "Hassan")
    for personal in (*names, *texts):
        assert personal not in words
    assert re.findall(r"\d+", words) == [str(thread_id)]


def test_a_message_in_the_plans_thread_links_to_that_thread(
    db: Session, signed_in: Callable[[str], Visitor], service: PushService, settings: Settings
) -> None:
    """The mentor writes in the plan's thread: the push to the pupil opens that thread; a
    second message the same day (another thread) sends nothing more, so the first link is
    the day's. Another kind (a booked time) links to her notifications."""
    alva = signed_in("alva")
    browser = Browser(service.url + "/push/alva")
    subscribe(alva, browser)
    mentor = signed_in("mentor-4a")
    goal = goal_of(db, "alva", "Matematik")
    text = "Alva, ta med dina bråkuppgifter till samtalet."
    made = mentor.post(f"/api/plans/{goal.plan_id}/messages", json={"text": text})
    assert made.status_code == 201, made.text
    push.wait()
    assert len(service.received) == 1
    payload = browser.decrypt(service.received[0][2])
    assert payload == {"title": "Något nytt i IUP", "link": f"/plans/{goal.plan_id}/thread"}
    nothing_personal(db, payload, "alva", goal.plan_id, "bråkuppgifter", "samtalet")

    again = mentor.post(f"/api/goals/{goal.id}/messages", json={"text": "Och i matten?"})
    assert again.status_code == 201, again.text
    push.wait()
    assert len(service.received) == 1  # one push a kind a day: the first one's link
    sent = db.exec(select(PushSent).where(col(PushSent.kind) == "message")).one()
    assert sent.link == f"/plans/{goal.plan_id}/thread"

    pupil = demo_person(db, "alva")
    assert pupil.id is not None
    notify(db, person_ids=[pupil.id], kind=Kind.BOOKED, day=settings.today(), pupil_id=pupil.id)
    db.commit()
    engine = db.get_bind()
    assert isinstance(engine, Engine)
    assert push.drain(engine, settings) == 1  # this session is not the app's: sent here
    assert len(service.received) == 2
    assert browser.decrypt(service.received[1][2])["link"] == "/notifications"


def test_a_push_links_only_to_a_path_of_ours(db: Session, settings: Settings) -> None:
    alva = demo_person(db, "alva")
    assert alva.id is not None
    for link in ("https://example.com/x", "//example.com/x", "/goals/1/thread?name=Alva", "x"):
        with pytest.raises(ValueError, match="a path on this origin"):
            notify(
                db,
                person_ids=[alva.id],
                kind=Kind.MESSAGE,
                day=settings.today(),
                pupil_id=alva.id,
                push_link=link,
            )
        db.rollback()


def test_her_language_and_one_push_a_kind_a_day(
    db: Session, signed_in: Callable[[str], Visitor], service: PushService
) -> None:
    alva = signed_in("alva")
    alva.form("/lang", {"lang": "en", "next": "/"})
    browser = Browser(service.url + "/push/1")
    subscribe(alva, browser)
    reply_to_alva(db, signed_in)
    reply_to_alva(db, signed_in)  # the same kind the same day: the digest's rule
    assert len(service.received) == 1
    assert browser.decrypt(service.received[0][2])["title"] == "Something new in IUP"


def test_her_choice_is_kept(
    db: Session, signed_in: Callable[[str], Visitor], service: PushService
) -> None:
    alva = signed_in("alva")
    subscribe(alva, Browser(service.url + "/push/1"))
    chosen = alva.client.put(
        "/api/push/choices",
        json={"on": ["talk", "plan", "sign", "prepare"]},
        headers={"x-csrftoken": alva.token},
    )
    assert chosen.status_code == 200, chosen.text
    assert {c["key"]: c["on"] for c in chosen.json()["choices"]}["reply"] is False
    reply_to_alva(db, signed_in)
    assert service.received == []
    # The account page's form turns it on again; the in-app digest had it all along.
    saved = alva.form("/notifications/push", {"on-reply": "1"})
    assert saved.status_code == 303
    page = alva.get("/account").text
    assert 'name="on-reply" value="1" checked' in page
    assert 'name="on-talk" value="1">' in page  # the form turned the others off
    assert alva.get("/api/notifications").json()["unread"] >= 1
    choices = alva.get("/api/push/choices").json()
    assert [c["key"] for c in choices["choices"] if c["on"]] == ["reply"]
    assert choices["devices"] == 1


def test_a_gone_subscription_ends(
    db: Session, signed_in: Callable[[str], Visitor], service: PushService
) -> None:
    subscribe(signed_in("alva"), Browser(service.url + "/push/gone"))
    service.status = 410
    reply_to_alva(db, signed_in)
    assert len(service.received) == 1
    db.expire_all()
    assert db.exec(select(PushSubscription)).all() == []


def test_a_failing_push_service_fails_no_request(
    db: Session, signed_in: Callable[[str], Visitor], settings: Settings
) -> None:
    alva = signed_in("alva")
    subscribe(alva, Browser("http://127.0.0.1:9/nobody-listens"))
    reply_to_alva(db, signed_in)  # the reply is stored (201) while the push fails
    db.expire_all()
    assert db.exec(select(PushSubscription)).one().endpoint.endswith("/nobody-listens")
    sent = db.exec(select(PushSent)).one()
    assert sent.sent_at is not None  # tried once, not again and again


def test_sign_out_and_passkey_removal_end_them(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = signed_in("alva")
    subscribe(alva, Browser("https://push.example.com/a"))
    alva.post("/logout")
    db.expire_all()
    assert db.exec(select(PushSubscription)).all() == []

    alva = signed_in("alva")
    subscribe(alva, Browser("https://push.example.com/b"))
    alva.post("/account/sign-out-everywhere", data={"_csrf_token": alva.token})
    db.expire_all()
    assert db.exec(select(PushSubscription)).all() == []

    alva = signed_in("alva")
    subscribe(alva, Browser("https://push.example.com/c"))
    row = db.exec(select(PushSubscription)).one()
    assert row.passkey_id is not None
    removed = alva.form(f"/account/passkeys/{row.passkey_id}/remove", {})
    assert removed.status_code in (303, 200), removed.text
    db.expire_all()
    assert db.exec(select(PushSubscription)).all() == []


def test_nobody_ends_anothers_subscription(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva, elias = signed_in("alva"), signed_in("elias")
    subscribe(alva, Browser("https://push.example.com/alva"))
    gone = elias.client.request(
        "DELETE",
        "/api/push/subscriptions",
        json={"endpoint": "https://push.example.com/alva"},
        headers={"x-csrftoken": elias.token},
    )
    assert gone.status_code == 404
    assert len(db.exec(select(PushSubscription)).all()) == 1
    own = alva.client.request(
        "DELETE",
        "/api/push/subscriptions",
        json={"endpoint": "https://push.example.com/alva"},
        headers={"x-csrftoken": alva.token},
    )
    assert own.status_code == 200, own.text
    db.expire_all()
    assert db.exec(select(PushSubscription)).all() == []


def test_not_a_subscription_is_refused(signed_in: Callable[[str], Visitor]) -> None:
    alva = signed_in("alva")
    bad = Browser("https://push.example.com/x").subscription()
    bad["keys"]["auth"] = "short"
    assert alva.post("/api/push/subscriptions", json=bad).status_code == 422


def test_without_a_subscription_nothing_is_queued(db: Session, settings: Settings) -> None:
    alva = demo_person(db, "alva")
    assert alva.id is not None
    notify(db, person_ids=[alva.id], kind=Kind.REPLY, day=settings.today(), pupil_id=alva.id)
    db.commit()
    assert db.exec(select(PushSent).where(col(PushSent.person_id) == alva.id)).all() == []
