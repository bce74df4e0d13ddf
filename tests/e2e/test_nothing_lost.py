"""Nothing a pupil types is lost: not when her session has ended, not when the connection
drops, not in a browser without JavaScript; and the stylesheet is ready for right-to-left.

All tests use Maja Andersson, one goal each, so the other files' pupils keep their exact
histories; assertions look for this file's own comments, not for counts."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from contextlib import closing
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from tests.support import DESKTOP, PHONE

pytestmark = pytest.mark.e2e

PUPIL = "Maja Andersson"
HOME = re.compile(r"^http://localhost:\d+/$")
# Headless, an autofill request resolves by itself with the virtual authenticator; these
# tests press the sign-in button, as in a browser without passkey autofill.
NO_AUTOFILL = "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"
SAVED = re.compile(r"^\s*Du valde [^·]+ · sparat \d{2}:\d{2}\s*$")
RESTORED = "Vi har tagit fram det du skrev förut."


def drafts(page) -> list[str]:
    return page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('iup-draft:'))")


def wait_until_draft_gone(page, key: str) -> None:
    """The draft is deleted once htmx has settled the swapped card, a moment after it shows."""
    page.wait_for_function("(k) => localStorage.getItem(k) === null", arg=f"iup-draft:{key}")


def draft(page, key: str):
    return page.evaluate("(k) => JSON.parse(localStorage.getItem(k))", f"iup-draft:{key}")


def goal_card(page, index: int):
    """The index-th goal card, located by its id so that htmx swaps keep it found."""
    card_id = page.locator("article.goal").nth(index).get_attribute("id")
    assert card_id and re.fullmatch(r"goal-\d+", card_id), card_id
    return page.locator(f"#{card_id}"), card_id.removeprefix("goal-")


def open_card(card) -> None:
    """A goal card opens its rating form with "Hur går det?" (one card at a time)."""
    card.get_by_role("link", name="Hur går det?").click()
    expect(card.get_by_role("radio").first).to_be_visible()


def expire_session(live_server, context, column: str = "expires_at") -> None:
    """End the browser's session on the server (past its absolute end, or with
    column="idle_until" left too long), keeping its cookie."""
    cookie = next(c for c in context.cookies(live_server.url) if c["name"] == "iup_session")
    token_hash = hashlib.sha256(unquote(cookie["value"].strip('"')).encode()).digest()
    with closing(sqlite3.connect(live_server.db_path)) as db:
        changed = db.execute(
            f"UPDATE login_session SET {column} = '2000-01-01 00:00:00.000000' "
            "WHERE token_hash = ?",
            (token_hash,),
        ).rowcount
        db.commit()
    assert changed == 1, "the browser's session was not found on the server"


def test_typed_text_survives_an_expired_session(
    live_server, page, watch, add_authenticator, axe_check, enrol
) -> None:
    """The save meets the ended session (401): the page that holds it asks her to sign in,
    and the sign-in sends it; she is back on her plan with the rating saved."""
    watch.allow_console(r"status of 401 \(Unauthorized\) @ \S+/self-assessments$")
    page.add_init_script(NO_AUTOFILL)
    add_authenticator(page)
    enrol(page, live_server.enrolment_url(PUPIL))
    card, goal_id = goal_card(page, 0)
    comment = "Jag har läst två böcker på engelska i höstas."
    open_card(card)
    expect(card.get_by_role("radio").first).to_be_focused()
    card.get_by_role("radio", name="Nästan").check()
    card.get_by_role("textbox").fill(comment)
    assert draft(page, f"sa-{goal_id}") == {"level": "3", "comment": comment}

    expire_session(live_server, page.context)
    card.get_by_role("button", name="Spara hur det går").click()
    page.wait_for_url(re.compile(rf"/goals/{goal_id}/self-assessments$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in för att spara")
    expect(page.locator("main")).to_contain_text("Det du skrev finns kvar på den här sidan")
    assert f"iup-draft:sa-{goal_id}" in drafts(page), "the draft is kept until it is saved"
    axe_check(page)

    page.get_by_role("button", name="Logga in och spara").click()
    page.wait_for_url(re.compile(rf"/\?saved={goal_id}#goal-{goal_id}-saved$"))
    card = page.locator(f"#goal-{goal_id}")
    expect(card.locator(".notice--success")).to_have_text(SAVED)
    expect(card.locator(".notice--success")).to_be_focused()
    expect(card.locator(".goal__latest")).to_contain_text("Nästan")
    expect(card.locator("table.ratings tbody tr").first).to_contain_text(f"Nästan{comment}")
    wait_until_draft_gone(page, f"sa-{goal_id}")
    axe_check(page)

    page.goto("/")
    card, _ = goal_card(page, 0)
    expect(card.locator("table.ratings tbody tr").first).to_contain_text(f"Nästan{comment}")
    expect(page.locator("[data-draft-restored]:visible")).to_have_count(0)
    assert drafts(page) == []


def test_a_teachers_note_survives_the_idle_end_of_her_session(
    live_server, new_context, watch, add_authenticator, axe_check, enrol
) -> None:
    """Sara Ek writes a running note, leaves the staff room's computer for more than 30
    minutes and presses save: the note is held, and saved when she signs in again."""
    watch.allow_console(r"status of 401 \(Unauthorized\) @ \S+/notes$")
    note = "Alva förklarade bråk för sin bänkkamrat – fråga henne om det på samtalet."
    alva_id = live_server.person_id("Alva Nilsson")
    teacher = new_context(**DESKTOP).new_page()
    teacher.add_init_script(NO_AUTOFILL)
    add_authenticator(teacher)
    enrol(teacher, live_server.enrolment_url("Sara Ek"))
    teacher.goto(f"/pupils/{alva_id}/notes/new")
    box = teacher.get_by_role("textbox", name="Anteckning om Alva Nilsson")
    expect(box).to_be_focused()
    teacher.keyboard.type(note)

    expire_session(live_server, teacher.context, column="idle_until")
    # The button pressed says "share": it goes with the held form.
    teacher.get_by_role("button", name="Spara och dela med eleven och vårdnadshavarna").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Logga in för att spara")
    axe_check(teacher)
    teacher.get_by_role("button", name="Logga in och spara").click()
    # The save's own answer: Alva's notes, the new one among them.
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Anteckningar om Alva Nilsson")
    assert teacher.url.endswith(f"/pupils/{alva_id}/notes"), teacher.url
    saved = teacher.locator("article.note").filter(has_text=note)
    expect(saved).to_have_count(1)
    expect(saved).to_contain_text("Delad med eleven och vårdnadshavarna")
    axe_check(teacher)


WAITING = "Väntar på att skickas"


def ratings_with(page, goal_id: str, comment: str) -> list[dict]:
    """Her stored ratings of the goal with this comment, from the JSON API."""
    plan = page.request.get("/api/plan").json()
    goal = next(g for g in plan["goals"] if str(g["id"]) == goal_id)
    return [r for r in goal["self_assessments"] if r["comment"] == comment]


def test_a_rating_made_offline_is_sent_by_itself(
    live_server, new_context, watch, add_authenticator, axe_check, enrol, go_offline, go_online
) -> None:
    """Issue 24, item 4: on her phone with no connection she rates a goal with a comment;
    the card says it waits to be sent; the connection returns and, without a tap, the
    rating is stored once, though the first send's answer is lost on its way back (the
    retry carries the key made when she pressed save), and the card shows it."""
    watch.allow_console(r"ERR_INTERNET_DISCONNECTED")
    watch.allow_console(r"^\S+: htmx: htmx:error: Failed to fetch")
    page = new_context(**PHONE).new_page()
    add_authenticator(page)
    enrol(page, live_server.enrolment_url(PUPIL))
    card, goal_id = goal_card(page, 1)
    comment = "Jag vågar prata mer på lektionerna nu."
    card.get_by_role("link", name="Hur går det?").tap()
    card.get_by_role("radio", name="På väg").check()
    card.get_by_role("textbox").fill(comment)
    page.wait_for_function("document.getElementById('outbox').dataset.ready !== undefined")

    go_offline(page)
    with page.expect_event("requestfailed") as failed:
        card.get_by_role("button", name="Spara hur det går").tap()
    assert failed.value.method == "POST" and "/self-assessments" in failed.value.url
    expect(card.locator("[data-outbox-waiting]")).to_have_text(WAITING)
    expect(card.get_by_role("button", name="Spara hur det går")).to_be_hidden()
    kept = draft(page, "out")
    assert [(i["level"], i["comment"]) for i in kept] == [(2, comment)], kept
    axe_check(page)

    # The first send reaches the server, but its answer is lost: the retry goes by itself.
    posts: list[str] = []

    def answer_lost_once(route) -> None:
        posts.append(route.request.headers.get("idempotency-key", ""))
        if len(posts) == 1:
            route.fetch()
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.context.route("**/api/goals/*/self-assessments", answer_lost_once)
    go_online(page)  # nobody taps anything from here on
    expect(card.locator(".notice--success")).to_have_text(SAVED, timeout=15_000)
    expect(card.locator("[data-outbox-waiting]")).to_have_count(0)
    expect(card.locator(".goal__latest")).to_contain_text("På väg")
    assert len(posts) == 2 and posts[0] == posts[1] == kept[0]["key"], posts
    assert len(ratings_with(page, goal_id, comment)) == 1
    assert draft(page, "out") is None and draft(page, f"sa-{goal_id}") is None
    axe_check(page)

    page.reload()  # nothing waits any more: the rating is not sent again
    card, _ = goal_card(page, 1)
    expect(card.locator(".goal__latest")).to_contain_text("På väg")
    expect(card.locator("[data-outbox-waiting]")).to_have_count(0)
    assert len(ratings_with(page, goal_id, comment)) == 1
    assert posts == [kept[0]["key"]] * 2


def test_a_rating_kept_offline_is_sent_on_the_next_visit(
    live_server, new_context, watch, add_authenticator, axe_check, enrol, go_offline, go_online
) -> None:
    """She rates with no connection and closes the app: on her next visit, online, the
    rating goes by itself, once, and the card shows it."""
    watch.allow_console(r"ERR_INTERNET_DISCONNECTED")
    watch.allow_console(r"^\S+: htmx: htmx:error: Failed to fetch")
    page = new_context(**PHONE).new_page()
    add_authenticator(page)
    enrol(page, live_server.enrolment_url(PUPIL))
    card, goal_id = goal_card(page, 0)
    comment = "Läxorna går bättre när jag gör dem direkt."
    card.get_by_role("link", name="Hur går det?").tap()
    card.get_by_role("radio", name="Nästan").check()
    card.get_by_role("textbox").fill(comment)
    page.wait_for_function("document.getElementById('outbox').dataset.ready !== undefined")
    go_offline(page)
    card.get_by_role("button", name="Spara hur det går").tap()
    expect(card.locator("[data-outbox-waiting]")).to_have_text(WAITING)
    page.goto("about:blank")  # she leaves; the rating waits on the device
    go_online(page)
    page.goto("/")
    card = page.locator(f"#goal-{goal_id}")
    expect(card.locator(".notice--success")).to_have_text(SAVED, timeout=15_000)
    expect(card.locator(".goal__latest")).to_contain_text("Nästan")
    assert len(ratings_with(page, goal_id, comment)) == 1
    assert draft(page, "out") is None
    axe_check(page)


def test_the_form_works_without_javascript(
    live_server, new_context, watch, add_authenticator, axe_check_without_js, enrol
) -> None:
    # The refused form comes back as a 422 page; Chromium notes the status in the console.
    watch.allow_console(r"status of 422 \(Unprocessable Entity\) @ \S+/self-assessments$")
    # Passkeys need JavaScript: sign in with it, then carry the cookies to a browser
    # without it.
    with_js = new_context()
    page = with_js.new_page()
    add_authenticator(page)
    enrol(page, live_server.enrolment_url(PUPIL))
    without_js = new_context(java_script_enabled=False)
    without_js.add_cookies(with_js.cookies(live_server.url))
    page.close()
    page = without_js.new_page()
    page.set_default_timeout(10_000)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina mål")
    card, goal_id = goal_card(page, 2)
    comment = "Jag behöver öva på bråk <inte> &amp; procent."
    expect(page.get_by_role("textbox")).to_have_count(0)  # every card closed
    with page.expect_navigation():
        card.get_by_role("link", name="Hur går det?").click()
    assert page.url.endswith(f"/goals/{goal_id}#goal-{goal_id}"), page.url
    card = page.locator(f"#goal-{goal_id}")
    expect(page.get_by_role("textbox")).to_have_count(1)  # this goal's form only
    axe_check_without_js(page)

    # No level chosen: the whole page again, with an error summary and her comment kept.
    card.get_by_role("textbox").fill(comment)
    with page.expect_navigation() as sent:
        card.get_by_role("button", name="Spara hur det går").click()
    assert sent.value is not None and sent.value.status == 422
    card = page.locator(f"#goal-{goal_id}")
    summary = card.get_by_role("alert")
    expect(summary).to_contain_text("Något behöver rättas till")
    expect(summary.get_by_role("link", name="Välj hur det går.")).to_have_attribute(
        "href", f"#goal-{goal_id}-level"
    )
    expect(card.locator(f"#goal-{goal_id}-level-error")).to_have_text("Välj hur det går.")
    expect(card.get_by_role("group")).to_have_attribute(
        "aria-describedby", f"goal-{goal_id}-level-error"
    )
    expect(card.get_by_role("textbox")).to_have_value(comment)
    expect(page.locator(".error-summary")).to_have_count(1)  # only on this goal
    axe_check_without_js(page)

    # With a level: redirected to the plan, at the goal, with the notice and the history.
    card.get_by_role("radio", name="Nästan").check()
    with page.expect_navigation():
        card.get_by_role("button", name="Spara hur det går").click()
    assert re.search(rf"/\?saved={goal_id}#goal-{goal_id}-saved$", page.url), page.url
    card = page.locator(f"#goal-{goal_id}")
    expect(card.locator(".notice--success")).to_have_text(SAVED)
    box = card.locator(".notice--success").bounding_box()  # the link's #fragment scrolled to it
    assert box is not None and 0 <= box["y"] < page.viewport_size["height"], box
    expect(card.locator(".goal__latest")).to_contain_text("Nästan")
    # The ratings table is in a <details>: its text is there even while it is closed.
    assert f"Nästan{comment}" in card.locator("table.ratings tbody tr").first.text_content()
    expect(card.get_by_role("textbox")).to_have_count(0)
    expect(page.locator(".error-summary")).to_have_count(0)
    axe_check_without_js(page)


# Physical directions, where a logical property (inline-start/-end) serves both directions.
PHYSICAL = re.compile(
    r"(?<![\w-])(?:margin|padding|border)-(?:left|right)(?![\w-])"
    r"|(?<![\w-])border-(?:top|bottom)-(?:left|right)-radius(?![\w-])"
    r"|(?<![\w-])(?:left|right)\s*:"
    r"|(?<![\w-])(?:text-align|float|clear)\s*:\s*(?:left|right)(?![\w-])",
    re.IGNORECASE,
)


def test_the_stylesheet_has_no_physical_left_or_right(page, axe_check) -> None:
    page.goto("/login")
    axe_check(page)
    hrefs = page.locator('link[rel="stylesheet"]').evaluate_all(
        "(links) => links.map((l) => l.href)"
    )
    assert hrefs, "no stylesheet on the page"
    for href in hrefs:
        response = page.request.get(href)
        assert response.ok, href
        css = re.sub(r"/\*.*?\*/", "", response.text(), flags=re.DOTALL)
        assert "{" in css, f"{href} is not a stylesheet"
        found = sorted({m.group(0) for m in PHYSICAL.finditer(css)})
        assert not found, f"{href} uses physical directions: {found}"
    # The checker itself finds what it should, and leaves logical properties alone.
    assert PHYSICAL.search("a{margin-left:1rem}") and PHYSICAL.search("b{ right : 0 }")
    assert PHYSICAL.search("c{text-align: left}") and PHYSICAL.search("d{float:right}")
    assert not PHYSICAL.search(
        "e{margin-inline-start:1rem;inset-inline-end:0;text-align:start;--left-pad:1px}"
    )
