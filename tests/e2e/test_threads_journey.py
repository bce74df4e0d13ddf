"""A goal's thread in the browser (issue 24, acceptance): on phones at 360 px with touch,
Sara Ek (teacher of Matematik in 8B) writes in the thread of Maja's Matematik goal; Maja
sees "Nytt svar" on her home at the first page load and answers in two taps (the mark, the
box focused, "Skicka"); her guardian Eva sees both messages; Sara finds the answer in
"Nytt från mina elever". axe on every page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import PHONE

pytestmark = pytest.mark.e2e

GOAL = "lösa ekvationer i två steg"


def test_a_teacher_writes_the_pupil_answers_in_two_taps_the_guardian_reads_both(
    live_server: Any, new_context: Any, add_authenticator: Any, enrol: Any, axe_check: Any
) -> None:
    note = "Snyggt uträknat på provet! Vilket steg vill du öva mer på?"
    answer = "Det andra steget, när x står på båda sidor."
    maja_id = live_server.person_id("Maja Andersson")

    # Sara Ek opens Maja's plan and writes in the goal's thread.
    teacher = new_context(**PHONE).new_page()
    add_authenticator(teacher)
    enrol(teacher, live_server.enrolment_url("Sara Ek"))
    teacher.goto(f"/pupils/{maja_id}")
    card = teacher.locator("article.goal").filter(has_text=GOAL)
    card.locator(".goal__thread a").tap()
    expect(teacher.get_by_role("heading", level=1)).to_contain_text(GOAL)
    expect(teacher.get_by_role("textbox", name="Ditt meddelande")).to_be_focused()
    axe_check(teacher)
    teacher.get_by_role("textbox", name="Ditt meddelande").fill(note)
    teacher.get_by_role("button", name="Skicka").tap()
    sent = teacher.locator(".thread__message").filter(has_text=note)
    expect(sent).to_be_focused()
    expect(sent).to_contain_text("Sara Ek (lärare)")
    axe_check(teacher)

    # Maja: the mark is on her home at the first load; two taps answer.
    pupil = new_context(**PHONE).new_page()
    add_authenticator(pupil)
    enrol(pupil, live_server.enrolment_url("Maja Andersson"))
    card = pupil.locator("article.goal").filter(has_text=GOAL)
    mark = card.get_by_role("link", name="Nytt svar")
    expect(mark).to_be_visible()
    expect(pupil.locator("a.thread-new")).to_have_count(1)  # only the goal answered
    axe_check(pupil)
    mark.tap()  # tap 1
    expect(pupil.locator(".thread__message").filter(has_text=note)).to_contain_text("Sara Ek")
    box = pupil.get_by_role("textbox", name="Ditt meddelande")
    expect(box).to_be_focused()
    expect(pupil.get_by_text("Skriv inte om andra elever eller om hälsa.")).to_be_visible()
    axe_check(pupil)
    pupil.keyboard.type(answer)  # typing into the focused box, no tap
    pupil.get_by_role("button", name="Skicka").tap()  # tap 2
    mine = pupil.locator(".thread__message").filter(has_text=answer)
    expect(mine).to_be_focused()
    expect(mine).to_contain_text("Maja Andersson (elev)")
    axe_check(pupil)
    pupil.goto("/")
    expect(
        pupil.locator("article.goal").filter(has_text=GOAL).locator("a.thread-new")
    ).to_have_count(0)

    # Eva, her guardian, sees the goal marked on her view of the plan, and both messages.
    guardian = new_context(**PHONE).new_page()
    add_authenticator(guardian)
    enrol(guardian, live_server.enrolment_url("Eva Andersson"))
    card = guardian.locator("article.goal").filter(has_text=GOAL)
    expect(card.get_by_role("link", name="Nytt svar")).to_be_visible()
    axe_check(guardian)
    card.get_by_role("link", name="Nytt svar").tap()
    messages = guardian.locator(".thread__message")
    expect(messages.filter(has_text=note)).to_have_count(1)
    expect(messages.filter(has_text=answer)).to_have_count(1)
    expect(guardian.get_by_text("Skriv om ditt barn och målet.", exact=False)).to_be_visible()
    axe_check(guardian)

    # Sara finds the answer in "Nytt från mina elever", a link away from the thread.
    teacher.goto("/reflections")
    new = teacher.locator("#new-messages + .thread .thread__message").filter(has_text=answer)
    expect(new).to_contain_text("Maja Andersson")
    axe_check(teacher)
    new.get_by_role("link", name="Läs och svara").tap()
    expect(teacher.locator(".thread__message").filter(has_text=answer)).to_be_visible()
