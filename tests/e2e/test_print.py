"""The written IUP on paper (issue 9, part 6), in 6D: Nils Ahl (mentor) writes Ebba Wik's
plan with one agreement and publishes it, and both sign it — seeded through the JSON API
with software passkeys. Ebba opens her earlier terms on her phone and the term's plan; axe
finds nothing at 360 px (touch) and 1,280 px; printed to an A4 PDF, the plan holds the
agreement and who signed it, and none of the page's chrome.

Ebba and her mentor appear in no other browser test (Nils's 6D work in
test_compilation_journey is about Wilma)."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import DESKTOP, PHONE

pytestmark = pytest.mark.e2e

AGREEMENT = "Ebba läser en kapitelbok i veckan och berättar om den."
MEASURES = "Skolan ger Ebba lästid i biblioteket på tisdagar."


def seed(mentor: Any, ebba: Any, ebba_id: int) -> None:
    """The written plan, published, with one agreement both have signed."""
    today = date.today()  # noqa: DTZ011
    mentor.call(
        "PUT",
        f"/api/pupils/{ebba_id}/summary",
        {
            "version": 0,
            "held_on": (today - timedelta(days=1)).isoformat(),
            "participants": "Ebba, Nils",
            "measures_school": MEASURES,
        },
    )
    agreement = mentor.call(
        "POST",
        f"/api/pupils/{ebba_id}/agreements",
        {"text": AGREEMENT, "party": "pupil", "due_on": (today + timedelta(days=30)).isoformat()},
    )
    mentor.call("POST", f"/api/pupils/{ebba_id}/summary/publish", {})
    ebba.sign(agreement["id"])
    mentor.sign(agreement["id"])


def test_the_written_plan_prints_on_a4_with_its_signatures(
    live_server, new_context, axe_check, api_person
) -> None:
    from pypdf import PdfReader

    ebba_id = live_server.person_id("Ebba Wik")
    ebba = api_person("Ebba Wik")
    seed(api_person("Nils Ahl"), ebba, ebba_id)
    # On her phone: the earlier terms, then this term's written plan.
    phone = new_context(**PHONE)
    phone.add_cookies(ebba.cookies())
    page = phone.new_page()
    page.goto(f"/pupils/{ebba_id}/plans")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tidigare terminer")
    axe_check(page)
    page.locator(".plan-history a").first.tap()
    page.wait_for_url(re.compile(r"/plans/\d+$"))
    plan_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Individuell utvecklingsplan: Ebba Wik"
    )
    expect(page.locator(".record__signers")).to_contain_text("underskrivet av Ebba Wik")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    axe_check(page)

    # At a desk, then on paper.
    desk = new_context(**DESKTOP)
    desk.add_cookies(ebba.cookies())
    page = desk.new_page()
    page.goto(plan_url)
    expect(page.locator(".record")).to_contain_text(AGREEMENT)
    axe_check(page)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    width, height = pdf.pages[0].mediabox.width, pdf.pages[0].mediabox.height
    assert abs(float(width) - 595.3) < 1 and abs(float(height) - 841.9) < 1, "A4 in points"
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pdf.pages))
    for expected in (
        "Ebba Wik",
        "Demoskolan",
        "6D",
        AGREEMENT,
        MEASURES,
        "underskrivet av Ebba Wik",
        "underskrivet av Nils Ahl",
    ):
        assert expected in text, f"{expected!r} not in the printed plan: {text[:1500]}"
    for chrome in ("Logga ut", "Hoppa till innehållet", "Alla terminer"):
        assert chrome not in text, f"{chrome!r} printed"
