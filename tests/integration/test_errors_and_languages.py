"""Error pages that keep the signed-in person's header, GET /logout, and which language a
request gets (backend/i18n.py): the stored language beats the browser's cookie and header,
a language we do not have falls back to English, no header means Swedish; the language form
stays on this site; the manifest, the offline page and the worker follow. HEAD:
test_head.py."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session, select

from backend.auth import sessions
from backend.models import Person
from tests.integration.conftest import Visitor, demo_person

BROWSER = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
SWEDISH = {"accept-language": "sv-SE,sv;q=0.9"}
ENGLISH = {"accept-language": "en-GB,en;q=0.9"}
GERMAN = {"accept-language": "de-DE,de;q=0.9"}
MENU = 'aria-label="{}"'


def store_locale(db: Session, key: str, locale: str | None) -> None:
    person = demo_person(db, key)
    person.locale = locale
    db.add(person)
    db.commit()


def title_and_heading(page: str) -> tuple[str, str]:
    title = re.search(r"<title>(.*?)</title>", page, re.DOTALL)
    heading = re.search(r"<h1>(.*?)</h1>", page, re.DOTALL)
    assert title and heading, page
    return html.unescape(title.group(1).strip()), html.unescape(heading.group(1).strip())


def has_menu(page: str) -> bool:
    return 'class="site-nav"' in page and 'action="/logout"' in page


# Languages -------------------------------------------------------------------------------


def test_no_accept_language_means_swedish(visitor: Callable[[], Visitor]) -> None:
    page = visitor().get("/login")
    assert '<html lang="sv"' in page.text and page.headers["content-language"] == "sv"


@pytest.mark.parametrize("header", [GERMAN, {"accept-language": "ur"}, {"accept-language": "fr"}])
def test_a_language_we_do_not_have_falls_back_to_english(
    visitor: Callable[[], Visitor], header: dict[str, str]
) -> None:
    page = visitor().get("/login", headers=header)
    assert '<html lang="en"' in page.text and "<h1>Sign in</h1>" in page.text
    assert page.headers["content-language"] == "en"


def test_swedish_when_asked_for_and_for_norwegian(visitor: Callable[[], Visitor]) -> None:
    guest = visitor()
    assert '<html lang="sv"' in guest.get("/login", headers=SWEDISH).text
    assert '<html lang="sv"' in guest.get("/login", headers={"accept-language": "nb-NO"}).text


def test_a_stored_language_wins_over_the_browser(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    store_locale(db, "alva", "en")
    alva = signed_in("alva")
    alva.client.cookies.delete("lang")
    home = alva.get("/", headers=SWEDISH)
    assert home.status_code == 200
    assert '<html lang="en"' in home.text and home.headers["content-language"] == "en"
    account = alva.get("/account", headers=SWEDISH)
    assert "<h1>Your passkeys</h1>" in account.text


def test_a_stored_language_wins_over_this_browsers_cookie(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """The cookie is what this browser chose while nobody was signed in; the person's own
    choice goes with her (a family's shared tablet)."""
    store_locale(db, "alva", "sv")
    alva = signed_in("alva")
    alva.client.cookies.set("lang", "en")
    assert '<html lang="sv"' in alva.get("/", headers=ENGLISH).text


def test_a_stored_language_wins_and_one_we_do_not_have_leaves_it_to_the_browser(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    layla = signed_in("guardian-layla")  # stored "ar": hers on every device
    assert '<html lang="ar" dir="rtl">' in layla.get("/account", headers=SWEDISH).text
    person = demo_person(db, "guardian-layla")
    person.locale = "de"  # one we do not have (yet)
    db.add(person)
    db.commit()
    assert '<html lang="sv"' in layla.get("/account", headers=SWEDISH).text
    assert '<html lang="en"' in layla.get("/account", headers={"accept-language": "de"}).text


def test_the_language_switch_is_stored_for_the_signed_in_person(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = signed_in("alva")
    response = alva.form("/lang", {"lang": "en", "next": "/"})
    assert response.status_code == 303 and response.headers["location"] == "/"
    db.expire_all()
    assert demo_person(db, "alva").locale == "en"
    alva.client.cookies.delete("lang")  # as on her other devices
    assert '<html lang="en"' in alva.get("/", headers=SWEDISH).text
    alva.form("/lang", {"lang": "sv", "next": "/"})
    db.expire_all()
    assert demo_person(db, "alva").locale == "sv"


def test_the_language_switch_stores_nothing_without_a_session(
    db: Session, visitor: Callable[[], Visitor]
) -> None:
    before = {p.id: p.locale for p in db.exec(select(Person)).all()}
    response = visitor().form("/lang", {"lang": "en", "next": "/login"})
    assert response.status_code == 303
    db.expire_all()
    assert {p.id: p.locale for p in db.exec(select(Person)).all()} == before


@pytest.mark.parametrize(
    ("header", "lang", "name"),
    [(SWEDISH, "sv", "IUP – min utvecklingsplan"), (ENGLISH, "en", "IUP – my development plan")],
)
def test_the_manifest_follows_the_language(
    visitor: Callable[[], Visitor], header: dict[str, str], lang: str, name: str
) -> None:
    response = visitor().get("/manifest.webmanifest", headers=header)
    manifest = response.json()
    assert manifest["lang"] == lang and manifest["name"] == name and manifest["dir"] == "ltr"
    assert "Accept-Language" in response.headers["vary"] and "Cookie" in response.headers["vary"]


def test_the_manifest_offline_page_and_worker_follow_a_stored_language(
    db: Session, signed_in: Callable[[str], Visitor], visitor: Callable[[], Visitor]
) -> None:
    store_locale(db, "alva", "en")
    alva = signed_in("alva")
    alva.client.cookies.delete("lang")
    manifest = alva.get("/manifest.webmanifest", headers=SWEDISH).json()
    assert manifest["lang"] == "en" and manifest["name"] == "IUP – my development plan"
    offline = alva.get("/offline", headers=SWEDISH)
    assert '<html lang="en"' in offline.text and "<h1>You are offline</h1>" in offline.text
    assert "Cookie" in offline.headers["vary"]
    assert alva.get("/sw.js", headers=SWEDISH).text.rstrip().endswith("// offline page: en")


@pytest.mark.parametrize(
    ("header", "lang", "heading"),
    [
        (SWEDISH, "sv", "Du har inget internet just nu"),
        (ENGLISH, "en", "You are offline"),
        (GERMAN, "en", "You are offline"),
        ({}, "sv", "Du har inget internet just nu"),
    ],
)
def test_the_offline_page_and_the_worker_follow_the_language(
    visitor: Callable[[], Visitor], header: dict[str, str], lang: str, heading: str
) -> None:
    guest = visitor()
    offline = guest.get("/offline", headers=header)
    assert f'<html lang="{lang}"' in offline.text and f"<h1>{heading}</h1>" in offline.text
    assert "Accept-Language" in offline.headers["vary"]
    worker = guest.get("/sw.js", headers=header)
    assert worker.text.rstrip().endswith(f"// offline page: {lang}")
    assert "Accept-Language" in worker.headers["vary"]


def test_the_worker_changes_with_the_language_and_only_then(
    visitor: Callable[[], Visitor],
) -> None:
    """A browser reinstalls a worker whose bytes changed: that re-caches the offline page."""
    guest = visitor()
    swedish = guest.get("/sw.js", headers=SWEDISH).content
    assert guest.get("/sw.js", headers=SWEDISH).content == swedish
    assert guest.get("/sw.js", headers=ENGLISH).content != swedish


def test_language_from_accept_language(visitor: Callable[[], Visitor]) -> None:
    guest = visitor()
    english = guest.get("/login", headers=ENGLISH)
    assert '<html lang="en"' in english.text and "<h1>Sign in</h1>" in english.text
    assert english.headers["content-language"] == "en"
    swedish = guest.get("/login")
    assert '<html lang="sv"' in swedish.text and "<h1>Logga in</h1>" in swedish.text


def test_the_language_form_sets_a_cookie_that_wins(visitor: Callable[[], Visitor]) -> None:
    guest = visitor()
    response = guest.form("/lang", {"lang": "en", "next": "/login"})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert "lang=en" in response.headers["set-cookie"]
    assert guest.client.cookies.get("lang") == "en"
    page = guest.get("/login", headers={"accept-language": "sv"})
    assert '<html lang="en"' in page.text and "<h1>Sign in</h1>" in page.text


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_the_language_form_stays_on_this_site(visitor: Callable[[], Visitor], target: str) -> None:
    response = visitor().form("/lang", {"lang": "en", "next": target})
    assert response.status_code == 303 and response.headers["location"] == "/"


# Error pages ------------------------------------------------------------------------------


def test_an_error_page_keeps_the_menu_of_the_person_signed_in(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = signed_in("alva")
    maja = demo_person(db, "maja")
    unknown = alva.get("/no-such-page", headers=BROWSER)  # no route: no dependency ran
    not_hers = alva.get(f"/pupils/{maja.id}", headers=BROWSER)  # refused by the access policy
    for page in (unknown, not_hers):
        assert page.status_code == 404
        assert has_menu(page.text), page.text
        title, heading = title_and_heading(page.text)
        assert heading == "Sidan hittades inte" and title == f"{heading} – IUP"


def test_the_csrf_and_405_pages_keep_the_menu_and_their_title_matches(
    signed_in: Callable[[str], Visitor],
) -> None:
    alva = signed_in("alva")
    refused = alva.client.post("/lang", data={"lang": "en"}, follow_redirects=False)
    assert refused.status_code == 403 and has_menu(refused.text)
    title, heading = title_and_heading(refused.text)
    assert heading == "Det går inte" and title == f"{heading} – IUP"  # the form was too old
    assert "Ingen tillgång" not in refused.text
    wrong_method = alva.client.put("/login", headers=BROWSER)
    assert wrong_method.status_code == 405 and has_menu(wrong_method.text)
    title, heading = title_and_heading(wrong_method.text)
    assert heading == "Det går inte" and title == f"{heading} – IUP"


def test_an_error_page_without_a_session_has_no_menu(visitor: Callable[[], Visitor]) -> None:
    page = visitor().get("/no-such-page", headers=BROWSER)
    assert page.status_code == 404 and not has_menu(page.text)
    title, heading = title_and_heading(page.text)
    assert title == f"{heading} – IUP"


def test_an_error_page_is_in_the_stored_language(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    store_locale(db, "alva", "en")
    alva = signed_in("alva")
    alva.client.cookies.delete("lang")
    page = alva.get("/no-such-page", headers={**BROWSER, **SWEDISH})
    assert '<html lang="en"' in page.text and "We could not find that page" in page.text
    assert title_and_heading(page.text) == ("Not found – IUP", "Not found")
    api = alva.get("/api/no-such-thing", headers=SWEDISH)
    assert api.json()["message"].startswith("We could not find that page")


def test_a_failing_viewer_lookup_still_shows_the_error_page(
    signed_in: Callable[[str], Visitor], monkeypatch: pytest.MonkeyPatch
) -> None:
    alva = signed_in("alva")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(sessions, "viewer_for", broken)
    page = alva.get("/no-such-page", headers=BROWSER)
    assert page.status_code == 404 and "Sidan hittades inte" in page.text
    assert not has_menu(page.text)


def test_an_ended_session_on_an_error_page_shows_no_menu(
    signed_in: Callable[[str], Visitor],
) -> None:
    alva = signed_in("alva")
    alva.client.cookies.set(sessions.SESSION_COOKIE, "no-such-session")
    page = alva.get("/no-such-page", headers=BROWSER)
    assert page.status_code == 404 and not has_menu(page.text)


# GET /logout -----------------------------------------------------------------------------


def test_get_logout_offers_the_sign_out_button(signed_in: Callable[[str], Visitor]) -> None:
    alva = signed_in("alva")
    page = alva.get("/logout")
    assert page.status_code == 200
    assert title_and_heading(page.text) == ("Vill du logga ut? – IUP", "Vill du logga ut?")
    assert "Alva Nilsson" in page.text
    main = page.text.split('<main id="main"', 1)[1]
    form = re.search(r'<form method="post" action="/logout">(.*?)</form>', main, re.DOTALL)
    assert form and 'name="_csrf_token"' in form.group(1) and "Logga ut" in form.group(1)
    assert alva.get("/").status_code == 200, "showing the page signed nobody out"
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.group(1))
    assert token
    out = alva.client.post("/logout", data={"_csrf_token": token.group(1)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login?signed_out=1"
    assert alva.get("/").status_code == 303


def test_get_logout_without_a_session_links_to_sign_in(visitor: Callable[[], Visitor]) -> None:
    page = visitor().get("/logout", headers=ENGLISH)
    assert page.status_code == 200
    assert title_and_heading(page.text) == ("You are not signed in – IUP", "You are not signed in")
    assert 'href="/login"' in page.text and 'action="/logout"' not in page.text
