"""Every page the app has, as each kind of person meets it, in Swedish on a phone with touch
and in English on a desktop: axe finds nothing, nothing scrolls sideways, and each page is
in the language asked for (its <html lang> and its own heading). And the crawl: every kind
of page a pupil, a guardian, a teacher, a mentor or a principal reaches from the menus and
lists (a written plan with agreements to sign included), in Swedish and in Arabic (right to
left), on a 360 px phone with touch and a 1,280 px desktop; the run prints its figures."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import expect

from backend import i18n

pytestmark = pytest.mark.e2e

WAYS = {
    "sv": {
        "options": {
            "locale": "sv-SE",
            "viewport": {"width": 360, "height": 740},
            "is_mobile": True,
            "has_touch": True,
        },
        "teacher": "Sara Ek",
        "words": {
            "sign_in": "Logga in",
            "plans": "Planer du kan läsa",
            "passkeys": "Dina passkeys",
            "remove": "Ta bort",
            "remove_heading": "Ta bort din sista passkey?",
            "keep": "Nej, behåll den",
            "sign_out_heading": "Vill du logga ut?",
            "not_found": "Sidan hittades inte",
            "offline": "Du har inget internet just nu",
            "my_goals": "Mina mål",
            "open": "Hur går det?",
            "save": "Spara hur det går",
            "level": "Nästan",
            "child": "Mål för Maja Andersson",
        },
    },
    "en": {
        "options": {"locale": "en-GB", "viewport": {"width": 1280, "height": 800}},
        "teacher": "Ali Hassan",
        "words": {
            "sign_in": "Sign in",
            "plans": "Plans you can read",
            "passkeys": "Your passkeys",
            "remove": "Remove",
            "remove_heading": "Remove your last passkey?",
            "keep": "No, keep it",
            "sign_out_heading": "Do you want to sign out?",
            "not_found": "Not found",
            "offline": "You are offline",
            "my_goals": "My goals",
            "open": "How is it going?",
            "save": "Save my rating",
            "level": "Almost there",
            "child": "Goals of Maja Andersson",
        },
    },
}


@pytest.mark.parametrize("lang", list(WAYS))
def test_every_page_in_each_language(
    lang, live_server, new_context, add_authenticator, enrol, axe_check, watch
) -> None:
    way = WAYS[lang]
    words = way["words"]
    watch.allow_console(r"/no-such-page: Failed to load resource: .* 404")
    watch.allow_console(r"status of 422")
    width = way["options"]["viewport"]["width"]

    def check(page, heading: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width, page.url
        axe_check(page)

    # A teacher: sign-in, sign-up, her groups, a pupil's plan, passkeys, sign-out, errors.
    page = new_context(**way["options"]).new_page()
    add_authenticator(page)
    page.goto("/login")
    check(page, words["sign_in"])
    page.goto(live_server.enrolment_url(way["teacher"]))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    axe_check(page)  # the sign-up page
    page.locator('[data-passkey="register"]').click()
    page.wait_for_url(re.compile(r"/\?welcome=1$"))
    check(page, words["plans"])
    expect(page.get_by_role("heading", level=2, name="4A")).to_be_visible()
    page.get_by_role("link", name="Maja Andersson").click()
    check(page, words["child"])
    page.goto("/account")
    check(page, words["passkeys"])
    page.locator(".passkey-list").get_by_role("button", name=words["remove"]).click()
    check(page, words["remove_heading"])
    page.get_by_role("link", name=words["keep"]).click()
    page.wait_for_url(re.compile(r"/account$"))
    page.goto("/logout")
    check(page, words["sign_out_heading"])
    page.goto("/no-such-page")
    check(page, words["not_found"])
    page.goto("/offline")
    check(page, words["offline"])

    # A pupil: her home, one goal opened, a refused save, a save, her progress.
    page = new_context(**way["options"]).new_page()
    add_authenticator(page)
    enrol(page, live_server.enrolment_url("Maja Andersson"))
    check(page, words["my_goals"])
    card = page.locator("article.goal").first
    card = page.locator(f"#{card.get_attribute('id')}")
    card.get_by_role("link", name=words["open"]).click()
    expect(card.get_by_role("radio")).to_have_count(4)
    check(page, words["my_goals"])
    card.get_by_role("button", name=words["save"]).click()
    expect(card.locator(".error-summary")).to_be_focused()
    check(page, words["my_goals"])
    card.get_by_role("radio", name=words["level"]).check()
    card.get_by_role("button", name=words["save"]).click()
    expect(card.locator(".notice--success")).to_be_focused()
    card.locator("details.progress summary").click()
    expect(card.locator("table.ratings tbody tr").first).to_contain_text(words["level"])
    page.locator("details.read-log summary").click()
    check(page, words["my_goals"])


# ---- Every page each role reaches, in Swedish and in Arabic -------------------------------

POT = Path(__file__).resolve().parents[2] / "i18n" / "messages.pot"
ARABIC_LETTER = re.compile("[\u0600-\u06ff]")
LEAVE_OUT = re.compile(r"\.(json|ics|csv|pdf|webmanifest)$|^/static/|^/sw\.js$|^/logout$")
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
LOCALES = {"sv": "sv-SE", "ar": "ar"}
# Who crawls, per role and language. Layla has chosen Arabic (her stored choice wins over
# the browser), so Swedish is read by Maja's guardian Kerstin Andersson, this file's own (the
# other files count the demo guardians' passkeys).
CRAWLERS = {
    "pupil": {"sv": "Omar Haddad", "ar": "Omar Haddad"},  # Omar in 8B
    "guardian": {"sv": "Kerstin Andersson", "ar": "Layla Haddad"},
    "teacher": {"sv": "Ali Hassan", "ar": "Ali Hassan"},  # Engelska in 4A, 8B, 5C
    "mentor": {"sv": "Johan Berg", "ar": "Johan Berg"},  # 8B: Omar's mentor
    "principal": {"sv": "Birgitta Holm", "ar": "Birgitta Holm"},
}
# Elements (not hidden, not in a scrolling box of their own) that stick out of the window on
# either side: in a right-to-left page, what overflows to the right is cut off for good, as
# scrollWidth does not count it.
OUTSIDE = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = (e) => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (/(auto|scroll|hidden|clip)/.test(getComputedStyle(a).overflowX)) return true;
    }
    return false;
  };
  return [...document.body.querySelectorAll('*')].filter((e) => {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height || e.closest('.visually-hidden, .skip-link')) return false;
    if (getComputedStyle(e).visibility === 'hidden') return false;
    return (r.left < -1 || r.right > width + 1) && !clipped(e);
  }).map((e) => {
    const r = e.getBoundingClientRect();
    const text = e.textContent.trim().slice(0, 40);
    return `<${e.tagName.toLowerCase()}> ${text} ${r.left}..${r.right}`;
  });
}"""
# Every piece of text the page shows or names for a screen reader, but not what people
# wrote (goals, notes, answers: dir="auto" or <bdi>) nor the language switch.
TEXTS = r"""() => {
  const own = (e) => e.closest('[dir="auto"], bdi, .lang-switch, script, style, textarea');
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.textContent.replace(/\s+/g, ' ').trim();
    if (t && !own(n.parentElement)) out.push(t);
  }
  for (const e of document.querySelectorAll('[aria-label], [placeholder], [title], img[alt]')) {
    for (const a of ['aria-label', 'placeholder', 'title', 'alt']) {
      const t = (e.getAttribute(a) || '').trim();
      if (t && !own(e)) out.push(t);
    }
  }
  out.push(document.title);
  return out;
}"""


@cache
def foreign_words(lang: str) -> frozenset[str]:
    """Whole messages in the other languages (the English source, the Swedish) that this
    language says differently: on one of its pages they are text left untranslated."""
    with POT.open("rb") as f:
        messages = [m.id for m in read_po(f) if m.id and isinstance(m.id, str)]
    own = i18n.translations(lang)
    other = i18n.translations("sv" if lang != "sv" else "en")
    found: set[str] = set()
    for message in messages:
        mine = own.gettext(message)
        for text in (message, other.gettext(message)):
            if text != mine and "%" not in text and len(text) > 3 and text != text.upper():
                found.add(" ".join(text.split()))
    return frozenset(found)


def kind(path: str) -> str:
    """A page's kind: its path with every id in it the same (one plan of 30 is enough)."""
    return re.sub(r"\d+", "{id}", path)


# Both languages on the phone (a family's screen), the right-to-left one on the desktop
# too; every page is also checked at 320 px and at 800 px. (Swedish at 1,280 px as well
# cost a minute and a half of make test for the same pages, laid out unmirrored.)
@pytest.mark.parametrize(("lang", "width"), [("sv", 360), ("ar", 360), ("ar", 1280)])
@pytest.mark.parametrize("role", list(CRAWLERS))
def test_every_page_each_role_reaches(
    role,
    lang,
    width,
    live_server,
    new_context,
    add_authenticator,
    axe_check,
    watch,
    crawled,
    api_person,
    publish_written_plan,
) -> None:
    """Every kind of page a pupil, a guardian, a teacher, a mentor or a principal reaches
    from the menus and lists, for a browser asking for Swedish or Arabic, on a 360 px phone
    with touch (and at 320 px, WCAG's reflow) and a 1,280 px desktop (and at 800 px):
    <html lang> (and dir="rtl" in Arabic), one heading, axe finds nothing, nothing scrolls
    sideways or sticks out of the window, and no text in another language but what people
    wrote."""
    name = CRAWLERS[role][lang]
    if name == "Kerstin Andersson":
        live_server.add_guardian(name, child="Maja Andersson")
    tr = i18n.translations(lang)
    options = {"locale": LOCALES[lang], **(PHONE if width == 360 else DESKTOP)}
    watch.allow_console(r"/no-such-page: Failed to load resource: .* 404")
    watch.allow_console(r"status of 422")
    watch.allow_console(r"Failed to load resource: .* 40[34]")  # a link the crawl may follow
    # Omar's written plan with two agreements, so that the family's pages ask them to sign.
    # The first crawl publishes it; the later ones find it so.
    publish_written_plan(
        api_person("Johan Berg"),
        live_server.person_id("Omar Haddad"),
        [("Omar läser varje kväll.", "pupil"), ("Skolan ger stöd.", "school")],
        measures="Extra stöd i matematik.",
    )
    foreign = foreign_words(lang)
    checked: list[str] = []
    problems: list[str] = []  # all of them at the end: one run lists every page to mend

    def say(message: str, **variables: str) -> str:
        """A source string in this language; a name in it isolated (FSI … PDI) as the app
        does in a right-to-left sentence."""
        text = tr.gettext(message)
        if lang == "ar":
            variables = {k: f"\u2068{v}\u2069" for k, v in variables.items()}
        return text % variables if variables else text

    def check(page, heading: str | None = None) -> None:
        html = page.locator("html")
        expect(html).to_have_attribute("lang", lang)
        expect(html).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
        h1 = page.get_by_role("heading", level=1)
        expect(h1).to_have_count(1)
        if heading is not None:
            expect(h1).to_have_text(heading)
        # A heading that is a name (<bdi>) alone is in no language.
        text = h1.evaluate(
            "(h) => { const c = h.cloneNode(true); c.querySelectorAll('bdi, [dir=auto]')"
            ".forEach((e) => e.remove()); return c.textContent.trim(); }"
        )
        if lang == "ar" and text and not ARABIC_LETTER.search(text):
            problems.append(f"{page.url}: its heading is not in Arabic: {text!r}")
        for left in sorted({t for t in page.evaluate(TEXTS) if t in foreign}):
            problems.append(f"{page.url}: not in the page's language: {left!r}")
        # 320: WCAG's reflow; 800: a tablet, or a desktop window beside another
        for narrow in [width, 320] if width == 360 else [width, 800]:
            page.set_viewport_size({"width": narrow, "height": options["viewport"]["height"]})
            wide = page.evaluate("document.scrollingElement.scrollWidth")
            if wide > narrow:
                problems.append(f"{page.url}: {wide} px wide at {narrow} px, scrolls sideways")
            for outside in page.evaluate(OUTSIDE):
                problems.append(f"{page.url}: at {narrow} px, outside the page: {outside}")
        page.set_viewport_size(options["viewport"])
        axe_check(page)
        checked.append(page.url)
        crawled.add((role, lang, width, kind(page.url.split("?", 1)[0])))

    def crawl(page) -> set[str]:
        """Visit every kind of page reachable by links from the home page, once each."""
        kinds = {kind(page.url.split("?", 1)[0])}
        queue = [page.url]
        while queue:
            url = queue.pop(0)
            if url != page.url:
                page.goto(url)
            check(page)
            hrefs = page.eval_on_selector_all(
                "a[href]:not([download])", "links => links.map((a) => a.href)"
            )
            for link in hrefs:
                href = link.split("#", 1)[0].split("?", 1)[0]
                if not href.startswith(live_server.url + "/"):
                    continue
                path = href[len(live_server.url) :]
                if LEAVE_OUT.search(path) or kind(href) in kinds:
                    continue
                kinds.add(kind(href))
                queue.append(href)
        return kinds

    page = new_context(**options).new_page()
    add_authenticator(page)
    page.goto("/login")
    # The language check can fail: a word of the other language put into the page is found.
    left = next(iter(sorted(foreign)))
    page.evaluate("(t) => document.querySelector('main').append(t)", left)
    assert left in page.evaluate(TEXTS)
    page.reload()
    check(page, say("Sign in"))
    page.goto(live_server.enrolment_url(name))
    check(page)  # the sign-up page
    page.locator('[data-passkey="register"]').click()
    page.wait_for_url(re.compile(r"/(pupils/\d+)?\?welcome=1$"))
    if role == "pupil":
        check(page, say("My goals"))
        # One goal opened, a refused save, a save.
        card = page.locator("article.goal").last  # the first: the pupil journey's
        card = page.locator(f"#{card.get_attribute('id')}")
        # The goal is the teacher's Swedish: it keeps its own direction in the Arabic page.
        expect(card.locator(".goal__text")).to_have_attribute("dir", "auto")
        card.get_by_role("link", name=say("How is it going?")).click()
        expect(card.get_by_role("radio")).to_have_count(4)
        check(page, say("My goals"))
        card.get_by_role("button", name=say("Save my rating")).click()
        expect(card.locator(".error-summary")).to_be_focused()
        check(page, say("My goals"))
        card.get_by_role("radio", name=say("Almost there")).check()
        card.get_by_role("button", name=say("Save my rating")).click()
        expect(card.locator(".notice--success")).to_be_focused()
        card.locator("details.progress summary").click()
        expect(card.locator("table.ratings tbody tr").first).to_contain_text(say("Almost there"))
        check(page, say("My goals"))  # with the chart (mirrored in Arabic)
    elif role == "guardian":
        child = "Omar Haddad" if lang == "ar" else "Maja Andersson"
        check(page, say("Goals of %(name)s", name=child))
    else:
        check(page)
    if role in ("pupil", "guardian"):
        sign_all = tr.ngettext("Sign all %(num)d agreement", "Sign all %(num)d agreements", 2)
        sign = page.locator("#agreements").get_by_role("button", name=sign_all % {"num": 2})
        if sign.count():  # the first time: sign both agreements (then they are signed)
            expect(page.locator(".agreement__text").first).to_have_attribute("dir", "auto")
            sign.click()
            page.wait_for_url(re.compile(r"[?&]signed=\d+"))
            expect(page.locator(".todo__sign")).to_have_count(0)
            check(page)
    kinds = crawl(page)
    page.goto("/account")
    check(page, say("Your passkeys"))
    page.goto("/logout")
    check(page, say("Do you want to sign out?"))
    page.goto("/no-such-page")
    check(page, say("Not found"))
    page.goto("/offline")
    check(page, say("You are offline"))

    assert not problems, "\n".join(problems)
    assert len(kinds) >= 3, f"the crawl found too little: {sorted(kinds)}"
