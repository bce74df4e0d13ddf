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

import httpx
import pytest
from playwright.sync_api import expect

from backend.auth.sessions import SESSION_COOKIE
from tests.softauthn import SoftAuthenticator
from tests.support import DESKTOP, PHONE

pytestmark = pytest.mark.e2e

AGREEMENT = "Ebba läser en kapitelbok i veckan och berättar om den."
MEASURES = "Skolan ger Ebba lästid i biblioteket på tisdagar."


class Person:
    """One signed-in client of the live server with its own software passkey."""

    def __init__(self, live_server: Any, name: str) -> None:
        self.client = httpx.Client(base_url=live_server.url, timeout=10)
        self.authenticator = SoftAuthenticator(origin=live_server.url)
        match = re.search(r'name="csrf-token" content="([^"]+)"', self.client.get("/login").text)
        assert match, "the page carries a CSRF token"
        self.token = match.group(1)
        code = live_server.enrolment_url(name).rsplit("/enrol/", 1)[1]
        options = self.post(f"/enrol/{code}/options", {})
        registered = self.post(f"/enrol/{code}/verify", self.authenticator.register(options))
        assert registered, "enrolled"

    def post(self, url: str, body: Any, *, method: str = "POST") -> Any:
        response = self.client.request(method, url, json=body, headers={"x-csrftoken": self.token})
        assert response.status_code in (200, 201), f"{url}: {response.text}"
        return response.json()

    def sign(self, agreement_id: int) -> None:
        options = self.post(f"/api/agreements/{agreement_id}/signature/options", {})
        self.post(f"/api/agreements/{agreement_id}/signature", self.authenticator.login(options))

    def session(self, live_server: Any) -> list[dict[str, Any]]:
        token = self.client.cookies.get(SESSION_COOKIE)
        assert token
        return [{"name": SESSION_COOKIE, "value": token, "url": live_server.url}]


def seed(mentor: Person, ebba: Person, ebba_id: int) -> None:
    """The written plan, published, with one agreement both have signed."""
    today = date.today()  # noqa: DTZ011
    mentor.post(
        f"/api/pupils/{ebba_id}/summary",
        {
            "version": 0,
            "held_on": (today - timedelta(days=1)).isoformat(),
            "participants": "Ebba, Nils",
            "measures_school": MEASURES,
        },
        method="PUT",
    )
    agreement = mentor.post(
        f"/api/pupils/{ebba_id}/agreements",
        {"text": AGREEMENT, "party": "pupil", "due_on": (today + timedelta(days=30)).isoformat()},
    )
    mentor.post(f"/api/pupils/{ebba_id}/summary/publish", {})
    ebba.sign(agreement["id"])
    mentor.sign(agreement["id"])


def test_the_written_plan_prints_on_a4_with_its_signatures(
    live_server, new_context, axe_check
) -> None:
    from pypdf import PdfReader

    ebba_id = live_server.person_id("Ebba Wik")
    mentor = Person(live_server, "Nils Ahl")
    ebba = Person(live_server, "Ebba Wik")
    try:
        seed(mentor, ebba, ebba_id)
    finally:
        mentor.client.close()
        ebba.client.close()
    # On her phone: the earlier terms, then this term's written plan.
    phone = new_context(**PHONE)
    phone.add_cookies(ebba.session(live_server))
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
    desk.add_cookies(ebba.session(live_server))
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
