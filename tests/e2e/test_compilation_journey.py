"""The mentor before the talk, in 6D: Ulla Strand (teacher of Svenska) writes a note about
Wilma; Nils Ahl (mentor) opens Wilma's compilation and finds it, writes the talk draft,
marks the talk held, sees it in his group's overview, prints the compilation (menu and
forms gone), and sends a reminder; pupil Adam sees the unread count in the header on his
phone and reads the item. axe on every page at 360 px and 1,280 px, and in English."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import DESKTOP, PHONE

pytestmark = pytest.mark.e2e


def axe_both(page: Any, axe_check: Any) -> None:
    own = page.viewport_size
    for size in ({"width": 360, "height": 740}, {"width": 1280, "height": 800}, own):
        page.set_viewport_size(size)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= size["width"], page.url
        axe_check(page)


def test_the_mentor_compiles_holds_the_talk_and_reminds_the_group(
    live_server, new_context, add_authenticator, enrol, axe_check
) -> None:
    note = "Wilma läser högt med inlevelse och hjälper andra."
    draft = "Ta upp: läsningen går bra. Mål: skriva längre texter."
    wilma_id = live_server.person_id("Wilma Dahl")

    # Ulla writes a staff-only note about Wilma.
    teacher = new_context(**DESKTOP).new_page()
    add_authenticator(teacher)
    enrol(teacher, live_server.enrolment_url("Ulla Strand"))
    teacher.goto(f"/pupils/{wilma_id}/notes/new")
    teacher.get_by_role("textbox", name="Anteckning om Wilma Dahl").fill(note)
    teacher.get_by_role("button", name="Spara bara för personalen").click()
    # Saved in place (htmx): the confirmation, before anything reads the note.
    expect(teacher.locator(".note-saved")).to_contain_text("Sparat – bara för personalen")
    # A teacher reads the compilation, and has no draft form.
    teacher.goto(f"/pupils/{wilma_id}/compilation")
    expect(teacher.locator(".compilation")).to_contain_text(note)
    expect(teacher.get_by_role("textbox", name="Ditt utkast inför samtalet")).to_have_count(0)

    # Nils opens the compilation from his group's overview.
    mentor = new_context(**DESKTOP).new_page()
    add_authenticator(mentor)
    enrol(mentor, live_server.enrolment_url("Nils Ahl"))
    href = mentor.get_by_role("link", name="6D i överblick").get_attribute("href")
    assert href and re.fullmatch(r"/groups/\d+", href), href
    mentor.goto(href)
    row = mentor.locator(f"#pupil-{wilma_id}")
    row.get_by_role("link", name=re.compile("Sammanställning")).click()
    mentor.wait_for_url(re.compile(rf"/pupils/{wilma_id}/compilation$"))
    expect(mentor.get_by_role("heading", level=1)).to_have_text("Inför samtalet med Wilma Dahl")
    found = mentor.locator(".compilation .note").filter(has_text=note)
    expect(found).to_contain_text("Ulla Strand")
    expect(found).to_contain_text("Svenska")
    expect(mentor.locator(".compilation")).to_contain_text("Inga överenskommelser registrerade.")
    axe_both(mentor, axe_check)

    # The draft, then the talk held.
    mentor.get_by_role("textbox", name="Ditt utkast inför samtalet").fill(draft)
    mentor.get_by_role("button", name="Spara utkastet").click()
    expect(mentor.locator(".notice--success")).to_have_text("Utkastet är sparat.")
    expect(mentor.locator(".compilation__draft-text")).to_have_text(draft)
    axe_both(mentor, axe_check)
    mentor.get_by_role("button", name="Samtalet är hållet").click()
    expect(mentor.locator("#held")).to_have_text("Samtalet är hållet.")
    expect(mentor.get_by_role("button", name="Samtalet är hållet")).to_have_count(0)

    # It prints: no header, menu or forms; the draft as text.
    mentor.emulate_media(media="print")
    expect(mentor.locator(".site-header")).to_be_hidden()
    expect(mentor.locator(".site-nav")).to_be_hidden()
    expect(mentor.locator("form.compilation__form")).to_be_hidden()
    expect(mentor.locator(".compilation__draft-text")).to_be_visible()
    expect(mentor.locator(".compilation .note").filter(has_text=note)).to_be_visible()
    mentor.emulate_media(media="screen")

    # In English too.
    mentor.locator(".lang-switch").get_by_role("button", name="English").click()
    expect(mentor.get_by_role("heading", level=1)).to_have_text("Before the talk with Wilma Dahl")
    axe_check(mentor)
    mentor.locator(".lang-switch").get_by_role("button", name="Svenska").click()
    expect(mentor.get_by_role("heading", level=1)).to_have_text("Inför samtalet med Wilma Dahl")

    # The overview's columns, and the reminder.
    mentor.goto(href)
    row = mentor.locator(f"#pupil-{wilma_id}")
    expect(row.locator(".overview__held")).to_contain_text("Hållet")
    expect(row.locator(".overview__prepared")).to_contain_text("Inte än")
    expect(row.locator(".overview__booked")).to_contain_text("Inte bokad")
    expect(mentor.get_by_role("columnheader", name="Samtal hållet")).to_be_visible()
    axe_both(mentor, axe_check)
    mentor.get_by_role("button", name="Skicka påminnelse").click()
    expect(mentor.locator("#reminded")).to_have_text("Påminnelsen nådde 4 personer.")  # Sanna too
    axe_both(mentor, axe_check)

    # Adam, on his phone, sees the count and the item.
    pupil = new_context(**PHONE).new_page()
    add_authenticator(pupil)
    enrol(pupil, live_server.enrolment_url("Adam Falk"))
    link = pupil.locator(".site-nav").get_by_role("link", name=re.compile("Meddelanden"))
    expect(link.locator("#unread-count")).to_contain_text("1")
    box = link.bounding_box()
    assert box and box["y"] + box["height"] <= 740
    axe_both(pupil, axe_check)
    link.tap()
    pupil.wait_for_url(re.compile(r"/notifications$"))
    item = pupil.get_by_role("link", name="Dags att förbereda ditt utvecklingssamtal")
    expect(item).to_be_visible()
    expect(pupil.locator("#unread-count")).to_have_count(0)
    axe_both(pupil, axe_check)
    pupil.reload()
    expect(pupil.locator(".notification__new")).to_have_count(0)
