"""What every page shares: security and cache headers, hashed static files, health, the PWA
files, the OpenAPI schema, errors in the user's language, sign-in messages, passkey
management, sign-out and expired sessions — all over HTTP (which language a request gets:
test_errors_and_languages.py)."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from litestar.testing import TestClient
from sqlmodel import Session, select

from backend.app import create_app
from backend.auth.service import issue_enrolment_code
from backend.models import Goal, LoginSession, PasskeyCredential, Plan, utcnow
from backend.settings import Settings
from tests.integration.conftest import ORIGIN, Visitor, demo_person
from tests.softauthn import SoftAuthenticator

IMMUTABLE = "public, max-age=31536000, immutable"
BROWSER = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
ENGLISH = {"accept-language": "en-GB,en;q=0.9"}
# Swedish texts, straight from i18n/sv/LC_MESSAGES/messages.po.
SV_UNKNOWN_PASSKEY = "Vi känner inte igen den passkeyn"
SV_CODE_USED = "Startlänken har redan använts"
SV_CODE_UNKNOWN = "Startlänken fungerar inte. Kolla"


def goal_of(db: Session, key: str) -> int:
    pupil = demo_person(db, key)
    goal = db.exec(select(Goal).join(Plan).where(Plan.pupil_id == pupil.id)).first()
    assert goal is not None and goal.id is not None
    return goal.id


def passkeys_of(db: Session, key: str) -> list[PasskeyCredential]:
    db.expire_all()
    person = demo_person(db, key)
    return list(db.exec(select(PasskeyCredential).where(PasskeyCredential.person_id == person.id)))


def asset_urls(html: str) -> list[str]:
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert styles and scripts, "the page links its stylesheet and scripts"
    return styles + scripts


def assert_security_headers(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url.path} → {response.status_code}"
    csp = response.headers.get("content-security-policy")
    assert csp, f"no Content-Security-Policy on {where}"
    directives = {
        name: values for name, *values in (part.split() for part in csp.split(";") if part.strip())
    }
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src, where
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, where
    assert directives.get("frame-ancestors") == ["'none'"], where
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert response.headers.get("referrer-policy"), where


# Security and caching --------------------------------------------------------------------


def test_security_headers_on_pages_json_static_files_and_handled_errors(
    visitor: Callable[[], Visitor],
) -> None:
    guest = visitor()
    page = guest.get("/login")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    health = guest.get("/healthz")
    assert health.status_code == 200 and health.headers["content-type"] == "application/json"
    static = guest.get(asset_urls(page.text)[0])
    assert static.status_code == 200
    missing_file = guest.get("/static/css/app.000000000000.css")  # 404 raised by a handler
    assert missing_file.status_code == 404
    for response in (page, health, missing_file):
        assert_security_headers(response)
    # A script or stylesheet needs no page policy (CSP governs documents and workers).
    assert static.headers["x-content-type-options"] == "nosniff"
    worker = guest.get("/sw.js")
    assert worker.headers["content-security-policy"]
    assert worker.headers["x-content-type-options"] == "nosniff"


def test_security_headers_on_the_404_page_of_an_unknown_route(
    visitor: Callable[[], Visitor],
) -> None:
    response = visitor().get("/no-such-page", headers=BROWSER)
    assert response.status_code == 404
    assert_security_headers(response)


def test_personal_pages_are_never_cached(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    alva = signed_in("alva")
    goal = goal_of(db, "alva")
    partial = alva.post(
        f"/goals/{goal}/self-assessments",
        data={"level": "2", "comment": ""},
        headers={"hx-request": "true"},
    )
    assert partial.status_code == 200 and "<html" not in partial.text, "an htmx partial"
    for response in (alva.get("/"), alva.get("/account"), alva.get("/api/plan"), partial):
        assert response.status_code == 200, response.request.url
        assert response.headers["cache-control"] == "no-store", response.request.url


def test_hashed_static_files_are_immutable_and_gzipped(visitor: Callable[[], Visitor]) -> None:
    guest = visitor()
    urls = asset_urls(guest.get("/login").text)
    for url in urls:
        assert url.startswith("/static/"), url
        plain = guest.get(url, headers={"accept-encoding": "identity"})
        assert plain.status_code == 200, url
        assert plain.headers["cache-control"] == IMMUTABLE, url
        assert "content-encoding" not in plain.headers, url
        # The tag in the name is the content's hash: new content, new URL.
        tag = url.rsplit(".", 2)[-2]
        assert tag == hashlib.sha256(plain.content).hexdigest()[:12], url
        with guest.client.stream("GET", url, headers={"accept-encoding": "gzip"}) as zipped:
            assert zipped.status_code == 200
            assert zipped.headers["content-encoding"] == "gzip", url
            assert zipped.headers["cache-control"] == IMMUTABLE, url
            raw = b"".join(zipped.iter_raw())
        assert len(raw) < len(plain.content), url
        assert gzip.decompress(raw) == plain.content, url
    assert guest.get("/static/css/app.css").status_code == 404, "only hashed names are served"
    assert guest.get("/static/nothing.0123456789ab.js").status_code == 404


def test_the_same_files_get_the_same_urls_in_another_process(settings: Settings) -> None:
    with (
        TestClient(create_app(settings)) as first,
        TestClient(create_app(settings)) as second,
    ):
        one = asset_urls(first.get("/login").text)
        two = asset_urls(second.get("/login").text)
        assert one == two
        assert all(second.get(url).status_code == 200 for url in one)


# Health, PWA files, OpenAPI --------------------------------------------------------------


def test_healthz(visitor: Callable[[], Visitor]) -> None:
    response = visitor().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_manifest(visitor: Callable[[], Visitor]) -> None:
    guest = visitor()
    response = guest.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"] and manifest["short_name"]
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", manifest["theme_color"])
    icons = manifest["icons"]
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in icons}
    assert any(icon.get("purpose") == "maskable" for icon in icons)
    for icon in icons:
        image = guest.get(icon["src"])
        assert image.status_code == 200, icon
        assert image.headers["content-type"] == "image/png", icon
        assert image.content.startswith(b"\x89PNG\r\n\x1a\n"), icon


def test_service_worker_and_its_shell(visitor: Callable[[], Visitor]) -> None:
    guest = visitor()
    response = guest.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    code = response.text  # minified: one line of code, no comments
    assert "__VERSION__" not in code and "__SHELL__" not in code
    assert "self.onfetch" in code, "the worker's code is there"
    assert "/*" not in code and "\n//" not in code.rstrip().rsplit("\n", 1)[0]
    shell = json.loads(re.search(r"const SHELL=(\[[^\]]*\]);", code)[1])  # type: ignore[index]
    assert "/offline" in shell
    others = [url for url in shell if url != "/offline"]
    assert others and all(url.startswith("/static/") for url in others), shell
    anonymous = visitor()  # no session, not even a CSRF cookie
    for url in shell:
        answer = anonymous.get(url)
        assert answer.status_code == 200, url
    offline = anonymous.get("/offline")
    assert offline.status_code == 200 and "location" not in offline.headers
    assert offline.headers["content-type"].startswith("text/html")


def test_openapi_lists_the_api_and_no_pages(visitor: Callable[[], Visitor]) -> None:
    response = visitor().get("/schema/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.1")
    paths = set(schema["paths"])
    assert {
        "/healthz",
        "/auth/login/options",
        "/auth/login/verify",
        "/api/plan",
        "/api/goals/{goal_id}/self-assessments",
    } <= paths
    assert not paths & {"/", "/login", "/account", "/logout", "/lang", "/offline"}


# Errors --------------------------------------------------------------------------------


def test_the_csrf_failure_page_is_in_the_users_language(visitor: Callable[[], Visitor]) -> None:
    guest = visitor()
    guest.token  # has a CSRF cookie, but sends no token
    response = guest.client.post(
        "/lang", data={"lang": "sv", "next": "/"}, headers=ENGLISH, follow_redirects=False
    )
    assert response.status_code == 403
    assert "The form was too old to send" in response.text
    assert '<html lang="en"' in response.text
    assert_security_headers(response)


def test_the_csrf_failure_page_explains_itself(visitor: Callable[[], Visitor]) -> None:
    response = visitor().client.post("/lang", data={"lang": "en"}, follow_redirects=False)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "Formuläret var för gammalt för att skickas" in response.text
    assert "lang" not in response.cookies, "the refused form changed nothing"


def test_unknown_routes_get_a_page_or_json(visitor: Callable[[], Visitor]) -> None:
    guest = visitor()
    page = guest.get("/no-such-page", headers=BROWSER)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Sidan hittades inte" in page.text and "Vi hittade inte sidan" in page.text
    api = guest.get("/api/no-such-thing")  # an API client: JSON, or anything
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/json")
    assert api.json()["reason"] == "not_found"
    assert api.json()["message"].startswith("Vi hittade inte sidan")


def test_the_404_page_is_in_the_users_language(visitor: Callable[[], Visitor]) -> None:
    guest = visitor()
    page = guest.get("/no-such-page", headers={**BROWSER, **ENGLISH})
    assert page.status_code == 404
    assert '<html lang="en"' in page.text and "We could not find that page" in page.text
    api = guest.get("/api/no-such-thing", headers={**ENGLISH, "accept": "application/json"})
    assert api.json()["message"].startswith("We could not find that page")


# Sign-in and enrolment messages ----------------------------------------------------------


def test_an_unknown_passkey_is_refused_in_swedish(visitor: Callable[[], Visitor]) -> None:
    guest = visitor()
    options = guest.post("/auth/login/options", json={})
    assert options.status_code == 201
    stranger = SoftAuthenticator(origin=ORIGIN)  # never registered anywhere
    response = guest.post("/auth/login/verify", json=stranger.login(options.json()))
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["message"].startswith(SV_UNKNOWN_PASSKEY)
    assert "iup_session" not in response.cookies


def test_used_and_unknown_enrolment_links(db: Session, visitor: Callable[[], Visitor]) -> None:
    alva = demo_person(db, "alva")
    assert alva.id is not None
    code = issue_enrolment_code(db, person_id=alva.id, hours=1)
    guest = visitor()
    assert guest.get(f"/enrol/{code}").status_code == 200
    assert guest.enrol(code).status_code == 201

    used = visitor().get(f"/enrol/{code}")
    assert used.status_code == 410
    assert SV_CODE_USED in used.text
    unknown = visitor().get("/enrol/not-a-code-we-ever-issued")
    assert unknown.status_code == 410
    assert unknown.headers["content-type"].startswith("text/html")
    assert SV_CODE_UNKNOWN in unknown.text


# One's passkeys ------------------------------------------------------------------------


def test_rename_a_passkey(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    alva = signed_in("alva")
    [passkey] = passkeys_of(db, "alva")
    account = alva.get("/account")
    assert account.status_code == 200
    assert account.text.count('<h2 id="passkey-') == 1
    assert f'id="passkey-{passkey.id}"' in account.text

    renamed = alva.form(f"/account/passkeys/{passkey.id}/rename", {"nickname": "Min mobil"})
    assert renamed.status_code == 303 and renamed.headers["location"] == "/account?saved=1"
    assert "Min mobil" in alva.get("/account").text
    assert [p.nickname for p in passkeys_of(db, "alva")] == ["Min mobil"]


def test_removing_the_only_passkey_asks_first_and_then_signs_out(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = signed_in("alva")
    [passkey] = passkeys_of(db, "alva")
    url = f"/account/passkeys/{passkey.id}/remove"

    asked = alva.form(url, {})
    assert asked.status_code == 200
    assert 'name="confirm" value="yes"' in asked.text
    assert len(passkeys_of(db, "alva")) == 1, "nothing removed before the confirmation"
    assert alva.get("/").status_code == 200

    removed = alva.form(url, {"confirm": "yes"})
    assert removed.status_code == 303 and removed.headers["location"] == "/login?removed=1"
    assert passkeys_of(db, "alva") == []
    home = alva.get("/")
    assert home.status_code == 303 and home.headers["location"].startswith("/login")


def test_another_persons_passkey_is_not_found(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    signed_in("elias")
    alva = signed_in("alva")
    [theirs] = passkeys_of(db, "elias")
    rename = alva.form(f"/account/passkeys/{theirs.id}/rename", {"nickname": "Hacked"})
    assert rename.status_code == 404
    remove = alva.form(f"/account/passkeys/{theirs.id}/remove", {"confirm": "yes"})
    assert remove.status_code == 404
    [still] = passkeys_of(db, "elias")
    assert still.nickname == theirs.nickname


# Sessions --------------------------------------------------------------------------------


def replay(visitor: Visitor, token: str) -> httpx.Response:
    visitor.client.cookies.set(
        "iup_session", token, domain=urlsplit(str(visitor.client.base_url)).hostname or ""
    )
    return visitor.get("/")


def test_sign_out_ends_the_session_on_the_server(
    signed_in: Callable[[str], Visitor], visitor: Callable[[], Visitor]
) -> None:
    alva = signed_in("alva")
    token = alva.client.cookies.get("iup_session")
    assert token
    assert replay(visitor(), token).status_code == 200, "the copied cookie works before sign-out"

    out = alva.form("/logout", {})
    assert out.status_code == 303
    assert "cache" in out.headers["clear-site-data"] and "storage" in out.headers["clear-site-data"]
    replayed = replay(alva, token)
    assert replayed.status_code == 303
    assert replayed.headers["location"].startswith("/login")
    assert replay(visitor(), token).status_code == 303


def test_an_expired_session_sends_pages_to_sign_in(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = signed_in("alva")
    goal = goal_of(db, "alva")
    assert alva.get("/").status_code == 200
    for login in db.exec(select(LoginSession)).all():
        login.expires_at = utcnow() - timedelta(minutes=1)
        db.add(login)
    db.commit()

    page = alva.get("/")
    assert page.status_code == 303 and page.headers["location"] == "/login?expired=1&next=/"
    htmx = alva.get(
        f"/goals/{goal}",
        headers={"hx-request": "true", "hx-current-url": f"{ORIGIN}/account?saved=1"},
    )
    assert htmx.status_code == 401
    assert htmx.headers["hx-redirect"] == "/login?expired=1&next=/account"
    # A save is held instead (tests/integration/test_sessions.py).
    held = alva.post(
        f"/goals/{goal}/self-assessments",
        data={"level": "3", "comment": ""},
        headers={"hx-request": "true", "hx-current-url": f"{ORIGIN}/account?saved=1"},
    )
    assert held.status_code == 401 and held.headers["x-iup-held"] == "1"
