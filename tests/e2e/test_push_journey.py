"""Web Push in Chromium (issue 24, acceptance: "the notification opens the thread").

Noah Ström signs up on a phone, opens his account page, allows notifications and taps
"Slå på aviseringar". This headless Chromium reaches no push service (the suite maps every
host but localhost to nowhere, and there is no Google push service behind it), so
`pushManager.subscribe` fails and the page says so; the test then registers his
subscription through the JSON API the page uses (POST /api/push/subscriptions, in his
session), with a key pair made here and an endpoint on a local push service (tests/
webpush.py; the e2e server runs with IUP_DEBUG, under which an http endpoint on this machine
is accepted, never in production). Ali Hassan, his Engelska teacher, writes in the thread of
Noah's Engelska goal; the server sends the push to the local service, the test decrypts it
(RFC 8291) and delivers exactly that plaintext to the page's service worker through the
DevTools protocol (`ServiceWorker.deliverPushMessage`). The worker shows "Något nytt i IUP"
with no name and no text. Chromium offers no way to click a system notification, so the
tap is a `notificationclick` dispatched in the worker with that notification: a new page
opens at the goal's thread, with the teacher's message in it. At sign-out the browser drops
the worker's registration (Clear-Site-Data), so its own subscription ends too."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import PHONE
from tests.webpush import Browser, push_service

pytestmark = pytest.mark.e2e

PUPIL, TEACHER, AREA = "Noah Ström", "Ali Hassan", "Engelska"


def goal_id(live_server: Any, pupil_id: int, area: str) -> int:
    """The pupil's goal in `area` this term."""
    with contextlib.closing(sqlite3.connect(live_server.db_path)) as db:
        row = db.execute(
            "SELECT goal.id FROM goal JOIN plan ON plan.id = goal.plan_id "
            "JOIN term ON term.id = plan.term_id WHERE plan.pupil_id = ? AND goal.area = ? "
            "ORDER BY term.starts_on DESC",
            (pupil_id, area),
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_push_shows_nothing_personal_and_a_tap_opens_the_thread(
    live_server: Any,
    new_context: Any,
    add_authenticator: Any,
    enrol: Any,
    api_person: Any,
    axe_check: Any,
    watch: Any,
) -> None:
    pupil_id = live_server.person_id(PUPIL)
    goal = goal_id(live_server, pupil_id, AREA)
    thread = f"/goals/{goal}/thread"
    note = "Noah, läs kapitel tre till fredag."

    # A new context is incognito, where Chromium's Push API says so on the console and
    # refuses (a profile on disk instead waits on Google's push service, out of reach).
    watch.allow_console(r"does not support the Push API in incognito mode")
    context = new_context(**PHONE)
    page = context.new_page()
    add_authenticator(page)
    enrol(page, live_server.enrolment_url(PUPIL))
    context.grant_permissions(["notifications"], origin=live_server.url)
    page.goto("/account")
    axe_check(page)
    status = page.locator("[data-push-status]")
    page.get_by_role("button", name="Slå på aviseringar").tap()
    expect(status).to_have_text(
        re.compile("Aviseringar är på för den här enheten.|Aviseringar kunde inte slås på")
    )
    axe_check(page)

    with push_service() as service:
        browser = Browser(service.url + "/push/noah")
        if "kunde inte" in (status.text_content() or ""):
            token = page.locator("meta[name='csrf-token']").get_attribute("content")
            made = page.request.post(
                "/api/push/subscriptions",
                data=browser.subscription(),
                headers={"x-csrftoken": token or "", "accept": "application/json"},
            )
            assert made.status == 201, made.text()

        teacher = api_person(TEACHER)
        teacher.call("POST", f"/api/goals/{goal}/messages", {"text": note})
        assert service.arrived.wait(30), "the server sent no push"
        assert len(service.received) == 1
        plaintext = browser.plaintext(service.received[0][2])
    assert json.loads(plaintext) == {"title": "Något nytt i IUP", "link": thread}

    cdp = context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    cdp.send("ServiceWorker.enable")
    # The events arrive with, or just after, the answer to enable.
    until(page, lambda: any(r["scopeURL"] == live_server.url + "/" for r in registrations))
    ours = [r for r in registrations if r["scopeURL"] == live_server.url + "/"]
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": live_server.url, "registrationId": ours[0]["registrationId"], "data": plaintext},
    )
    shown = page.wait_for_function(NOTIFICATIONS).json_value()
    assert shown == [{"title": "Något nytt i IUP", "body": "", "data": thread}]
    words = json.dumps(shown, ensure_ascii=False)
    for personal in ("Noah", "Ström", "Ali", "Hassan", "kapitel", str(pupil_id)):
        assert personal not in words

    # The tap. Chromium lets a worker open a window only inside a notificationclick that
    # a real click on a system notification started ("Not allowed to open a window"
    # otherwise), and no DevTools command clicks one. So sw.js's own handler runs here
    # with the notification the worker showed, and the window it opens is recorded; the
    # test then opens that address as the tap would.
    worker = context.service_workers[0]
    asked = worker.evaluate(TAP)
    assert asked == live_server.url + thread
    assert page.evaluate(NOTIFICATIONS) is None  # the tap closed it
    opened = context.new_page()
    opened.goto(asked)
    expect(opened.get_by_role("heading", level=1)).to_be_visible()
    expect(opened.locator(".thread__message").filter(has_text=note)).to_contain_text(TEACHER)
    axe_check(opened)

    # Sign-out: the server ends its copy; the answer's Clear-Site-Data ("storage") makes
    # the browser delete the worker's registration, and with it the browser's own push
    # subscription (the sign-in page then registers a new worker, without one).
    first = ours[0]["registrationId"]
    opened.get_by_role("banner").get_by_role("button", name="Logga ut").click()
    expect(opened.locator("[data-signed-out]")).to_be_visible()
    until(
        opened, lambda: any(r["registrationId"] == first and r["isDeleted"] for r in registrations)
    )


def until(page: Any, done: Callable[[], bool]) -> None:
    """Waits for DevTools events by a condition, not by the clock: each round trip to the
    page hands Playwright the events that arrived meanwhile (bounded, so a missing event
    fails the test instead of hanging it)."""
    for _ in range(20_000):
        if done():
            return
        page.evaluate("0")
    assert done(), "the DevTools event never came"


NOTIFICATIONS = """() => navigator.serviceWorker.ready
  .then((r) => r.getNotifications())
  .then((ns) => ns.length ? ns.map((n) => ({title: n.title, body: n.body, data: n.data})) : null)"""

# In the worker: sw.js's notificationclick handler with the shown notification; returns
# the address it asks clients.openWindow for, once its waitUntil promise has settled.
TAP = """() => self.registration.getNotifications().then(([notification]) => {
  let asked = null, kept = null;
  const real = clients.openWindow;
  clients.openWindow = (url) => { asked = url; return Promise.resolve(null); };
  try {
    self.onnotificationclick({notification, waitUntil: (p) => { kept = p; }});
  } finally {
    clients.openWindow = real;
  }
  return Promise.resolve(kept).then(() => asked);
})"""
