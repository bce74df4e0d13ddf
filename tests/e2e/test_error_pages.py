"""Error pages and GET /logout in a real browser, signed in: the header and menu stay, the
title matches the heading, the sign-out button works, and axe finds nothing."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_the_error_page_and_get_logout_keep_the_menu(
    live_server, page, watch, add_authenticator, axe_check, enrol
) -> None:
    watch.allow_console(r"/no-such-page: Failed to load resource: .* 404")
    add_authenticator(page)
    enrol(page, live_server.enrolment_url("Johan Berg"))
    menu = page.get_by_role("navigation", name="Huvudmeny")

    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Sidan hittades inte")
    expect(page).to_have_title("Sidan hittades inte – IUP")
    expect(menu).to_be_visible()
    expect(page.get_by_role("banner").get_by_role("button", name="Logga ut")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Inloggad: Johan Berg")
    axe_check(page)

    response = page.goto("/logout")
    assert response is not None and response.status == 200
    expect(page).to_have_title("Vill du logga ut? – IUP")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vill du logga ut?")
    expect(menu).to_be_visible()
    axe_check(page)
    # Headless, passkey autofill on the sign-in page resolves by itself and would sign
    # Johan in again at once (test_passkeys.py covers that); this browser has no autofill.
    page.add_init_script("PublicKeyCredential.isConditionalMediationAvailable = async () => false;")
    page.get_by_role("main").get_by_role("button", name="Logga ut").click()
    page.wait_for_url(re.compile(r"/login\?signed_out=1$"))
    expect(page.get_by_role("navigation", name="Huvudmeny")).to_have_count(0)
