"""The accessibility statement (tillgänglighetsredogörelse): public, in the reader's
language, linked from every page's footer, with where to report a problem."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
from litestar.testing import TestClient

from backend.app import create_app
from backend.settings import Settings
from tests.integration.conftest import Visitor


def test_it_is_public_and_every_page_links_to_it(
    settings: Settings, signed_in: Callable[[str], Visitor]
) -> None:
    with TestClient(create_app(settings)) as guest:
        page = guest.get("/accessibility", headers={"accept-language": "sv"})
        assert page.status_code == 200
        assert "<h1>Tillgänglighetsredogörelse</h1>" in page.text
        assert "Kontakta skolans expedition." in page.text  # no contact configured
        assert "Anmäl till DIGG: <bdi>www.digg.se/tdosanmalan</bdi>" in page.text
        assert 'href="http' not in page.text and 'src="http' not in page.text  # only our host
        login = guest.get("/login", headers={"accept-language": "sv"}).text
        assert '<footer class="site-footer">' in login
        assert '<a href="/accessibility">Tillgänglighet</a>' in login
    anna = signed_in("guardian-anna")
    home = anna.get(anna.get("/").headers["location"]).text
    assert '<a href="/accessibility">Tillgänglighet</a>' in home


def test_it_names_the_contact_and_speaks_the_readers_language(settings: Settings) -> None:
    ours = msgspec.structs.replace(settings, accessibility_contact="iup@kommun.example")
    with TestClient(create_app(ours)) as guest:
        english = guest.get("/accessibility", headers={"accept-language": "en"}).text
        assert '<a href="mailto:iup@kommun.example"><bdi>iup@kommun.example</bdi></a>' in english
        assert "Tell us about a problem" in english
        arabic = guest.get("/accessibility", headers={"accept-language": "ar"}).text
        assert '<html lang="ar" dir="rtl">' in arabic
        assert "Tell us about a problem" not in arabic
