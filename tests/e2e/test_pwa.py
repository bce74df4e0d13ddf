"""The installable app: manifest, service worker and its caches, the offline page, and the
language switch."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

CACHED_URLS = """async () => {
  const urls = [];
  for (const key of await caches.keys()) {
    const cache = await caches.open(key);
    for (const request of await cache.keys()) urls.push([key, request.url]);
  }
  return urls;
}"""
# getRegistration() answers at once; `ready` would wait for ever if no worker activates.
SW_ACTIVE = """async () => {
  const registration = await navigator.serviceWorker.getRegistration();
  return registration && registration.active && registration.active.state === "activated"
    ? [registration.scope, registration.active.scriptURL] : null;
}"""


def active_worker(page) -> list[str]:
    """The active service worker's scope and script, or a failure within 20 s."""
    return page.wait_for_function(SW_ACTIVE, timeout=20_000).json_value()


def test_manifest_is_installable(live_server, new_context) -> None:
    context = new_context(persistent=True)
    page = context.pages[0] if context.pages else context.new_page()
    page.goto("/login")
    active_worker(page)
    cdp = page.context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert errors == [], errors
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == f"{live_server.url}/manifest.webmanifest"
    assert manifest["errors"] == [], manifest["errors"]


def test_service_worker_caches_the_shell_but_no_personal_page(
    live_server, page, add_authenticator, enrol, watch, axe_check
) -> None:
    add_authenticator(page)
    enrol(page, live_server.enrolment_url("Elias Karlsson"))
    scope, script = active_worker(page)
    assert scope == f"{live_server.url}/"
    assert script == f"{live_server.url}/sw.js"
    # Visit the personal pages once more, now under the active worker.
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina mål")
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    page.goto("/account")
    page.goto("/")

    cached = page.evaluate(CACHED_URLS)
    assert cached, "the service worker cached nothing"
    assert all(key.startswith("iup-") for key, _url in cached)
    paths = [urlsplit(url).path for _key, url in cached]
    assert "/offline" in paths
    assert any(p.startswith("/static/js/iup.") for p in paths), paths
    assert any(p.startswith("/static/css/") for p in paths), paths
    personal = [p for p in paths if p != "/offline" and not p.startswith("/static/")]
    assert personal == [], f"pages with personal data in the cache: {personal}"

    # Offline: a page navigation gets the cached offline page, not a browser error.
    watch.allow_console(r"net::ERR_INTERNET_DISCONNECTED")
    page.context.set_offline(True)
    try:
        page.goto("/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Du har inget internet just nu")
        expect(page.get_by_role("link", name="Försök igen")).to_have_attribute("href", "/")
        expect(page.locator("article.goal")).to_have_count(0)
        axe_check(page)
    finally:
        page.context.set_offline(False)
    page.get_by_role("link", name="Försök igen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina mål")

    # Signing out forgets the caches on this device. (Headless, passkey autofill would sign
    # Elias in again at once and fill them anew; this browser has no autofill.)
    page.add_init_script("PublicKeyCredential.isConditionalMediationAvailable = async () => false;")
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url(re.compile(r"/login\?signed_out=1"))
    page.wait_for_function("async () => (await caches.keys()).length === 0")


def test_language_switch_to_english(page, axe_check) -> None:
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")
    page.get_by_role("button", name="English").click()
    page.wait_for_url(re.compile(r"/login$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    # The switch offers the other language, at the top: the third stop for the keyboard
    # (after "skip to content" and the app's name).
    expect(page.get_by_role("button", name="English")).to_have_count(0)
    for _ in range(3):
        page.keyboard.press("Tab")
    expect(page.get_by_role("banner").get_by_role("button", name="Svenska")).to_be_focused()
    axe_check(page)
    # The choice sticks, and switching back works.
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Svenska").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
