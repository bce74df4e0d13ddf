"""Every page issue 7 added, as the staff meet them, in Swedish on a phone with touch and in
English on a desktop: axe finds nothing, nothing scrolls sideways, and each page is in the
language asked for (its <html lang> and its own heading). The mentor's pages, the
principal's, and the pupil's proposal form; the journeys that use them are elsewhere."""

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
        "pupil": "Noah Ström",  # 5C, mentored by Karin Lind
        "headings": {
            "plan": "Mina mål",
            "plan with a proposal": "Mina mål",
            "hub": "Planer du kan läsa",
            "plan for staff": "Mål för Noah Ström",
            "proposal": "Ett mål som Noah Ström föreslår",
            "new goal": "Nytt mål för Noah Ström",
            "new goal, refused": "Nytt mål för Noah Ström",
            "edit goal": "Ändra målet",
            "retire goal": "Avsluta målet?",
            "new note": "Ny anteckning om Noah Ström",
            "note saved": "Ny anteckning om Noah Ström",
            "notes": "Anteckningar om Noah Ström",
            "edit note": "Ändra anteckningen om Noah Ström",
            "reflections": "Nytt från mina elever",
            "group at a glance": "Grupp 5C i överblick",
            "group at a glance, sorted": "Grupp 5C i överblick",
            "group's people": "Startlänkar för 5C",
            "a pupil's sign-up": "Noah Ström",
            "a new sign-up link": "Startlänk för Noah Ström",
            "principal's hub": "Planer du kan läsa",
            "school overview": "Skolöversikt: Demoskolan",
            "staff": "Personal på Demoskolan",
            "a mentor's sign-up": "Karin Lind",
            "remove a passkey?": "Ta bort den här passkeyn?",
            "reason": "Varför öppnar du den här planen?",
            "reason, refused": "Varför öppnar du den här planen?",
            "plan for the principal": "Mål för Noah Ström",
        },
    },
    "en": {
        "options": {"locale": "en-GB", "viewport": {"width": 1280, "height": 800}},
        "pupil": "Liam Sjö",
        "headings": {
            "plan": "My goals",
            "plan with a proposal": "My goals",
            "hub": "Plans you can read",
            "plan for staff": "Goals of Liam Sjö",
            "proposal": "A goal proposed by Liam Sjö",
            "new goal": "New goal for Liam Sjö",
            "new goal, refused": "New goal for Liam Sjö",
            "edit goal": "Change the goal",
            "retire goal": "Retire the goal?",
            "new note": "New note about Liam Sjö",
            "note saved": "New note about Liam Sjö",
            "notes": "Notes about Liam Sjö",
            "edit note": "Change the note about Liam Sjö",
            "reflections": "New from my pupils",
            "group at a glance": "Group 5C at a glance",
            "group at a glance, sorted": "Group 5C at a glance",
            "group's people": "Sign-up links for 5C",
            "a pupil's sign-up": "Liam Sjö",
            "a new sign-up link": "Sign-up link for Liam Sjö",
            "principal's hub": "Plans you can read",
            "school overview": "School overview: Demoskolan",
            "staff": "Staff at Demoskolan",
            "a mentor's sign-up": "Karin Lind",
            "remove a passkey?": "Remove this passkey?",
            "reason": "Why do you open this plan?",
            "reason, refused": "Why do you open this plan?",
            "plan for the principal": "Goals of Liam Sjö",
        },
    },
}


@pytest.mark.parametrize("lang", list(WAYS))
def test_every_staff_page_in_each_language(lang, live_server, signed_up, axe_check, watch) -> None:
    way = WAYS[lang]
    width = way["options"]["viewport"]["width"]
    watch.allow_console(r"status of 422")
    seen: dict[str, str] = {}

    def check(page, name: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", lang)
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_count(1)
        seen[name] = heading.inner_text()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width, page.url
        axe_check(page)

    pupil_id = live_server.person_id(way["pupil"])

    # The pupil: her plan with the proposal form open, a proposal sent.
    pupil = signed_up(way["pupil"], way["options"])
    pupil.locator("details.propose summary").click()
    check(pupil, "plan")
    pupil.locator("details.propose textarea").first.fill("Jag vill läsa en bok i månaden.")
    pupil.locator("details.propose input[type=text], details.propose input:not([type])").first.fill(
        "Svenska"
    )
    pupil.locator("details.propose button[type=submit]").click()
    expect(pupil.locator("#my-proposals li")).to_have_count(1)
    check(pupil, "plan with a proposal")

    # The mentor of 5C.
    mentor = signed_up("Karin Lind", way["options"])
    check(mentor, "hub")
    mentor.locator(f'a[href="/pupils/{pupil_id}"]').first.click()
    check(mentor, "plan for staff")
    mentor.locator("#proposals article a").first.click()
    check(mentor, "proposal")
    mentor.goto(f"/pupils/{pupil_id}/goals/new")
    check(mentor, "new goal")
    mentor.locator("main form button[type=submit]").first.click()  # nothing filled in: refused
    expect(mentor.locator(".error-summary")).to_be_focused()
    check(mentor, "new goal, refused")
    mentor.goto(f"/pupils/{pupil_id}")
    goal = mentor.locator("article.goal").first
    goal_id = (goal.get_attribute("id") or "").removeprefix("goal-")
    mentor.goto(f"/goals/{goal_id}/edit")
    check(mentor, "edit goal")
    mentor.goto(f"/goals/{goal_id}/retire")
    check(mentor, "retire goal")
    mentor.goto(f"/pupils/{pupil_id}/notes/new")
    check(mentor, "new note")
    mentor.locator("textarea").fill("Noterat under lektionen.")
    mentor.locator("main form button[type=submit]").first.click()
    expect(mentor.locator(".note-saved")).to_be_focused()
    check(mentor, "note saved")
    mentor.goto(f"/pupils/{pupil_id}/notes")
    check(mentor, "notes")
    mentor.locator("article.note a[href$='/edit']").first.click()
    check(mentor, "edit note")
    mentor.goto("/reflections")
    check(mentor, "reflections")
    mentor.goto("/")
    mentor.locator('a[href^="/groups/"]:not([href$="/people"])').nth(1).click()  # 5C
    check(mentor, "group at a glance")
    mentor.locator("a[href*='sort=unread']:visible").first.click()
    check(mentor, "group at a glance, sorted")
    mentor.goto(mentor.url.split("?")[0] + "/people")
    check(mentor, "group's people")
    mentor.goto(f"/people/{pupil_id}")
    check(mentor, "a pupil's sign-up")
    mentor.locator('form[action$="/enrolment-links"] button').click()
    expect(mentor.locator(".letter svg")).to_have_count(1)  # the QR code
    check(mentor, "a new sign-up link")
    live_server.links.pop(way["pupil"], None)  # the link `iup demo` printed is void now

    # The principal: her school, its staff, a teacher's passkeys, one plan after a reason.
    principal = signed_up("Birgitta Holm", way["options"])
    check(principal, "principal's hub")
    principal.locator('a[href^="/schools/"]:not([href$="/staff"])').first.click()
    check(principal, "school overview")
    principal.goto(principal.url + "/staff")
    check(principal, "staff")
    principal.locator(f'a[href="/people/{live_server.person_id("Karin Lind")}"]').first.click()
    check(principal, "a mentor's sign-up")
    principal.locator("form[action*='/passkeys/'] button").first.click()
    check(principal, "remove a passkey?")
    principal.goto(f"/pupils/{pupil_id}")
    principal.wait_for_url(re.compile(rf"/pupils/{pupil_id}/reason$"))
    check(principal, "reason")
    principal.locator("main form button[type=submit]").click()  # no reason: refused
    expect(principal.locator(".error-summary")).to_be_focused()
    check(principal, "reason, refused")
    principal.locator("textarea").fill("Mentorn bad om stöd inför samtalet.")
    principal.locator("main form button[type=submit]").click()
    principal.wait_for_url(re.compile(rf"/pupils/{pupil_id}$"))
    check(principal, "plan for the principal")

    assert seen == way["headings"]
