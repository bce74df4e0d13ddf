"""Teachers at work in the browser: Ella comments a rating, Sara Ek (teacher of Matematik)
finds it marked new in "New from my pupils" and replies, and Ella reads the reply; Sara
writes a shared note about Alva from her group's page and a staff-only one on the form's
own page, in three interactions each, and Alva's guardian sees the first and not the
second. Phones with touch at 360 px and desktops at 1,280 px, axe on every page at both
widths."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import DESKTOP, PHONE

pytestmark = pytest.mark.e2e


def axe_both(page: Any, axe_check: Any) -> None:
    """axe at the page's own width and at the other one; nothing scrolls sideways."""
    own = page.viewport_size
    for size in ({"width": 360, "height": 740}, {"width": 1280, "height": 800}, own):
        page.set_viewport_size(size)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= size["width"], page.url
        axe_check(page)


def test_a_comment_is_answered_and_the_pupil_reads_the_reply(
    live_server, new_context, add_authenticator, enrol, axe_check
) -> None:
    comment = "Jag blandar ihop sjuans och åttans tabell."
    answer = "Vi övar dem med kort på tisdag!"

    # Ella (5C) rates a goal with a comment, on her phone (the existing UI).
    alva = new_context(**PHONE).new_page()
    add_authenticator(alva)
    enrol(alva, live_server.enrolment_url("Ella Berg"))
    card = alva.locator("article.goal").filter(has_text="räkna med bråk")
    card.get_by_role("link", name="Hur går det?").click()
    card.get_by_role("radio", name="På väg").check()
    card.get_by_role("textbox").fill(comment)
    card.get_by_role("button", name="Spara hur det går").click()
    expect(card.locator(".notice--success")).to_be_focused()

    # Sara Ek finds it marked new and replies, at her desk.
    teacher = new_context(**DESKTOP).new_page()
    add_authenticator(teacher)
    enrol(teacher, live_server.enrolment_url("Sara Ek"))
    teacher.goto("/reflections")
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Nytt från mina elever")
    item = teacher.locator("article.reflection").filter(has_text=comment)
    expect(item).to_have_count(1)
    expect(item.locator(".reflection__new")).to_have_text("Ny")
    expect(item).to_contain_text("Ella Berg")
    expect(item).to_contain_text("På väg")
    axe_both(teacher, axe_check)
    teacher.evaluate("window.__samePage = true")
    item.locator("details.reply > summary").click()
    item.get_by_role("textbox", name="Svar till Ella Berg").fill(answer)
    item.get_by_role("button", name="Skicka svaret").click()
    done = teacher.locator(".reflection .notice--success")
    expect(done).to_contain_text("Svaret är skickat.")
    expect(done).to_be_focused()
    assert teacher.evaluate("window.__samePage") is True, "the item was swapped in place"
    item = teacher.locator("article.reflection").filter(has_text=comment)
    expect(item.locator(".reflection__new")).to_have_count(0)
    expect(item.locator(".replies")).to_contain_text(answer)
    axe_both(teacher, axe_check)

    # Ella reads the reply under her rating.
    alva.goto("/")
    card = alva.locator("article.goal").filter(has_text="räkna med bråk")
    under = card.locator(".goal__latest + .replies")  # under her latest rating, not folded
    expect(under).to_be_visible()
    expect(under).to_contain_text("Svar från Sara Ek")
    expect(under).to_contain_text(answer)
    card.locator("details.progress > summary").tap()
    expect(card.locator("table.ratings .replies")).to_contain_text(answer)  # and in the history
    axe_both(alva, axe_check)


def test_notes_in_three_interactions_and_the_guardian_sees_only_the_shared_one(
    live_server, new_context, add_authenticator, enrol, axe_check
) -> None:
    shared = "Alva ledde gruppens redovisning i dag. Snyggt!"
    staff_only = "Följ upp med mentorn om läxhjälp."
    alva_id = live_server.person_id("Alva Nilsson")

    teacher = new_context(**PHONE).new_page()
    add_authenticator(teacher)
    enrol(teacher, live_server.enrolment_url("Sara Ek"))
    # The group page of 4A, as her start page links to it.
    href = teacher.get_by_role("link", name="4A i överblick").get_attribute("href")
    found = re.fullmatch(r"/groups/(\d+)", href or "")
    assert found, href
    teacher.goto(f"/groups/{found[1]}")
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Grupp 4A i överblick")
    axe_both(teacher, axe_check)
    teacher.evaluate("window.__samePage = true")
    row = teacher.locator(f"#pupil-{alva_id}")
    row.get_by_role("link", name="Anteckning om Alva Nilsson").tap()  # 1
    textbox = teacher.get_by_role("textbox", name="Anteckning om Alva Nilsson")
    expect(textbox).to_be_focused()
    expect(teacher.locator(f"#note-{alva_id}")).to_contain_text("Taggad: Matematik")
    teacher.keyboard.type(shared)  # 2
    teacher.get_by_role("button", name="Spara och dela med eleven och vårdnadshavarna").tap()  # 3
    saved = teacher.locator(f"#note-{alva_id} .note-saved")
    expect(saved).to_contain_text("Sparat – delad med eleven och vårdnadshavarna")
    expect(saved).to_be_focused()
    assert teacher.evaluate("window.__samePage") is True, "the form was saved in place"
    axe_both(teacher, axe_check)

    # The form's own page works the same way.
    teacher.goto(f"/pupils/{alva_id}/notes/new")  # 1
    expect(teacher.get_by_role("textbox", name="Anteckning om Alva Nilsson")).to_be_focused()
    axe_both(teacher, axe_check)
    teacher.keyboard.type(staff_only)  # 2
    teacher.get_by_role("button", name="Spara bara för personalen").tap()  # 3
    saved = teacher.locator(".note-saved")
    expect(saved).to_contain_text("Sparat – bara för personalen")
    expect(saved).to_be_focused()
    saved.get_by_role("link").tap()
    teacher.wait_for_url(re.compile(rf"/pupils/{alva_id}/notes$"))
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Anteckningar om Alva Nilsson")
    staff_note = teacher.locator("article.note").filter(has_text=staff_only)
    expect(staff_note).to_contain_text("Bara personalen")
    expect(teacher.locator("article.note").filter(has_text=shared)).to_contain_text(
        "Delad med eleven och vårdnadshavarna"
    )
    axe_both(teacher, axe_check)

    # Alva's guardian reads the shared note on the plan, never the staff-only one.
    guardian = new_context(**DESKTOP).new_page()
    add_authenticator(guardian)
    enrol(guardian, live_server.enrolment_url("Anna Nilsson"))
    section = guardian.locator("section.from-school")
    expect(section.get_by_role("heading", name="Från skolan")).to_be_visible()
    expect(section).to_contain_text(shared)
    expect(section).to_contain_text("Sara Ek")
    assert staff_only not in guardian.content()
    axe_both(guardian, axe_check)
