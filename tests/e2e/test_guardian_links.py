"""Issue 10 in a browser: Birgitta (the principal) opens a restricted guardian link on her
phone — a confirmation first — and the guardian then signs up and reads the plan; at her
desk she saves the school's settings, is told plainly what is wrong with a bad number;
her phone, still showing the settings from before, is refused with what they are now and
keeps her choice, and saving from there puts them back. axe at 360 px with touch and at 1280 px.

The restricted link is this file's own (Greta Ek, guardian of Leo in 6D, whom no other file
uses): the demo's Mikael stays restricted for the others."""

from __future__ import annotations

import contextlib
import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.support import DESKTOP, PHONE

pytestmark = pytest.mark.e2e


def test_the_principal_opens_a_restricted_link_and_saves_the_settings(
    live_server, signed_up, axe_check, watch
) -> None:
    watch.allow_console(r"status of 422 .* @ .*/schools/\d+/settings$")  # the bad number
    watch.allow_console(r"status of 409 .* @ .*/schools/\d+/settings$")  # saved meanwhile
    leo = live_server.person_id("Leo Ek")
    greta = live_server.add_guardian("Greta Ek", child="Leo Ek", access=False)
    with contextlib.closing(sqlite3.connect(live_server.db_path)) as db:
        (school_id,) = db.execute("SELECT id FROM school WHERE name = 'Demoskolan'").fetchone()

    # 1. On her phone, Birgitta opens Greta's restricted link, after a confirmation.
    phone = signed_up("Birgitta Holm", PHONE)
    phone.goto(f"/pupils/{leo}/guardians")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Vårdnadshavare till Leo Ek")
    card = phone.locator(f"#guardian-{greta}")
    expect(card).to_contain_text("Vårdnadshavare")
    expect(card).to_contain_text("Begränsad")
    axe_check(phone)
    card.get_by_role("button", name="Öppna tillgången för Greta Ek").tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Öppna tillgången för Greta Ek?")
    axe_check(phone)
    phone.get_by_role("button", name="Ja, öppna tillgången").tap()
    phone.wait_for_url(re.compile(rf"/pupils/{leo}/guardians\?changed={greta}$"))
    expect(phone.get_by_role("status")).to_have_text("Greta Ek har nu tillgång till planen.")
    expect(phone.locator(f"#guardian-{greta}")).to_contain_text("Har tillgång")
    expect(phone.locator(f"#guardian-{greta}")).to_contain_text("Beslutat av Birgitta Holm")
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 360
    axe_check(phone)

    # 2. Greta signs up and reads Leo's plan.
    guardian = signed_up("Greta Ek", DESKTOP)
    assert re.search(rf"/pupils/{leo}\?welcome=1$", guardian.url), guardian.url
    expect(guardian.get_by_role("heading", level=1)).to_contain_text("Leo")

    # 3. At her desk, Birgitta lets trustees read the plans and keeps the read log 400 days
    # (her phone still shows the settings as they were).
    phone.goto(f"/schools/{school_id}/settings")
    desk = signed_up("Birgitta Holm", DESKTOP)
    desk.goto(f"/schools/{school_id}")
    desk.get_by_role("link", name="Inställningar: vårdnadshavare och gallring").click()
    desk.wait_for_url(f"**/schools/{school_id}/settings")
    expect(desk.get_by_label("Vårdnadshavare", exact=True)).to_be_checked()
    axe_check(desk)
    desk.get_by_label("God man").check()
    desk.get_by_label("Spara läsloggen (dagar)").fill("-3")
    desk.get_by_role("button", name="Spara inställningarna").click()
    summary = desk.locator(".error-summary")
    expect(summary).to_contain_text("Skriv ett helt antal dagar, 0 eller fler")
    expect(summary).to_be_focused()
    expect(desk.get_by_label("God man")).to_be_checked()  # what she chose stays
    axe_check(desk)
    desk.get_by_label("Spara läsloggen (dagar)").fill("400")
    desk.get_by_role("button", name="Spara inställningarna").click()
    desk.wait_for_url(re.compile(rf"/schools/{school_id}/settings\?saved=0$"))
    expect(desk.get_by_role("status")).to_contain_text("Inställningarna är sparade.")
    expect(desk.get_by_label("God man")).to_be_checked()
    expect(desk.get_by_label("Spara läsloggen (dagar)")).to_have_value("400")
    axe_check(desk)
    with contextlib.closing(sqlite3.connect(live_server.db_path)) as db:
        assert db.execute(
            "SELECT guardian_relations, retention_read_log_days FROM school WHERE id = ?",
            (school_id,),
        ).fetchone() == ("Vårdnadshavare,God man", 400)

    # 4. On her phone, from the settings as they were, she keeps the audit entries 30 days:
    # refused, with the settings as they are now above her own choice, which stays.
    phone.get_by_label("Spara säkerhetsloggen (dagar)").fill("30")
    phone.get_by_role("button", name="Spara inställningarna").tap()
    alert = phone.locator(".notice--error")
    expect(alert).to_contain_text("Någon annan sparade inställningarna under tiden")
    expect(alert).to_contain_text("God man")
    expect(alert).to_be_focused()
    expect(phone.get_by_label("Spara säkerhetsloggen (dagar)")).to_have_value("30")
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 360
    axe_check(phone)
    with contextlib.closing(sqlite3.connect(live_server.db_path)) as db:
        assert db.execute(
            "SELECT retention_audit_days FROM school WHERE id = ?", (school_id,)
        ).fetchone() == (None,)

    # 5. And, saving from there, puts the rest back for the files that follow.
    phone.get_by_label("Spara säkerhetsloggen (dagar)").fill("")
    phone.get_by_role("button", name="Spara inställningarna").tap()
    expect(phone.get_by_role("status")).to_contain_text("Inställningarna är sparade.")
    with contextlib.closing(sqlite3.connect(live_server.db_path)) as db:
        assert db.execute(
            "SELECT guardian_relations, retention_read_log_days, retention_audit_days "
            "FROM school WHERE id = ?",
            (school_id,),
        ).fetchone() == ("Vårdnadshavare", None, None)
