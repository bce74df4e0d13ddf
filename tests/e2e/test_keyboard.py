"""Keyboard only (issue 20, item 5): Tab and Shift+Tab to move, Space and the arrow keys to
choose, Enter to press; no click, tap, fill or check. A pupil rates one of her goals, and
guardians whose browsers ask for Arabic, Somali and Ukrainian sign up and sign all their
child's agreements, each in her language (Arabic right to left), times on the 24-hour
clock, the focus on each result; axe on every page.

Its people are this file's own: Wilma Dahl (6D) rates and signs nothing here but her goal;
her mentor Nils Ahl publishes her written plan through the API; three guardians of Wilma
that only this file adds (no stored language, so the browser's decides). Later files use
Wilma for her name and heading only (test_sibling_guardian)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.support import DESKTOP, words

pytestmark = pytest.mark.e2e

PUPIL = "Wilma Dahl"
MENTOR = "Nils Ahl"
AGREEMENTS = [
    ("Wilma läser en halvtimme varje kväll.", "pupil"),
    ("Hemmet frågar Wilma om boken varje fredag.", "home"),
]
GUARDIANS = {"ar": "Rana Dahl", "so": "Hodan Dahl", "uk": "Olena Dahl"}
SCHOOL_ZONE = ZoneInfo("Europe/Stockholm")  # the settings' default school zone


def focused(locator: Any) -> bool:
    return bool(locator.evaluate("(el) => el === document.activeElement"))


def tab_to(page: Any, target: Any, *, key: str = "Tab", limit: int = 200) -> int:
    """Press Tab (or Shift+Tab) until `target` has the focus; returns how many presses."""
    expect(target).to_have_count(1)
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if focused(target):
            return presses
    raise AssertionError(f"{limit} presses of {key} never reached {target}")


def enrol_by_keyboard(page: Any, url: str) -> None:
    """The sign-up link's page: Tab to the button, Enter, and the passkey is made."""
    page.goto(url)
    tab_to(page, page.locator('[data-passkey="register"]'))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"\?welcome=1$"))


def test_a_pupil_rates_a_goal_by_keyboard(
    live_server, new_context, add_authenticator, axe_check
) -> None:
    page = new_context(**DESKTOP).new_page()
    add_authenticator(page)
    enrol_by_keyboard(page, live_server.enrolment_url(PUPIL))
    goal = page.locator("article.goal").first
    goal_id = goal.get_attribute("id")
    axe_check(page)

    # Tab to "How is it going?": its form opens in place, the first level has the focus.
    tab_to(page, goal.get_by_role("link", name=words("sv", "How is it going?")))
    page.keyboard.press("Enter")
    levels = page.locator(f"#{goal_id} input[name=level]")
    expect(levels).to_have_count(4)
    expect(levels.first).to_be_focused()
    page.keyboard.press("Space")  # the first level…
    page.keyboard.press("ArrowDown")  # …then the next one instead
    expect(levels.nth(1)).to_be_checked()
    axe_check(page)

    # On to the button, back (Shift+Tab) to the comment, a few words, and the button.
    button = page.locator(f"#{goal_id}").get_by_role("button", name=words("sv", "Save my rating"))
    tab_to(page, button)
    comment = page.locator(f"#{goal_id} textarea[name=comment]")
    tab_to(page, comment, key="Shift+Tab")
    page.keyboard.type("Det går bättre nu.")
    tab_to(page, button)
    page.keyboard.press("Enter")

    saved = page.locator(f"#{goal_id}-saved")
    chose = words("sv", "You chose <strong>%(level)s</strong> · saved %(time)s")
    expect(saved).to_contain_text(chose.split("<strong>")[0].strip())
    expect(saved).to_be_focused()
    expect(page.locator(f"#{goal_id} .goal__latest")).to_contain_text(words("sv", "On my way"))
    axe_check(page)


@pytest.mark.parametrize("lang", ["ar", "so", "uk"])
def test_a_guardian_signs_all_agreements_by_keyboard(
    lang, live_server, new_context, add_authenticator, api_person, publish_written_plan, axe_check
) -> None:
    wilma = live_server.person_id(PUPIL)
    name = GUARDIANS[lang]
    live_server.add_guardian(name, child=PUPIL)
    made = publish_written_plan(
        api_person(MENTOR), wilma, AGREEMENTS, measures="Skolan ger Wilma lästid varje dag."
    )
    ids = [made[text] for text, _party in AGREEMENTS]

    page = new_context(**DESKTOP, locale=lang).new_page()
    add_authenticator(page)
    page.goto(live_server.enrolment_url(name))
    html = page.locator("html")
    expect(html).to_have_attribute("lang", lang)
    expect(html).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    axe_check(page)
    enrol_by_keyboard(page, page.url)
    assert re.search(rf"/pupils/{wilma}\?welcome=1$", page.url), page.url
    expect(html).to_have_attribute("lang", lang)
    expect(html).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    axe_check(page)

    # One button signs both; Enter in Arabic and Ukrainian, Space in Somali.
    sign_all = page.locator("#agreements > .agreement__sign button[data-passkey=sign]")
    tab_to(page, sign_all)
    page.keyboard.press("Space" if lang == "so" else "Enter")
    page.wait_for_url(re.compile(rf"/pupils/{wilma}\?signed=\d+#done$"))
    thanks = page.locator("#agreements .notice--success")
    expect(thanks).to_have_text(words(lang, "Thank you. Your signature is saved."))
    expect(thanks).to_be_focused()
    expect(html).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    expect(page.locator("#agreements button[data-passkey]")).to_have_count(0)
    axe_check(page)

    # Both signatures are stored and verify; the page gives their times on the 24-hour clock.
    given = name.split(" ")[0]
    stored = page.evaluate(
        "async (url) => (await fetch(url, {headers: {accept: 'application/json'}})).json()",
        f"/api/pupils/{wilma}/agreements",
    )
    for agreement in (a for a in stored if a["id"] in ids):
        mine = next(s for s in agreement["signers"] if s["given_name"] == given)
        assert mine["signed_at"] and mine["verified"] is True, mine
        at = datetime.fromisoformat(mine["signed_at"]).astimezone(SCHOOL_ZONE)
        signers = page.locator(f"#agreement-{agreement['id']} .agreement__signers")
        expect(signers).to_contain_text(at.strftime("%H:%M"))
        expect(signers).not_to_contain_text(re.compile(r"\b[AP]M\b"))
    assert sorted(a["id"] for a in stored if a["id"] in ids) == sorted(ids)
