"""Big actions ask first, in a browser (issue 22, item 7), by keyboard alone: Karin Lind,
mentor of 4A, presses "The talk is held" for Elias before his booked time. The page asks,
with the time, and its question holds the focus; axe finds nothing at 360 px and 1,280 px.
"No, go back" returns with nothing changed; yes marks the talk held, and the result holds
the focus.

Elias's booking is this file's own: put in the database before, and taken away after with
the plan's state and story as the demo made them, so later files find 4A's times free and
Elias's plan preparing (no notification is sent on the way)."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from backend import i18n
from tests.support import DESKTOP, words

pytestmark = pytest.mark.e2e

PUPIL = "Elias Karlsson"
MENTOR = "Karin Lind"
GUARDIAN = "Lina Karlsson"
SCHOOL_ZONE = ZoneInfo("Europe/Stockholm")  # the settings' default school zone


def sv(msgid: str) -> str:
    """The Swedish page's words; a message the catalogue lacks yet shows as written."""
    try:
        return words("sv", msgid)
    except KeyError:
        return msgid


def in_swedish(at: datetime) -> tuple[str, str]:
    token = i18n.current.set("sv")
    try:
        return i18n.format_date(at, zone=SCHOOL_ZONE), i18n.format_time(at, zone=SCHOOL_ZONE)
    finally:
        i18n.current.reset(token)


def focused(locator: Any) -> bool:
    return bool(locator.evaluate("(el) => el === document.activeElement"))


def tab_to(page: Any, target: Any, *, limit: int = 200) -> int:
    """Press Tab until `target` has the focus; returns how many presses."""
    expect(target).to_have_count(1)
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if focused(target):
            return presses
    raise AssertionError(f"{limit} presses of Tab never reached {target}")


def axe_both(page: Any, axe_check: Any) -> None:
    """axe at 360 px and 1,280 px, back at the page's own width; nothing scrolls sideways."""
    own = page.viewport_size
    for size in ({"width": 360, "height": 740}, {"width": 1280, "height": 800}, own):
        page.set_viewport_size(size)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= size["width"], page.url
        axe_check(page)


def plan_now(db_path: Path, plan_id: int) -> tuple[Any, ...]:
    """The plan's state and version, and its story (events) as ids and states."""
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        state, version = db.execute(
            "SELECT state, version FROM plan WHERE id = ?", (plan_id,)
        ).fetchone()
        events = db.execute(
            "SELECT id, state FROM plan_event WHERE plan_id = ? ORDER BY id", (plan_id,)
        ).fetchall()
    return state, version, tuple(events)


@pytest.fixture
def booked(live_server: Any) -> Iterator[dict[str, Any]]:
    """Elias holds 4A's last time (still to come), booked by Lina; undone afterwards."""
    elias = live_server.person_id(PUPIL)
    lina = live_server.person_id(GUARDIAN)
    with contextlib.closing(sqlite3.connect(live_server.db_path)) as db:
        time_id, term_id, starts_at, closes_at = db.execute(
            "SELECT t.id, t.term_id, t.starts_at, t.closes_at FROM talk_time t"
            " JOIN pupil_group g ON g.id = t.group_id WHERE g.name = '4A'"
            " ORDER BY t.starts_at DESC LIMIT 1"
        ).fetchone()
        (plan_id,) = db.execute(
            "SELECT id FROM plan WHERE pupil_id = ? AND term_id = ?", (elias, term_id)
        ).fetchone()
        assert db.execute(
            "SELECT count(*) FROM talk_booking WHERE pupil_id = ? OR talk_time_id = ?",
            (elias, time_id),
        ).fetchone() == (0,)
        db.execute(
            "INSERT INTO talk_booking (talk_time_id, pupil_id, term_id, booked_by_id, booked_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (time_id, elias, term_id, lina, closes_at),
        )
        db.commit()
    before = plan_now(live_server.db_path, plan_id)
    assert before[0] == "preparing", before
    starts = datetime.fromisoformat(starts_at).replace(tzinfo=UTC)
    assert starts > datetime.now(UTC)
    try:
        yield {"elias": elias, "plan_id": plan_id, "starts_at": starts, "before": before}
    finally:
        state, version, events = before
        with contextlib.closing(sqlite3.connect(live_server.db_path)) as db:
            db.execute("DELETE FROM talk_booking WHERE talk_time_id = ?", (time_id,))
            db.execute(
                "UPDATE plan SET state = ?, version = ? WHERE id = ?", (state, version, plan_id)
            )
            last = max((event_id for event_id, _state in events), default=0)
            db.execute("DELETE FROM plan_event WHERE plan_id = ? AND id > ?", (plan_id, last))
            db.commit()
        assert plan_now(live_server.db_path, plan_id) == before


def test_marking_a_talk_held_before_its_time_asks_first_by_keyboard(
    live_server, new_context, add_authenticator, axe_check, booked
) -> None:
    elias, plan_id, before = booked["elias"], booked["plan_id"], booked["before"]
    page = new_context(**DESKTOP).new_page()
    add_authenticator(page)
    page.goto(live_server.enrolment_url(MENTOR))
    tab_to(page, page.locator('[data-passkey="register"]'))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"\?welcome=1$"))

    # The compilation: Tab to "The talk is held", Enter.
    page.goto(f"/pupils/{elias}/compilation")
    button = page.get_by_role("button", name=sv("The talk is held"), exact=True)
    tab_to(page, button)
    page.keyboard.press("Enter")

    # The question, with the booked time, holds the focus; nothing has changed.
    day, at = in_swedish(booked["starts_at"])
    question = sv("The talk with %(name)s is booked for %(day)s at %(time)s. Mark it held now?")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(question % {"name": PUPIL, "day": day, "time": at})
    expect(heading).to_be_focused()
    assert plan_now(live_server.db_path, plan_id) == before
    axe_both(page, axe_check)

    # The way back comes first: Tab, Enter, and the compilation is as it was.
    back = page.get_by_role("link", name=sv("No, go back"))
    assert tab_to(page, back) == 1
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/pupils/{elias}/compilation$"))
    expect(page.get_by_role("button", name=sv("The talk is held"), exact=True)).to_be_visible()
    assert plan_now(live_server.db_path, plan_id) == before

    # Again, and yes: the talk is held, and the result holds the focus.
    tab_to(page, page.get_by_role("button", name=sv("The talk is held"), exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    tab_to(page, page.get_by_role("button", name=sv("Yes, the talk is held")))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/pupils/{elias}/compilation\?held=1#held$"))
    held = page.locator("#held")
    expect(held).to_have_text(sv("The talk is held."))
    expect(held).to_be_focused()
    expect(page.get_by_role("button", name=sv("The talk is held"), exact=True)).to_have_count(0)
    state, version, events = plan_now(live_server.db_path, plan_id)
    assert (state, version) == ("held", before[1] + 1)
    assert [s for _id, s in events] == [s for _id, s in before[2]] + ["held"]
