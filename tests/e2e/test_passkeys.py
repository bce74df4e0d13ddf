"""Passkeys in a real browser: several per person, removal, autofill sign-in, browsers
without WebAuthn or without the JSON helpers, and a sign-up link used twice."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

HOME = re.compile(r"^http://localhost:\d+/$")
# Headless, an autofill request resolves by itself with the virtual authenticator; tests
# that press the sign-in button switch autofill off, as in a browser without it.
NO_AUTOFILL = "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"


def passkey_items(page):
    return page.locator("ul.passkey-list > li")


def test_add_rename_and_remove_a_second_passkey(
    live_server, page, add_authenticator, axe_check, enrol
) -> None:
    phone = add_authenticator(page)
    enrol(page, live_server.enrolment_url("Lina Karlsson"))
    page.get_by_role("link", name="Passkeys", exact=True).click()
    page.wait_for_url(re.compile(r"/account$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Dina passkeys")
    expect(passkey_items(page)).to_have_count(1)
    expect(passkey_items(page).first.get_by_role("heading")).to_contain_text(
        "du loggade in med den här"
    )
    axe_check(page)

    # The same device again: it refuses (excludeCredentials), and the page says so truly.
    page.get_by_role("button", name="Lägg till passkey").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Den här mobilen eller datorn har redan en passkey"
    )
    expect(passkey_items(page)).to_have_count(1)

    # A second device: the first authenticator would refuse (excludeCredentials), so the
    # phone goes away and a computer's authenticator takes its place; the session stays.
    phone.remove()
    computer = add_authenticator(page)
    page.get_by_role("button", name="Lägg till passkey").click()
    page.wait_for_url(re.compile(r"/account\?saved=1$"))
    assert len(computer.credentials()) == 1
    expect(page.locator(".notice--success")).to_have_text("Sparat.")
    expect(passkey_items(page)).to_have_count(2)

    # Rename the new one (the one not used to sign in).
    new = passkey_items(page).nth(1)
    expect(new.get_by_role("heading")).not_to_contain_text("du loggade in")
    new.get_by_role("textbox", name="Namn").fill("Skolans dator")
    new.get_by_role("button", name="Byt namn").click()
    page.wait_for_url(re.compile(r"/account\?saved=1$"))
    renamed = passkey_items(page).filter(has=page.get_by_role("heading", name="Skolans dator"))
    expect(renamed).to_have_count(1)
    expect(renamed.get_by_role("textbox", name="Namn")).to_have_value("Skolans dator")
    axe_check(page)

    # Remove the new one: it is not the one this session signed in with, so no
    # confirmation and still signed in.
    renamed.get_by_role("button", name="Ta bort").click()
    page.wait_for_url(re.compile(r"/account\?saved=1$"))
    expect(passkey_items(page)).to_have_count(1)
    expect(passkey_items(page).first.get_by_role("heading")).to_contain_text(
        "du loggade in med den här"
    )
    expect(page.get_by_role("heading", name="Skolans dator")).to_have_count(0)
    page.goto("/")  # a guardian with one child lands on the child's plan
    expect(page.get_by_role("heading", level=1)).to_have_text("Mål för Elias Karlsson")


def test_removing_the_last_passkey_asks_first_and_signs_out(
    live_server, page, watch, add_authenticator, axe_check, enrol
) -> None:
    device = add_authenticator(page)
    enrol(page, live_server.enrolment_url("Eva Andersson"))
    page.goto("/account")
    expect(passkey_items(page)).to_have_count(1)
    passkey_items(page).first.get_by_role("button", name="Ta bort").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Ta bort din sista passkey?")
    axe_check(page)
    # "No" keeps it.
    page.get_by_role("link", name="Nej, behåll den").click()
    page.wait_for_url(re.compile(r"/account$"))
    expect(passkey_items(page)).to_have_count(1)

    passkey_items(page).first.get_by_role("button", name="Ta bort").click()
    page.get_by_role("button", name="Ja, ta bort den").click()
    page.wait_for_url(re.compile(r"/login\?removed=1$"))
    expect(page.get_by_role("status")).to_contain_text("Passkeyn är borttagen")

    # The device still offers the removed passkey (autofill resolves by itself headless):
    # the server does not know it any more, says so, and nobody is signed in.
    watch.allow_console(r"/login\?removed=1: Failed to load resource: .* 400")
    expect(page.get_by_role("alert")).to_contain_text("Vi känner inte igen den passkeyn")
    # ...and tells the device, which stops offering it: the next sign-in page waits.
    assert device.credentials() == []
    page.goto("/account")
    page.wait_for_url(re.compile(r"/login\?next=/account$"))


def test_autofill_signs_in_without_pressing_anything(
    live_server, page, add_authenticator, enrol
) -> None:
    add_authenticator(page)
    enrol(page, live_server.enrolment_url("Omar Haddad"))
    with page.expect_request(re.compile(r"/auth/login/verify")) as verify:
        page.get_by_role("button", name="Logga ut").click()
        page.wait_for_url(re.compile(r"/login\?signed_out=1$"))
        page.wait_for_url(HOME)  # nothing was clicked on the sign-in page
    body = verify.value.post_data_json
    assert body["type"] == "public-key"
    assert body["response"]["userHandle"]  # a discoverable credential: no user name
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina mål")


def test_browser_without_webauthn_is_told_so(page, axe_check) -> None:
    page.add_init_script("delete window.PublicKeyCredential;")
    page.goto("/login")
    assert page.evaluate("typeof window.PublicKeyCredential") == "undefined"
    expected = page.locator("main").get_attribute("data-msg-unsupported")
    assert expected and expected.startswith("Den här webbläsaren kan inte använda passkeys")
    status = page.locator("[data-passkey-status]")
    expect(status).to_be_visible()
    expect(status).to_have_text(expected)
    expect(page.locator('[data-passkey="login"]')).to_be_hidden()
    expect(page.locator('[data-passkey="login"]')).to_be_disabled()
    axe_check(page)


def test_without_the_json_helpers_the_fallback_signs_up_and_in(
    live_server, page, add_authenticator, enrol
) -> None:
    page.add_init_script(
        """
        delete PublicKeyCredential.parseCreationOptionsFromJSON;
        delete PublicKeyCredential.parseRequestOptionsFromJSON;
        delete PublicKeyCredential.prototype.toJSON;
    """
        + NO_AUTOFILL
    )
    authenticator = add_authenticator(page)
    enrol(page, live_server.enrolment_url("Anna Nilsson"))
    assert (
        page.evaluate("""[typeof PublicKeyCredential.parseCreationOptionsFromJSON,
        typeof PublicKeyCredential.parseRequestOptionsFromJSON,
        typeof PublicKeyCredential.prototype.toJSON]""")
        == ["undefined"] * 3
    )
    assert len(authenticator.credentials()) == 1
    expect(page.get_by_role("heading", level=1)).to_have_text("Mål för Alva Nilsson")

    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url(re.compile(r"/login\?signed_out=1$"))
    page.get_by_role("button", name="Logga in", exact=True).click()
    # A guardian with one child lands on her plan, without a form to rate with.
    page.wait_for_url(re.compile(r"/pupils/\d+$"))
    expect(page.locator("article.goal")).to_have_count(3)
    expect(page.locator("article.goal form")).to_have_count(0)


def test_a_used_signup_link_shows_a_clear_error(
    live_server, page, new_context, watch, add_authenticator, axe_check, enrol
) -> None:
    url = live_server.enrolment_url("Per Nilsson")
    add_authenticator(page)
    enrol(page, url)

    # The person who used it opens it again while signed in: home, not an error.
    page.goto(url)
    page.wait_for_url(re.compile(r"/pupils/\d+$"))  # home: for Per, his one child's plan

    # Someone else opens the same link later, in another browser.
    other = new_context().new_page()
    watch.allow_console(r"/enrol/.*Failed to load resource: .* 410")
    response = other.goto(url)
    assert response is not None and response.status == 410
    expect(other.locator("html")).to_have_attribute("lang", "sv")
    expect(other.get_by_role("heading", level=1)).to_have_text("Startlänken fungerar inte")
    expect(other.locator("main")).to_contain_text("Startlänken har redan använts.")
    expect(other.locator('[data-passkey="register"]')).to_have_count(0)
    expect(other.get_by_role("link", name="Logga in")).to_be_visible()
    axe_check(other)

    # A fresh link from `iup enrol` works again.
    fresh = live_server.enrolment_url("Per Nilsson")
    assert fresh != url
    other.goto(fresh)
    expect(other.get_by_role("heading", level=1)).to_have_text("Välkommen, Per!")
