"""Issue 8, item 1, in a browser: Birgitta (the principal) creates the next term on her
phone in Swedish and rewords a question, reads a default question in English at her desk
and opens the term; Karin (mentor of 5C) carries Liam's unreached goal over from last term.
The next term lies in the future, so "this term" stays the same for every other file.
axe on every page."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from backend.demo import term_for
from tests.support import DESKTOP, PHONE

pytestmark = pytest.mark.e2e


def test_the_principal_sets_the_next_term_and_the_mentor_carries_a_goal_over(
    live_server, signed_up, axe_check
) -> None:
    with contextlib.closing(sqlite3.connect(live_server.db_path)) as db:
        (school_id,) = db.execute("SELECT id FROM school WHERE name = 'Demoskolan'").fetchone()
    _code, _starts, ends = term_for(date.today())  # noqa: DTZ011
    code, starts, ends = term_for(ends + timedelta(days=1))
    liam_id = live_server.person_id("Liam Sjö")
    reworded = "Vad är du mest stolt över den här terminen?"

    # 1. Birgitta, on her phone in Swedish, creates the next term from her school's page.
    phone = signed_up("Birgitta Holm", PHONE)
    phone.goto(f"/schools/{school_id}")
    phone.get_by_role("link", name="Terminer och frågor").tap()
    phone.wait_for_url(f"**/schools/{school_id}/terms")
    axe_check(phone)
    phone.get_by_label("Termin", exact=True).fill(code)
    phone.get_by_label("Terminens första dag").fill(starts.isoformat())
    phone.get_by_label("Terminens sista dag").fill(ends.isoformat())
    phone.get_by_label("Samtal från").fill((starts + timedelta(days=40)).isoformat())
    phone.get_by_label("Samtal till").fill((starts + timedelta(days=60)).isoformat())
    phone.get_by_label("Åk 6").check()
    phone.get_by_role("button", name="Skapa terminen").tap()
    phone.wait_for_url(re.compile(rf"/schools/{school_id}/terms/\d+\?created=1$"))
    expect(phone.locator("main .notice--success")).to_have_text(
        "Terminen är skapad, med sina frågor."
    )
    expect(phone.get_by_label("Åk 6")).to_be_checked()
    axe_check(phone)
    term_url = phone.url.split("?")[0]

    # 2. She rewords the first pupil question for åk 4–6.
    phone.get_by_role("link", name=re.compile("^Frågor för")).first.tap()
    phone.wait_for_url(f"{term_url}/questions")
    axe_check(phone)
    section = phone.locator("section", has=phone.get_by_role("heading", name="Elever, Åk 4–6"))
    first = section.locator("li.question").first
    first.get_by_role("textbox").fill(reworded)
    first.get_by_role("button", name="Spara frågan").tap()
    phone.wait_for_url(re.compile(r"/questions\?saved=\d+#question-\d+$"))
    section = phone.locator("section", has=phone.get_by_role("heading", name="Elever, Åk 4–6"))
    expect(section.locator("li.question").first.get_by_role("textbox")).to_have_value(reworded)
    expect(section.locator("li.question").first.locator(".question__default")).to_have_count(0)
    axe_check(phone)

    # 3. At her desk, in English: the default questions in English, hers as she wrote it.
    desk = signed_up("Birgitta Holm", {**DESKTOP, "locale": "en-GB"})
    desk.goto(f"{term_url}/questions")
    section = desk.locator("section", has=desk.get_by_role("heading", name="Pupils, Years 4–6"))
    boxes = section.locator("li.question").get_by_role("textbox")
    expect(boxes.nth(0)).to_have_value(reworded)
    expect(boxes.nth(1)).to_have_value("What has been hard this term?")
    axe_check(desk)

    # 4. She opens the term: a plan for every pupil, waiting for it to start.
    desk.goto(term_url)
    axe_check(desk)
    desk.get_by_role("button", name="Open the term").click()
    # It asks first, in figures (issue 22, item 7): the question holds the focus.
    question = desk.get_by_role("heading", level=1)
    expect(question).to_contain_text(re.compile(r"This makes \d+ plans, one for each pupil"))
    expect(question).to_be_focused()
    axe_check(desk)
    desk.get_by_role("button", name="Yes, open the term").click()
    desk.wait_for_url(re.compile(r"\?opened=\d+$"))
    expect(desk.locator("#opened")).to_contain_text("new plans were made")
    expect(desk.get_by_role("button", name="Open the term again")).to_be_visible()
    axe_check(desk)

    # 5. Karin carries Liam's unreached goal over from last term.
    mentor = signed_up("Karin Lind", DESKTOP)
    mentor.goto(f"/pupils/{liam_id}")
    offer = mentor.locator("#carry-over")
    expect(offer.locator("article")).to_have_count(1)
    goal_text = offer.locator("h3").inner_text()
    axe_check(mentor)
    offer.get_by_role("button", name="Ta med").click()
    mentor.wait_for_url(re.compile(rf"/pupils/{liam_id}#goal-\d+$"))
    expect(mentor.locator("article.goal", has_text=goal_text)).to_have_count(1)
    expect(mentor.locator("#carry-over")).to_have_count(0)
    axe_check(mentor)
