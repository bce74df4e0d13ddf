"""Goals in the browser: the mentor writes one for Hugo on a phone and Hugo rates it; Hugo
proposes one of her own and the mentor accepts it. axe on every page, at 360 and 1280 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support import DESKTOP, PHONE

pytestmark = pytest.mark.e2e


def fits(page, width: int = 360) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width, "no sideways scroll"


def tall_enough(locator) -> None:
    box = locator.bounding_box()
    assert box is not None and box["height"] >= 44, "a touch target of 44 px"


def test_the_mentor_writes_a_goal_on_a_phone_and_hugo_rates_it(
    live_server, new_context, add_authenticator, enrol, axe_check, watch
) -> None:
    watch.allow_console("status of 422")  # the refused form, on purpose
    hugo_id = live_server.person_id("Hugo Lund")
    mentor = new_context(**PHONE).new_page()
    add_authenticator(mentor)
    enrol(mentor, live_server.enrolment_url("Karin Lind"))
    mentor.goto(f"/pupils/{hugo_id}")
    expect(mentor.get_by_role("heading", level=1)).to_have_text("Mål för Hugo Lund")
    fits(mentor)
    axe_check(mentor)

    write = mentor.get_by_role("link", name="Skriv ett nytt mål")
    tall_enough(write)
    write.tap()
    expect(mentor.get_by_role("heading", level=1)).to_have_text("Nytt mål för Hugo Lund")
    mentor.locator("details.guidance summary").tap()  # the writing guidance opens in place
    expect(mentor.locator("details.guidance")).to_contain_text("Inga uppgifter om hälsa")
    fits(mentor)
    axe_check(mentor)
    # A goal without words is refused in place, with the focus on what to fix.
    mentor.get_by_label("Område").fill("Socialt")
    mentor.get_by_role("button", name="Spara målet").tap()
    expect(mentor.locator(".error-summary")).to_be_focused()
    expect(mentor.get_by_label("Område")).to_have_value("Socialt")
    axe_check(mentor)
    mentor.get_by_label("Målet", exact=True).fill("Jag hjälper en kompis varje dag.")
    mentor.get_by_label("Så ska jag nå dit (om du vill)").fill(
        "Jag frågar på rasten om någon vill vara med."
    )
    mentor.get_by_role("button", name="Spara målet").tap()
    mentor.wait_for_url(re.compile(rf"/pupils/{hugo_id}#goal-\d+$"))
    card = mentor.locator("article.goal", has_text="Jag hjälper en kompis varje dag.")
    expect(card).to_contain_text("Så ska jag nå dit: Jag frågar på rasten om någon vill vara med.")
    for role, name in (("link", "Ändra"), ("button", "Flytta upp"), ("link", "Avsluta")):
        tall_enough(card.get_by_role(role, name=name))
    expect(card.get_by_role("button", name="Flytta ner")).to_have_count(0)  # it is last
    fits(mentor)
    axe_check(mentor)
    card.get_by_role("button", name="Flytta upp").tap()
    expect(mentor.locator("article.goal").nth(2)).to_contain_text("Jag hjälper en kompis")

    # Hugo, on a computer, sees the goal and rates it.
    hugo = new_context(**DESKTOP).new_page()
    add_authenticator(hugo)
    enrol(hugo, live_server.enrolment_url("Hugo Lund"))
    card = hugo.locator("article.goal", has_text="Jag hjälper en kompis varje dag.")
    expect(card).to_contain_text("Jag frågar på rasten om någon vill vara med.")
    expect(card.get_by_role("link", name="Ändra")).to_have_count(0)  # her words to rate
    axe_check(hugo)
    card.get_by_role("link", name="Hur går det?").click()
    card.get_by_text("På väg").click()
    card.get_by_role("textbox").fill("Jag frågade Ella i dag.")
    card.get_by_role("button", name="Spara hur det går").click()
    expect(card.locator(".goal__latest")).to_contain_text("På väg")
    axe_check(hugo)

    # The mentor retires it after a confirmation; it stays, with the rating, further down.
    mentor.reload()
    card = mentor.locator("article.goal", has_text="Jag hjälper en kompis varje dag.")
    card.get_by_role("link", name="Avsluta").tap()
    expect(mentor.get_by_role("heading", level=1)).to_have_text("Avsluta målet?")
    expect(mentor.locator("main")).to_contain_text("har berättat hur det går med målet 1 gång")
    axe_check(mentor)
    mentor.get_by_role("button", name="Ja, avsluta det").tap()
    earlier = mentor.locator("details#earlier-goals")
    earlier.locator("summary").tap()
    expect(earlier).to_contain_text("Jag frågade Ella i dag.")
    fits(mentor)
    axe_check(mentor)


def test_hugo_proposes_a_goal_and_the_mentor_accepts_it(
    live_server, new_context, add_authenticator, enrol, axe_check
) -> None:
    hugo_id = live_server.person_id("Hugo Lund")
    hugo = new_context(**PHONE).new_page()
    add_authenticator(hugo)
    enrol(hugo, live_server.enrolment_url("Hugo Lund"))
    propose = hugo.locator("details.propose")
    expect(propose).not_to_have_attribute("open", "")  # closed until she asks
    propose.locator("summary").tap()
    fits(hugo)
    axe_check(hugo)
    propose.get_by_label("Område").fill("Bild")
    propose.get_by_label("Målet", exact=True).fill("Jag ritar en serie med fyra rutor.")
    propose.get_by_role("button", name="Skicka mitt förslag").tap()
    hugo.wait_for_url(re.compile(r"/\?proposed=1#done$"))
    mine = hugo.locator("#my-proposals li", has_text="Jag ritar en serie med fyra rutor.")
    expect(mine).to_contain_text("Väntar på din mentor")
    fits(hugo)
    axe_check(hugo)

    mentor = new_context(**DESKTOP).new_page()
    add_authenticator(mentor)
    enrol(mentor, live_server.enrolment_url("Karin Lind"))
    mentor.goto(f"/pupils/{hugo_id}")
    proposal = mentor.locator("#proposals article", has_text="Jag ritar en serie med fyra rutor.")
    expect(proposal).to_have_count(1)
    axe_check(mentor)
    proposal.get_by_role("link", name="Ändra eller avböj").click()
    expect(mentor.get_by_role("heading", level=1)).to_have_text("Ett mål som Hugo Lund föreslår")
    axe_check(mentor)
    mentor.get_by_label("Så ska jag nå dit (om du vill)").fill("Jag ritar på fritids.")
    mentor.get_by_role("button", name="Godkänn målet").click()
    mentor.wait_for_url(re.compile(rf"/pupils/{hugo_id}#goal-\d+$"))
    expect(mentor.locator("article.goal", has_text="Jag ritar en serie")).to_contain_text(
        "Jag ritar på fritids."
    )
    axe_check(mentor)

    hugo.reload()
    expect(
        hugo.locator("article.goal", has_text="Jag ritar en serie med fyra rutor.")
    ).to_have_count(1)
    expect(mine).to_contain_text("Godkänt")
    axe_check(hugo)
