"""The acceptance test: a pupil signs up with a passkey, signs out and in again without a
user name, and records two self-assessments of a goal through htmx."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support import PHONE

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
    expect(page.locator(".notice--success")).to_have_text("Din passkey är klar och du är inloggad.")
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
    expect(card.locator("svg.chart")).to_have_count(0)  # nothing rated yet
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
        card.get_by_role("button", name="Spara hur det går").click()
    assert response.value.status == 200
    saved = card.locator(".notice--success")
    expect(saved).to_have_text(re.compile(r"^\s*Du valde På väg · sparat \d{2}:\d{2}\s*$"))
    expect(saved).to_be_focused()
    expect(page.locator("#live")).to_have_text(saved.inner_text().strip())  # read out
    expect(page.locator("#todo")).to_contain_text(
        "Du har inte berättat hur det går med Svenska och Socialt"
    )
    assert page.evaluate("window.__samePage") is True
    expect(card.locator(".goal__latest")).to_contain_text("På väg")
    progress = card.locator("details.progress")
    progress.locator("summary").click()
    expect(progress).to_have_attribute("open", "")
    expect(progress.locator("svg.chart")).to_have_count(1)
    rows = progress.locator("table.ratings tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("På väg")
    expect(rows.first).to_contain_text("Sjuans tabell är svår.")
    # The card closed again, ready for the next rating.
    expect(card.get_by_role("textbox")).to_have_count(0)

    # A second one: the table keeps both, the newest first; reaching the goal shows.
    card.get_by_role("link", name="Hur går det?").click()
    card.get_by_role("radio", name="Jag kan det").check()
    card.get_by_role("textbox").fill("Nu kan jag den!")
    card.get_by_role("button", name="Spara hur det går").click()
    expect(card.locator(".goal__latest")).to_contain_text("Jag kan det")
    expect(card).to_have_class(re.compile(r"goal--reached"))
    expect(card.locator(".notice--success")).to_contain_text("Du har nått målet. Bra jobbat!")
    expect(card.locator(".notice--success")).to_be_focused()
    progress = card.locator("details.progress")
    progress.locator("summary").click()
    expect(progress.locator("summary")).to_have_text("Så har det gått (2 gånger)")
    rows = progress.locator("table.ratings tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Nu kan jag den!")
    expect(rows.nth(1)).to_contain_text("Sjuans tabell är svår.")
    expect(card.locator("svg.chart polyline")).to_have_count(1)
    expect(card.locator("svg.chart circle")).to_have_count(2)
    assert page.evaluate("window.__samePage") is True
    axe_check(page)

    # Both ratings are stored: a reload shows them too.
    page.reload()
    card = page.locator(f"#{card_id}")
    expect(card.locator("table.ratings tbody tr")).to_have_count(2)


def on_screen(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 740


def test_omar_rates_a_goal_on_a_phone_with_touch(
    live_server, new_context, add_authenticator, axe_check, enrol, watch
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

    # A refused save (no level chosen): the error summary is on screen and holds the focus.
    watch.allow_console("status of 422")
    card.get_by_role("textbox").fill("Jag läser varje kväll.")
    card.get_by_role("button", name="Spara hur det går").tap()
    summary = card.locator(".error-summary")
    expect(summary).to_be_focused()
    assert on_screen(summary), "the error shows where the finger was"
    expect(card.get_by_role("textbox")).to_have_value("Jag läser varje kväll.")  # kept
    axe_check(page)

    card.get_by_text("Nästan").tap()
    card.get_by_role("button", name="Spara hur det går").tap()
    saved = card.locator(".notice--success")
    expect(saved).to_contain_text("Du valde Nästan · sparat")
    expect(saved).to_be_focused()
    assert on_screen(saved), "the saved choice shows where the finger was"
    expect(card.locator(".goal__latest")).to_contain_text("Nästan")
    expect(card.get_by_role("textbox")).to_have_count(0)  # closed again
    axe_check(page)

    # The progress chart and table fit a 320 px phone too, with nothing sideways.
    page.set_viewport_size({"width": 320, "height": 640})
    card.locator("details.progress summary").tap()
    expect(card.locator("table.ratings tbody tr")).to_have_count(1)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 320
    axe_check(page)


def test_the_pupils_home_is_at_most_two_screens_on_a_phone(
    live_server, new_context, add_authenticator, enrol, axe_check
) -> None:
    """Three goals, each rated, with the header, "to do now" and the read log: at most two
    screens of 740 px at 360 px, nothing sideways, and the same in English."""
    page = new_context(**PHONE).new_page()
    add_authenticator(page)
    enrol(page, live_server.enrolment_url("Elias Karlsson"))
    cards = page.locator("article.goal")
    expect(cards).to_have_count(3)
    for i in range(3):
        card = page.locator(f"#{cards.nth(i).get_attribute('id')}")
        card.get_by_role("link", name="Hur går det?").tap()
        card.get_by_role("radio", name="På väg").tap()
        card.get_by_role("button", name="Spara hur det går").tap()
        expect(card.locator(".goal__latest")).to_contain_text("På väg")
    for lang in ("Svenska", "English"):
        page.goto(live_server.url + "/")
        if lang == "English":
            page.get_by_role("button", name="English").tap()
            expect(page.get_by_role("heading", level=1)).to_have_text("My goals")
        height = page.evaluate("document.scrollingElement.scrollHeight")
        assert 740 < height <= 2 * 740, f"{lang}: {height} px tall"
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
        axe_check(page)
    page.get_by_role("button", name="Svenska").tap()  # Elias's stored language, as it was
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina mål")
