"""Preparing for the talk in the browser. Elias (4A) on his phone in Swedish: he answers
two questions with no connection, reloads (the service worker shows the page again and his
text comes back from the device), and when the connection returns the answers reach the
server by themselves ("Sparat i din mobil eller dator", then "Skickat"); a save from a stale version
in a second browser is refused and the page offers both texts. His guardian Lina prepares
at her desk in English. axe on every page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import DESKTOP, PHONE

pytestmark = pytest.mark.e2e

STATUS = "[data-prep-status]"
DRAFTS = "Object.keys(localStorage).filter((k) => k.startsWith('iup-draft:prep:'))"


def axe_both(page: Any, axe_check: Any) -> None:
    """axe at 360 px and at 1,280 px, back at the page's own width; nothing scrolls
    sideways."""
    own_size = page.viewport_size
    for size in ({"width": 360, "height": 740}, {"width": 1280, "height": 800}, own_size):
        page.set_viewport_size(size)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= size["width"], page.url
        axe_check(page)


def own(page: Any) -> dict[str, Any]:
    response = page.request.get("/api/plan/preparation")
    assert response.status == 200
    return dict(response.json())


def test_answers_typed_offline_survive_a_reload_and_are_sent_by_themselves(
    live_server, new_context, add_authenticator, enrol, axe_check, watch, go_offline, go_online
) -> None:
    watch.allow_console(r"ERR_INTERNET_DISCONNECTED")
    watch.allow_console(r"status of 409 \(Conflict\) @ \S+/preparation$")  # the stale save
    page = new_context(**PHONE).new_page()
    add_authenticator(page)
    enrol(page, live_server.enrolment_url("Elias Karlsson"))
    card = page.locator(".prep-card")
    expect(card).to_contain_text("Inför samtalet")
    expect(card).to_contain_text("0 av 5 frågor")
    axe_both(page, axe_check)
    card.get_by_role("link").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inför samtalet")
    # Under the service worker, so that the page is there with no connection.
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inför samtalet")
    axe_both(page, axe_check)

    first = page.get_by_label("Vad har gått bra den här terminen?")
    second = page.get_by_label("Vad har varit svårt den här terminen?")
    go_offline(page)
    first.fill("Jag läste en hel bok.")
    second.fill("Division med rest.")
    expect(page.locator(STATUS)).to_have_text("Sparat i din mobil eller dator")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inför samtalet")
    expect(first).to_have_value("Jag läste en hel bok.")
    expect(second).to_have_value("Division med rest.")
    expect(page.locator(STATUS)).to_have_text("Sparat i din mobil eller dator")
    # Kept on the device until sent. (Whether the server has it yet is not asked: under
    # load Chromium's offline emulation has let a save through and lost only its answer;
    # the send that follows is then no conflict, as the answers are the stored ones.)
    assert page.evaluate(DRAFTS) != [], "the answers are kept on the device"

    go_online(page)
    # By itself: on the `online` event, or its next try (at most 4 s apart by then).
    expect(page.locator(STATUS)).to_have_text("Skickat", timeout=15_000)
    stored = own(page)
    sent = stored["version"]
    assert sent >= 1
    assert [a["text"] for a in stored["answers"][:2]] == [
        "Jag läste en hel bok.",
        "Division med rest.",
    ]
    assert page.evaluate(DRAFTS) == [], "the draft is gone once sent"
    axe_both(page, axe_check)

    # A second browser saves first; this one's save is then stale: both texts are offered.
    other = new_context(**PHONE).new_page()
    add_authenticator(other)
    enrol(other, live_server.enrolment_url("Elias Karlsson"))
    other.goto("/preparation")
    other.get_by_label("Vad har gått bra den här terminen?").fill("Rasterna med Alva.")
    other.get_by_role("button", name="Spara", exact=True).tap()
    expect(other.locator(".notice--success").first).to_have_text("Dina svar är sparade.")

    first.fill("Jag läste två hela böcker.")
    page.get_by_role("button", name="Spara", exact=True).tap()
    choice = page.get_by_role("group", name="Vilken text vill du behålla?")
    expect(choice).to_be_visible()
    expect(choice.locator("blockquote")).to_have_text("Rasterna med Alva.")
    expect(first).to_have_value("Jag läste två hela böcker.")
    expect(page.get_by_role("alert")).to_contain_text("Välj för varje svar")
    axe_both(page, axe_check)
    choice.get_by_label("Min text (i rutan ovanför)").check()
    page.get_by_role("button", name="Klar inför samtalet").tap()
    expect(page.locator(".notice--success").first).to_have_text("Dina svar är sparade.")
    stored = own(page)
    assert stored["answers"][0]["text"] == "Jag läste två hela böcker."
    assert stored["version"] == sent + 2 and stored["ready_at"]  # the other save, then his
    axe_both(page, axe_check)


def test_a_guardian_prepares_in_english(
    live_server, new_context, add_authenticator, enrol, axe_check
) -> None:
    page = new_context(**DESKTOP, locale="en-GB").new_page()
    add_authenticator(page)
    enrol(page, live_server.enrolment_url("Lina Karlsson"))
    card = page.locator(".prep-card")
    expect(card).to_contain_text("Before the talk")
    axe_both(page, axe_check)
    card.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Before the talk about Elias")
    axe_both(page, axe_check)
    page.get_by_label("What do you think is going well for your child at school?").fill(
        "He reads every evening."
    )
    page.get_by_label("Share my answers with the other guardians").check()
    page.get_by_role("button", name="Ready for the talk").click()
    expect(page.locator(".notice--success").first).to_have_text("Your answers are saved.")
    expect(page.get_by_text("You are ready for the talk.")).to_be_visible()
    axe_both(page, axe_check)
    elias = live_server.person_id("Elias Karlsson")
    stored = page.request.get(f"/api/pupils/{elias}/guardian-preparation").json()
    assert stored["answers"][0]["text"] == "He reads every evening."
    assert stored["shared"] is True and stored["ready_at"]


def test_a_stale_automatic_send_offers_both_texts_and_an_expired_session_loses_nothing(
    live_server, new_context, add_authenticator, enrol, axe_check, watch, go_offline, go_online
) -> None:
    watch.allow_console(r"ERR_INTERNET_DISCONNECTED")
    watch.allow_console(r"status of 409 \(Conflict\) @ \S+/preparation$")
    watch.allow_console(r"status of 40[13] \(\w+\) @ \S+/api/plan/preparation$")
    page = new_context(**PHONE).new_page()
    add_authenticator(page)
    enrol(page, live_server.enrolment_url("Elias Karlsson"))
    page.goto("/preparation")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.reload()
    better = page.get_by_label("Vad vill du bli bättre på nu?")
    base = own(page)["version"]

    # Offline he writes; meanwhile the same answer is saved from another browser.
    go_offline(page)
    better.fill("Skriva snabbare.")
    expect(page.locator(STATUS)).to_have_text("Sparat i din mobil eller dator")
    other = new_context(**PHONE).new_page()
    add_authenticator(other)
    enrol(other, live_server.enrolment_url("Elias Karlsson"))
    other.goto("/preparation")
    other.get_by_label("Vad vill du bli bättre på nu?").fill("Läsa högt.")
    other.get_by_role("button", name="Spara", exact=True).tap()
    expect(other.locator(".notice--success").first).to_have_text("Dina svar är sparade.")
    assert own(other)["version"] == base + 1

    # Back online, the automatic send is stale: the page offers both texts.
    go_online(page)
    choice = page.get_by_role("group", name="Vilken text vill du behålla?")
    expect(choice).to_be_visible(timeout=15_000)
    expect(choice.locator("blockquote")).to_have_text("Läsa högt.")
    expect(better).to_have_value("Skriva snabbare.")
    axe_both(page, axe_check)
    choice.get_by_label("Den sparade").check()
    page.get_by_role("button", name="Spara", exact=True).tap()
    expect(page.locator(".notice--success").first).to_have_text("Dina svar är sparade.")
    assert own(page)["answers"][2]["text"] == "Läsa högt."

    # The session ends while he writes: the text stays on the device and is sent after
    # he signs in again.
    page.context.clear_cookies()
    better.fill("Läsa högt för klassen.")
    expect(page.locator(STATUS)).to_have_text("Sparat i din mobil eller dator")
    page.evaluate("window.dispatchEvent(new Event('online'))")  # a send now: refused
    expect(page.locator(STATUS)).to_contain_text("Inte skickat än")
    # Headless, the sign-in page's passkey autofill signs him in by itself.
    page.goto("/login")
    page.wait_for_url(re.compile(r"://[^/]+/$"))
    page.goto("/preparation")
    expect(better).to_have_value("Läsa högt för klassen.")
    expect(page.locator(STATUS)).to_have_text("Skickat")
    assert own(page)["answers"][2]["text"] == "Läsa högt för klassen."
