"""Sign-up links from the web: a mentor on her phone issues one for a pupil, who signs up
with it in another browser; the mentor removes the passkey again (a lost phone). On a
desktop, the principal's staff list, and a letter that prints alone and in Arabic for a
guardian who reads Arabic."""

from __future__ import annotations

import contextlib
import re
import sqlite3

import pytest
from playwright.sync_api import expect

from backend import i18n
from tests import support

pytestmark = pytest.mark.e2e

PHONE = {**support.PHONE, "locale": "sv-SE"}
DESKTOP = {**support.DESKTOP, "locale": "sv-SE"}


def row_id(live_server, sql: str, *args: str) -> int:
    with contextlib.closing(sqlite3.connect(live_server.db_path)) as db:
        row = db.execute(sql, args).fetchone()
    assert row is not None, sql
    return int(row[0])


def signed_in(live_server, new_context, add_authenticator, enrol, name: str, options) -> object:
    page = new_context(**options).new_page()
    add_authenticator(page)
    enrol(page, live_server.enrolment_url(name))
    return page


def issue(page, live_server, name: str) -> str:
    """On the person's page: issue a link; the URL shown. The demo link `iup demo` printed
    for her is void now, so later tests get a fresh one (LiveServer.enrolment_url)."""
    page.get_by_role("button", name="Skapa en startlänk").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Startlänk för {name}")
    live_server.links.pop(name, None)
    url = page.get_by_role("textbox", name="Länken").input_value()
    assert re.fullmatch(re.escape(live_server.url) + r"/enrol/[A-Za-z0-9_-]+", url), url
    return url


def fits(page, width: int) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width, page.url


def test_a_mentor_on_her_phone_issues_a_link_and_the_pupil_signs_up(
    live_server, new_context, add_authenticator, enrol, axe_check, watch
) -> None:
    # At the end, her removed passkey is refused.
    watch.allow_console(r"status of 400 .* @ .*/auth/login/verify")
    mentor = signed_in(live_server, new_context, add_authenticator, enrol, "Karin Lind", PHONE)
    group = row_id(live_server, "SELECT id FROM pupil_group WHERE name = ?", "5C")
    mentor.goto(f"/groups/{group}/people")
    expect(mentor.get_by_role("heading", level=1)).to_have_text("Startlänkar för 5C")
    saga = mentor.locator(".people-list > li").filter(has_text="Saga Holm")
    expect(saga.locator(".people-list__keys").first).to_have_text("Ingen passkey")
    fits(mentor, 360)
    axe_check(mentor)

    saga.get_by_role("link", name="Saga Holm", exact=True).click()
    expect(mentor.get_by_role("heading", level=1)).to_have_text("Saga Holm")
    expect(mentor.get_by_text("Elev i 5C")).to_be_visible()
    axe_check(mentor)
    url = issue(mentor, live_server, "Saga Holm")
    letter = mentor.locator("article.letter")
    expect(letter).to_have_attribute("lang", "sv")
    expect(letter.locator(".qr svg")).to_have_count(1)
    expect(letter).to_contain_text("Hej Saga Holm!")
    expect(letter).to_contain_text("Demoskolan")
    expect(letter).to_contain_text("Utfärdad av Karin Lind")
    expect(mentor.get_by_role("status")).to_contain_text("Den visas bara den här gången")
    fits(mentor, 360)
    axe_check(mentor)

    # Saga opens the link on her own phone and creates a passkey.
    pupil = new_context(**PHONE).new_page()
    add_authenticator(pupil)
    enrol(pupil, url)
    expect(pupil.get_by_role("heading", level=1)).to_have_text("Mina mål")

    # Her phone is lost: the mentor removes the passkey, after a confirmation.
    mentor.get_by_role("link", name="Klar").click()
    passkeys = mentor.locator(".passkey-list > li")
    expect(passkeys).to_have_count(1)
    axe_check(mentor)
    passkeys.get_by_role("button", name="Ta bort").click()
    expect(mentor.get_by_role("heading", level=1)).to_have_text("Ta bort den här passkeyn?")
    axe_check(mentor)
    mentor.get_by_role("button", name="Ja, ta bort den").click()
    expect(mentor.get_by_role("status")).to_contain_text("Passkeyn är borttagen")
    expect(mentor.locator(".passkey-list")).to_have_count(0)
    axe_check(mentor)
    # Her session has ended, and the passkey signs in no more (the button, not autofill,
    # which headless would fire by itself: see test_pupil_journey.py).
    pupil.add_init_script(
        "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"
    )
    pupil.reload()
    pupil.wait_for_url(re.compile(r"/login\?"))
    pupil.get_by_role("button", name="Logga in", exact=True).click()
    expect(pupil.get_by_role("alert")).to_contain_text("Vi känner inte igen den passkeyn")


def test_the_letter_prints_alone_and_in_the_readers_language(
    live_server, new_context, add_authenticator, enrol, axe_check
) -> None:
    principal = signed_in(
        live_server, new_context, add_authenticator, enrol, "Birgitta Holm", DESKTOP
    )
    school = row_id(live_server, "SELECT id FROM school WHERE name = ?", "Demoskolan")
    principal.goto(f"/schools/{school}/staff")
    expect(principal.get_by_role("heading", level=1)).to_have_text("Personal på Demoskolan")
    axe_check(principal)
    principal.get_by_role("link", name="Ulla Strand").click()
    expect(principal.get_by_text("Lärare i Svenska i 6D")).to_be_visible()
    axe_check(principal)
    issue(principal, live_server, "Ulla Strand")
    axe_check(principal)
    principal.emulate_media(media="print")
    expect(principal.locator("article.letter")).to_be_visible()
    expect(principal.locator(".site-header")).to_be_hidden()
    expect(principal.get_by_role("heading", level=1)).to_be_hidden()
    expect(principal.get_by_role("textbox", name="Länken")).to_be_hidden()
    principal.emulate_media(media="screen")

    # Layla reads Arabic: her letter is in Arabic, right to left, in a Swedish page.
    mentor = signed_in(live_server, new_context, add_authenticator, enrol, "Johan Berg", DESKTOP)
    group = row_id(live_server, "SELECT id FROM pupil_group WHERE name = ?", "8B")
    mentor.goto(f"/groups/{group}/people")
    axe_check(mentor)
    mentor.get_by_role("link", name="Layla Haddad").click()
    expect(mentor.get_by_text("Vårdnadshavare till Omar Haddad")).to_be_visible()
    issue(mentor, live_server, "Layla Haddad")
    letter = mentor.locator("article.letter")
    expect(letter).to_have_attribute("lang", "ar")
    expect(letter).to_have_attribute("dir", "rtl")
    welcome = i18n.translations("ar").gettext("Welcome to IUP")
    assert welcome != "Welcome to IUP"
    expect(letter.get_by_role("heading", level=2)).to_have_text(welcome)
    expect(mentor.locator("html")).to_have_attribute("lang", "sv")
    axe_check(mentor)
