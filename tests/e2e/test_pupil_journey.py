"""The acceptance test: a pupil signs up with a passkey, signs out and in again without a
user name, and records two self-assessments of a goal through htmx."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

HOME = re.compile(r"^http://localhost:\d+/$")


def test_alva_signs_up_signs_in_and_rates_a_goal(
    live_server, page, add_authenticator, axe_check
) -> None:
    authenticator = add_authenticator(page)

    # Sign up with the one-time link from the mentor.
    page.goto(live_server.enrolment_url("Alva Nilsson"))
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text("Välkommen, Alva!")
    axe_check(page)
    page.get_by_role("button", name="Skapa passkey").click()
    page.wait_for_url(re.compile(r"/\?welcome=1$"))
    assert len(authenticator.credentials()) == 1
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina mål")
    expect(page.get_by_role("status").first).to_have_text("Din passkey är klar och du är inloggad.")
    expect(page.locator("article.goal")).to_have_count(3)
    axe_check(page)

    # Sign out, then in again with the button: no user name, the passkey is found.
    # Headless, an autofill (conditional) request resolves by itself with the virtual
    # authenticator and would sign Alva in before she presses anything; here she is on a
    # browser without passkey autofill, so the button is what signs her in
    # (test_passkeys.py covers autofill).
    page.add_init_script("PublicKeyCredential.isConditionalMediationAvailable = async () => false;")
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url(re.compile(r"/login\?signed_out=1$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")
    expect(page.get_by_role("status")).to_have_text("Du är utloggad.")
    axe_check(page)
    assert "iup_session" not in {c["name"] for c in page.context.cookies(live_server.url)}
    page.get_by_role("button", name="Logga in", exact=True).click()
    page.wait_for_url(HOME)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina mål")

    # First self-assessment, through htmx: only the card is swapped.
    card = page.locator("article.goal").first
    card_id = card.get_attribute("id")
    assert card_id and card_id.startswith("goal-")
    card = page.locator(f"#{card_id}")
    expect(card.locator("svg.chart")).to_have_count(0)
    page.evaluate("window.__samePage = true")  # gone if the form posted the whole page
    expect(card.get_by_role("radio")).to_have_count(0)  # a compact card: nothing open
    card.get_by_role("link", name="Hur går det?").click()
    expect(card.get_by_role("radio", name="Inte än")).to_be_focused()  # the first choice
    assert page.evaluate("window.__samePage") is True, "the card opened in place"
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.request.headers.get("hx-request") == "true"
    ) as response:
        card.get_by_role("radio", name="På väg").check()
        card.get_by_role("textbox").fill("Sjuans tabell är svår.")
        card.get_by_role("button", name="Spara mitt svar").click()
    assert response.value.status == 200
    expect(card.get_by_role("status")).to_have_text(
        "Sparat! Ditt svar finns nu med bland dina tidigare svar."
    )
    assert page.evaluate("window.__samePage") is True
    expect(card.locator(".goal__latest")).to_contain_text("På väg")
    expect(card.locator("svg.chart")).to_have_count(1)
    history = card.locator("details.history")
    history.locator("summary").click()
    expect(history).to_have_attribute("open", "")
    expect(history.locator("li")).to_have_count(1)
    expect(history.locator("li").first).to_contain_text("På väg – Sjuans tabell är svår.")
    # The card closed again, ready for the next rating.
    expect(card.get_by_role("textbox")).to_have_count(0)

    # A second one: the history keeps both, the newest first.
    card.get_by_role("link", name="Hur går det?").click()
    card.get_by_role("radio", name="Nästan").check()
    card.get_by_role("textbox").fill("Nu går det bättre.")
    card.get_by_role("button", name="Spara mitt svar").click()
    expect(card.locator(".goal__latest")).to_contain_text("Nästan")
    history = card.locator("details.history")
    history.locator("summary").click()
    expect(history.locator("summary")).to_have_text("Alla 2 svar hittills")
    expect(history.locator("li")).to_have_count(2)
    expect(history.locator("li").first).to_contain_text("Nästan – Nu går det bättre.")
    expect(history.locator("li").nth(1)).to_contain_text("På väg – Sjuans tabell är svår.")
    expect(card.locator("svg.chart polyline")).to_have_count(1)
    expect(card.locator("svg.chart circle")).to_have_count(2)
    assert page.evaluate("window.__samePage") is True
    axe_check(page)

    # Both ratings are stored: a reload shows them too.
    page.reload()
    card = page.locator(f"#{card_id}")
    expect(card.locator("details.history li")).to_have_count(2)


PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def on_screen(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 740


def test_omar_rates_a_goal_on_a_phone_with_touch(
    live_server, new_context, add_authenticator, axe_check, enrol
) -> None:
    """360 px, touch: the cards are closed and compact, the one tapped opens in place with
    its first choice in view and focused, and the saved card says so on screen."""
    page = new_context(**PHONE).new_page()
    add_authenticator(page)
    enrol(page, live_server.enrolment_url("Omar Haddad"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina mål")
    expect(page.get_by_role("radio")).to_have_count(0)  # no open forms
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360, "no sideways scroll"
    axe_check(page)

    card = page.locator("article.goal").first
    card = page.locator(f"#{card.get_attribute('id')}")
    opener = card.get_by_role("link", name="Hur går det?")
    box = opener.bounding_box()
    assert box is not None and box["height"] >= 44, "a touch target of 44 px"
    opener.tap()
    first = card.get_by_role("radio", name="Inte än")
    expect(first).to_be_focused()
    assert on_screen(first), "the opened scale starts where the finger was"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    axe_check(page)

    card.get_by_text("Nästan").tap()
    card.get_by_role("textbox").fill("Jag läser varje kväll.")
    card.get_by_role("button", name="Spara mitt svar").tap()
    saved = card.get_by_role("status")
    expect(saved).to_have_text("Sparat! Ditt svar finns nu med bland dina tidigare svar.")
    expect(card.locator(".goal__latest")).to_contain_text("Nästan")
    expect(card.get_by_role("textbox")).to_have_count(0)  # closed again
    assert on_screen(card.locator(".goal__latest")), "the result shows where the finger was"
    axe_check(page)
