"""Every page the app has, as each kind of person meets it, in Swedish on a phone with touch
and in English on a desktop: axe finds nothing, nothing scrolls sideways, and each page is
in the language asked for (its <html lang> and its own heading)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

WAYS = {
    "sv": {
        "options": {
            "locale": "sv-SE",
            "viewport": {"width": 360, "height": 740},
            "is_mobile": True,
            "has_touch": True,
        },
        "teacher": "Sara Ek",
        "words": {
            "sign_in": "Logga in",
            "plans": "Planer du kan läsa",
            "passkeys": "Dina passkeys",
            "remove": "Ta bort",
            "remove_heading": "Ta bort din sista passkey?",
            "keep": "Nej, behåll den",
            "sign_out_heading": "Vill du logga ut?",
            "not_found": "Sidan hittades inte",
            "offline": "Du är inte ansluten till internet",
            "my_goals": "Mina mål",
            "open": "Hur går det?",
            "save": "Spara min skattning",
            "level": "Nästan",
            "child": "Mål för Maja Andersson",
        },
    },
    "en": {
        "options": {"locale": "en-GB", "viewport": {"width": 1280, "height": 800}},
        "teacher": "Ali Hassan",
        "words": {
            "sign_in": "Sign in",
            "plans": "Plans you can read",
            "passkeys": "Your passkeys",
            "remove": "Remove",
            "remove_heading": "Remove your last passkey?",
            "keep": "No, keep it",
            "sign_out_heading": "Do you want to sign out?",
            "not_found": "Not found",
            "offline": "You are offline",
            "my_goals": "My goals",
            "open": "How is it going?",
            "save": "Save my rating",
            "level": "Almost there",
            "child": "Goals of Maja Andersson",
        },
    },
}


@pytest.mark.parametrize("lang", list(WAYS))
def test_every_page_in_each_language(
    lang, live_server, new_context, add_authenticator, enrol, axe_check, watch
) -> None:
    way = WAYS[lang]
    words = way["words"]
    watch.allow_console(r"/no-such-page: Failed to load resource: .* 404")
    watch.allow_console(r"status of 422")
    width = way["options"]["viewport"]["width"]

    def check(page, heading: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width, page.url
        axe_check(page)

    # A teacher: sign-in, sign-up, her groups, a pupil's plan, passkeys, sign-out, errors.
    page = new_context(**way["options"]).new_page()
    add_authenticator(page)
    page.goto("/login")
    check(page, words["sign_in"])
    page.goto(live_server.enrolment_url(way["teacher"]))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    axe_check(page)  # the sign-up page
    page.locator('[data-passkey="register"]').click()
    page.wait_for_url(re.compile(r"/\?welcome=1$"))
    check(page, words["plans"])
    expect(page.get_by_role("heading", level=2, name="4A")).to_be_visible()
    page.get_by_role("link", name="Maja Andersson").click()
    check(page, words["child"])
    page.goto("/account")
    check(page, words["passkeys"])
    page.locator(".passkey-list").get_by_role("button", name=words["remove"]).click()
    check(page, words["remove_heading"])
    page.get_by_role("link", name=words["keep"]).click()
    page.wait_for_url(re.compile(r"/account$"))
    page.goto("/logout")
    check(page, words["sign_out_heading"])
    page.goto("/no-such-page")
    check(page, words["not_found"])
    page.goto("/offline")
    check(page, words["offline"])

    # A pupil: her home, one goal opened, a refused save, a save, her progress.
    page = new_context(**way["options"]).new_page()
    add_authenticator(page)
    enrol(page, live_server.enrolment_url("Maja Andersson"))
    check(page, words["my_goals"])
    card = page.locator("article.goal").first
    card = page.locator(f"#{card.get_attribute('id')}")
    card.get_by_role("link", name=words["open"]).click()
    expect(card.get_by_role("radio")).to_have_count(4)
    check(page, words["my_goals"])
    card.get_by_role("button", name=words["save"]).click()
    expect(card.locator(".error-summary")).to_be_focused()
    check(page, words["my_goals"])
    card.get_by_role("radio", name=words["level"]).check()
    card.get_by_role("button", name=words["save"]).click()
    expect(card.locator(".notice--success")).to_be_focused()
    card.locator("details.progress summary").click()
    expect(card.locator("table.ratings tbody tr").first).to_contain_text(words["level"])
    page.locator("details.read-log summary").click()
    check(page, words["my_goals"])
