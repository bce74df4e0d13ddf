"""Issue 7's acceptance journey, one school day in one browser run: the mentor writes a goal
and Elias rates it with a comment; the subject teacher finds the comment in her list and
replies, and Elias reads the reply; the teacher writes a shared and a staff-only note from
the group list, and Elias's guardian (reading in English) sees the first and not the
second; Elias proposes a goal and the mentor accepts it; the principal sees her school with
the 4-pupil group suppressed, opens Elias's plan with a reason, and the guardian reads that
reason in the read log. Pupil and guardian on phones (360 px, touch), staff at desks;
axe on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support import DESKTOP, PHONE

pytestmark = pytest.mark.e2e


def test_a_school_day_with_the_staff(live_server, signed_up, axe_check) -> None:
    elias_id = live_server.person_id("Elias Karlsson")
    goal_text = "Jag kan förklara hur jag löser en textuppgift."
    comment = "Jag förstår inte alltid vad frågan är."
    reply = "Läs frågan två gånger och stryk under det viktiga. Vi övar på onsdag."
    shared = "Elias hjälpte två kompisar med bråk i dag."
    staff_only = "Elias verkar trött på måndagar; prata med mentorn."

    # 1. The mentor writes a goal for Elias.
    mentor = signed_up("Karin Lind", DESKTOP)
    mentor.goto(f"/pupils/{elias_id}")
    mentor.get_by_role("link", name="Skriv ett nytt mål").click()
    mentor.get_by_label("Område").fill("Matematik")
    mentor.get_by_label("Målet", exact=True).fill(goal_text)
    axe_check(mentor)
    mentor.get_by_role("button", name="Spara målet").click()
    mentor.wait_for_url(re.compile(rf"/pupils/{elias_id}#goal-\d+$"))
    expect(mentor.locator("article.goal", has_text=goal_text)).to_have_count(1)

    # 2. Elias rates it with a comment, on his phone.
    elias = signed_up("Elias Karlsson", PHONE)
    card = elias.locator("article.goal", has_text=goal_text)
    card.get_by_role("link", name="Hur går det?").tap()
    card.get_by_role("radio", name="På väg").tap()
    card.get_by_role("textbox").fill(comment)
    card.get_by_role("button", name="Spara hur det går").tap()
    expect(card.locator(".notice--success")).to_be_focused()
    axe_check(elias)

    # 3. Sara Ek, who teaches Matematik in 4A, finds it marked new and replies.
    teacher = signed_up("Sara Ek", DESKTOP)
    teacher.get_by_role("link", name=re.compile("^Nytt från mina elever")).click()
    item = teacher.locator("article.reflection", has_text=comment)
    expect(item.locator(".reflection__new")).to_have_text("Ny")
    expect(item).to_contain_text("Elias Karlsson")
    axe_check(teacher)
    item.locator("details.reply > summary").click()
    item.get_by_role("textbox", name="Svar till Elias Karlsson").fill(reply)
    item.get_by_role("button", name="Skicka svaret").click()
    expect(teacher.locator(".reflection .notice--success")).to_be_focused()
    axe_check(teacher)

    # 4. Elias reads the reply under his rating.
    elias.goto("/")
    card = elias.locator("article.goal", has_text=goal_text)
    under = card.locator(".goal__latest + .replies")  # under the latest rating, unfolded
    expect(under).to_contain_text(reply)
    expect(under).to_contain_text("Sara Ek")
    axe_check(elias)

    # 5. From the group list, Sara writes a shared and a staff-only note: three steps each.
    teacher.goto("/")
    teacher.get_by_role("link", name="4A i överblick").click()
    row = teacher.locator(f"#pupil-{elias_id}")
    expect(row).to_contain_text("På väg")  # his latest rating in Matematik
    axe_check(teacher)
    for text, button in (
        (shared, "Spara och dela med eleven och vårdnadshavarna"),
        (staff_only, "Spara bara för personalen"),
    ):
        row.get_by_role("link", name="Anteckning om Elias Karlsson").click()  # 1
        textbox = teacher.get_by_role("textbox", name="Anteckning om Elias Karlsson")
        expect(textbox).to_be_focused()
        teacher.keyboard.type(text)  # 2
        teacher.get_by_role("button", name=button).click()  # 3
        expect(row.locator(".note-saved")).to_be_focused()
    axe_check(teacher)

    # 6. Lina, Elias's guardian, reads in English: the shared note, never the other.
    guardian = signed_up("Lina Karlsson", PHONE)
    guardian.get_by_role("button", name="English").tap()
    from_school = guardian.locator("section.from-school")
    expect(from_school.get_by_role("heading", name="From school")).to_be_visible()
    expect(from_school).to_contain_text(shared)
    assert staff_only not in guardian.content()
    axe_check(guardian)

    # 7. Elias proposes a goal; the mentor accepts it as it is.
    elias.goto("/")
    propose = elias.locator("details.propose")
    propose.locator("summary").tap()
    propose.get_by_label("Område").fill("Idrott och hälsa")
    propose.get_by_label("Målet", exact=True).fill("Jag kan jonglera med tre bollar.")
    propose.get_by_role("button", name="Skicka mitt förslag").tap()
    expect(elias.locator("#my-proposals li", has_text="jonglera")).to_contain_text("Väntar")
    mentor.goto(f"/pupils/{elias_id}")
    proposal = mentor.locator("#proposals article", has_text="jonglera")
    axe_check(mentor)
    proposal.get_by_role("button", name="Godkänn som det är").click()
    expect(
        mentor.locator("article.goal", has_text="Jag kan jonglera med tre bollar.")
    ).to_have_count(1)
    elias.reload()
    expect(elias.locator("article.goal", has_text="Jag kan jonglera")).to_have_count(1)
    expect(elias.locator("#my-proposals li", has_text="jonglera")).to_contain_text("Godkänt")
    axe_check(elias)

    # 8. The principal: 6D (four pupils) suppressed, then Elias's plan with a reason.
    principal = signed_up("Birgitta Holm", DESKTOP)
    principal.get_by_role("link", name="Skolöversikt").click()
    row_6d = principal.locator(
        "#overview-table tr", has=principal.get_by_role("rowheader", name="6D")
    )
    expect(row_6d).to_contain_text("färre än 5")
    expect(
        principal.locator("#overview-table tr", has=principal.get_by_role("rowheader", name="5C"))
    ).not_to_contain_text("färre än 5")
    axe_check(principal)
    principal.goto(f"/pupils/{elias_id}")
    principal.wait_for_url(re.compile(rf"/pupils/{elias_id}/reason$"))
    reason = "Mentorn har bett mig om stöd inför utvecklingssamtalet."
    principal.get_by_role("textbox").fill(reason)
    axe_check(principal)
    principal.get_by_role("button", name="Öppna planen").click()
    principal.wait_for_url(re.compile(rf"/pupils/{elias_id}$"))
    expect(principal.locator("article.goal", has_text=goal_text)).to_have_count(1)

    # 9. Lina sees who opened the plan, and why.
    guardian.reload()
    guardian.locator("details.read-log summary").tap()
    entry = guardian.locator("details.read-log li", has_text="Birgitta Holm")
    expect(entry).to_contain_text(reason)
    axe_check(guardian)
