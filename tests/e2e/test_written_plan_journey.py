"""Issue 9's acceptance journey, after Alva's development talk, each person with her own
passkey on her own device (separate virtual authenticators): the mentor records the talk,
a summary and two agreements and publishes; Alva, Anna and the mentor sign; Per's page
says it waits for him, and he signs; `iup verify-signatures` prints OK for every
signature; the mentor changes one agreement, its signatures are void and the pages ask
again; Alva marks her part done and the mentor confirms; the term is closed, the plan is
read-only, its history browsable and a write refused with 409. axe on every page.

Named to run last among the browser tests: closing the term archives every plan of it."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import DESKTOP, PHONE

pytestmark = pytest.mark.e2e

FIRST = "Alva läser 20 minuter varje kväll."
SECOND = "Skolan ger Alva extra stöd i matematik på tisdagar."
CHANGED = "Skolan ger Alva extra stöd i matematik på tisdagar och torsdagar."


def test_after_the_talk(live_server, new_context, signed_up, axe_check, watch) -> None:
    watch.allow_console(r"/progress.*status of 409|status of 409.*/progress")  # step 8's refusal
    alva_id = live_server.person_id("Alva Nilsson")
    yesterday = (date.today() - timedelta(days=1)).isoformat()  # noqa: DTZ011
    due = (date.today() + timedelta(days=10)).isoformat()  # noqa: DTZ011

    # 1. Karin, the mentor, writes the plan from the compilation and publishes it.
    karin = signed_up("Karin Lind", DESKTOP)
    karin.goto(f"{live_server.url}/pupils/{alva_id}/compilation")
    karin.get_by_role("link", name="Skriftlig plan för Alva Nilsson").click()
    expect(karin.get_by_role("heading", level=1)).to_have_text("Skriftlig plan för Alva Nilsson")
    axe_check(karin)
    karin.get_by_label("Datum för samtalet").fill(yesterday)
    karin.get_by_label("Vilka som deltog").fill("Alva, Anna, Per och Karin")
    karin.get_by_label("Skolan ska").fill("Extra stöd i matematik på tisdagar.")
    karin.get_by_label("Eleven ska").fill("Läsa 20 minuter varje kväll.")
    karin.get_by_role("button", name="Spara", exact=True).click()
    expect(karin.locator("main").get_by_text("Den skriftliga planen är sparad.")).to_be_visible()
    for text, who in ((FIRST, "Eleven"), (SECOND, "Skolan")):
        form = karin.locator("#new-agreement")
        form.get_by_label("Vad som är överenskommet").fill(text)
        form.get_by_label(who, exact=True).check()
        form.get_by_label("Senast när").fill(due)
        form.get_by_role("button", name="Lägg till överenskommelsen").click()
        expect(karin.locator(".agreement", has_text=text)).to_be_visible()
    karin.get_by_role("button", name="Spara och publicera för elev och vårdnadshavare").click()
    expect(karin.locator("main").get_by_text("Planen är publicerad.")).to_be_visible()
    axe_check(karin)
    phone = new_context(**PHONE, storage_state=karin.context.storage_state()).new_page()
    phone.goto(karin.url)  # the same page on her phone, signed in as she is
    expect(phone.locator(".agreement")).to_have_count(2)
    axe_check(phone)
    phone.context.close()
    first_id = int(karin.locator(".agreement", has_text=FIRST).get_attribute("id").split("-")[1])
    second_id = int(karin.locator(".agreement", has_text=SECOND).get_attribute("id").split("-")[1])

    # 2. Alva, on her phone, sees what waits for her and signs both with one touch.
    alva = signed_up("Alva Nilsson", PHONE)
    expect(alva.locator(".todo__sign")).to_have_text(
        "2 överenskommelser väntar på att du skriver under"
    )
    axe_check(alva)
    alva.get_by_role("button", name="Skriv under alla 2 överenskommelser").tap()
    expect(alva.locator("main").get_by_text("Tack! Du har skrivit under.")).to_be_visible()
    mine = alva.locator(f"#agreement-{first_id} .agreement__signers")
    expect(mine).to_contain_text(re.compile(r"underskrivet av Alva .*✓ kontrollerad"))
    expect(mine).to_contain_text("väntar på Anna, Per och Karin")
    axe_check(alva)

    # 3. Anna signs each on her phone; Karin signs both on her page.
    anna = signed_up("Anna Nilsson", PHONE)
    for agreement in (first_id, second_id):
        anna.locator(f"#agreement-{agreement}").get_by_role(
            "button", name="Skriv under med din passkey"
        ).tap()
        signers = anna.locator(f"#agreement-{agreement} .agreement__signers")
        expect(signers).to_contain_text("underskrivet av Anna")  # the page after this signature
        expect(anna.locator("main").get_by_text("Tack! Du har skrivit under.")).to_be_visible()
    axe_check(anna)
    karin.reload()
    karin.get_by_role("button", name="Skriv under alla 2 överenskommelser").click()
    expect(karin.locator("main").get_by_text("Tack! Du har skrivit under.")).to_be_visible()

    # 4. Per reads in English: the page says it waits for him, and he signs.
    per = signed_up("Per Nilsson", DESKTOP)
    if per.locator("html").get_attribute("lang") != "en":
        per.get_by_role("button", name="English").click()
    per.goto(f"{live_server.url}/pupils/{alva_id}")
    signers = per.locator(f"#agreement-{first_id} .agreement__signers")
    expect(signers).to_contain_text("waiting for Per")
    expect(signers).to_contain_text("signed by Anna")
    axe_check(per)
    per.get_by_role("button", name="Sign all 2 agreements").click()
    expect(per.locator("main").get_by_text("Thank you. Your signature is saved.")).to_be_visible()
    expect(per.locator(".agreement__meta strong")).to_have_text(["Signed by everyone"] * 2)

    # 5. Every signature verifies from the database alone.
    lines = live_server.iup("verify-signatures", "--pupil", str(alva_id)).splitlines()
    assert len(lines) == 8 and all(line.startswith("OK ") for line in lines), lines

    # 6. Karin changes the second agreement: its signatures are void and the pages ask again.
    karin.reload()
    card = karin.locator(f"#agreement-{second_id}")
    card.get_by_text("Ändra överenskommelsen").click()
    card.get_by_label("Vad som är överenskommet").fill(CHANGED)
    card.get_by_role("button", name="Spara ändringen").click()
    card = karin.locator(f"#agreement-{second_id}")
    expect(card.locator(".agreement__text")).to_have_text(CHANGED)
    expect(card.locator(".agreement__signers")).to_have_text("väntar på Alva, Anna, Per och Karin")
    axe_check(karin)
    alva.reload()
    expect(alva.locator(".todo__sign")).to_have_text(
        "1 överenskommelse väntar på att du skriver under"
    )
    expect(alva.locator(f"#agreement-{second_id}").get_by_role("button")).to_have_text(
        "Skriv under med din passkey"
    )

    # 7. Alva marks her part done; Karin confirms it.
    part = alva.locator(f"#agreement-{first_id}")
    part.get_by_label("Kommentar (om du vill)").fill("Jag har läst varje kväll i två veckor.")
    part.get_by_role("button", name="Jag har gjort min del").tap()
    expect(alva.locator(f"#agreement-{first_id} .agreement__progress")).to_contain_text(
        "Jag har läst varje kväll i två veckor."
    )
    axe_check(alva)
    karin.reload()
    follow = karin.locator(f"#agreement-{first_id}")
    expect(follow.locator(".agreement__progress")).to_contain_text("Markerad som gjord av eleven")
    follow.get_by_label("Kommentar", exact=True).fill("Bra jobbat!")
    follow.get_by_role("button", name="Spara uppföljningen").click()
    expect(karin.locator(f"#agreement-{first_id} .agreement__follow-up")).to_contain_text(
        "Klar – Bra jobbat!"
    )
    axe_check(karin)

    # 8. The principal closes the term: the plan is read-only and a write is refused.
    school_id, term_id = this_term(live_server, alva_id)
    principal = signed_up("Birgitta Holm", DESKTOP)
    principal.goto(f"{live_server.url}/schools/{school_id}/terms/{term_id}")
    axe_check(principal)
    principal.get_by_label(re.compile("Ja, stäng")).check()
    principal.get_by_role("button", name="Stäng terminen").click()
    expect(principal.locator("#closed")).to_be_visible()
    alva.reload()
    expect(alva.locator("#archived .archived__label")).to_have_text("Stängd")
    expect(alva.get_by_role("button", name="Jag har gjort min del")).to_have_count(0)
    expect(alva.locator("[data-passkey]")).to_have_count(0)
    axe_check(alva)
    refused = alva.evaluate(
        """async (id) => {
          const token = document.querySelector('meta[name="csrf-token"]').content;
          const r = await fetch(`/api/agreements/${id}/progress`, {method: "POST",
            headers: {"content-type": "application/json", "x-csrftoken": token}, body: "{}"});
          return [r.status, (await r.json()).reason];
        }""",
        second_id,
    )
    assert refused == [409, "archived"]

    # 9. The history is browsable: the closed term, with its agreements and signatures.
    alva.get_by_role("link", name="Tidigare terminer").tap()
    expect(alva.get_by_role("heading", level=1)).to_have_text("Tidigare terminer")
    axe_check(alva)
    closed = alva.locator(".plan-history li").filter(has_text="Stängd")  # not a later term
    expect(closed).to_have_count(1)
    closed.get_by_role("link").tap()
    alva.wait_for_url(re.compile(r"/plans/\d+$"))
    record = alva.locator(".record")
    expect(record).to_contain_text(FIRST)
    expect(record).to_contain_text(CHANGED)
    expect(record).to_contain_text("underskrivet av Alva")
    axe_check(alva)
    per.goto(alva.url)
    expect(per.locator(".record")).to_contain_text("signed by Per")
    axe_check(per)


def this_term(live_server: Any, pupil_id: int) -> tuple[int, int]:
    """The school and term of the pupil's plan for today."""
    with contextlib.closing(sqlite3.connect(live_server.db_path)) as db:
        row = db.execute(
            "SELECT term.school_id, term.id FROM plan JOIN term ON term.id = plan.term_id"
            " WHERE plan.pupil_id = ? AND term.starts_on <= date('now')"
            " ORDER BY term.starts_on DESC LIMIT 1",
            (pupil_id,),
        ).fetchone()
    return int(row[0]), int(row[1])
