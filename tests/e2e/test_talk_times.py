"""Booking the talk in the browser (issue 8, item 5): Johan, mentor of 8B, offers a series
of talk times at his desk in English; Layla (Omar's guardian, who reads Arabic) books one
on her phone, in Arabic and right to left, and takes it home as an .ics file; Eva (Maja's
guardian) finds that time taken; Johan moves Layla's booking with a message, and Layla
sees the new time. Only 8B's families: the lead's journey books for 4A. axe on every page,
at 360 px and 1,280 px."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from backend import i18n
from tests.support import DESKTOP, PHONE

pytestmark = pytest.mark.e2e


def ar(english: str, **values: str) -> str:
    """Layla's words, from the Arabic catalogue (a value put into a sentence is isolated)."""
    text = i18n.translations("ar").gettext(english)
    assert text != english, f"not in Arabic: {english!r}"
    return text % {k: f"\u2068{v}\u2069" for k, v in values.items()} if values else text


def axe_both(page: Any, axe_check: Any) -> None:
    """axe at both widths and back at the page's own; nothing scrolls sideways."""
    own = page.viewport_size
    for size in ({"width": 360, "height": 740}, {"width": 1280, "height": 800}, own):
        page.set_viewport_size(size)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= size["width"], page.url
        axe_check(page)


def rows(db_path: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        return list(db.execute(sql, args).fetchall())


def a_weekday(days: int) -> date:
    day = date.today() + timedelta(days=days)  # noqa: DTZ011
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_a_series_is_booked_taken_and_moved(
    live_server, new_context, add_authenticator, enrol, axe_check
) -> None:
    ((group_id,),) = rows(live_server.db_path, "SELECT id FROM pupil_group WHERE name = '8B'")
    omar = live_server.person_id("Omar Haddad")
    maja = live_server.person_id("Maja Andersson")
    day = a_weekday(15)
    message = "I have a meeting then; see you twenty minutes later."

    # 1. Johan offers three times at his desk, in English.
    johan = new_context(**DESKTOP).new_page()
    add_authenticator(johan)
    enrol(johan, live_server.enrolment_url("Johan Berg"))
    johan.get_by_role("button", name="English").click()
    johan.goto(f"/groups/{group_id}/talk-times")
    expect(johan.get_by_role("heading", level=1)).to_have_text("Talk times for 8B")
    axe_both(johan, axe_check)
    johan.get_by_label("Days").fill(day.isoformat())
    johan.get_by_label("First time starts").fill("14:00")
    johan.get_by_label("Last time ends by").fill("15:00")
    johan.get_by_label("Place or video link").fill("Room 8B, second floor")
    johan.get_by_role("button", name="Add the times").click()
    expect(johan.locator(".notice--success")).to_have_text("3 times added.")
    axe_both(johan, axe_check)
    ids = [
        i
        for (i,) in rows(
            live_server.db_path,
            "SELECT id FROM talk_time WHERE group_id = ? AND place = ? ORDER BY starts_at",
            group_id,
            "Room 8B, second floor",
        )
    ]
    assert len(ids) == 3
    first, second = ids[0], ids[1]

    # 2. Layla books the first on her phone, in Arabic (her language, stored and her browser's).
    layla = new_context(**PHONE, locale="ar").new_page()
    add_authenticator(layla)
    enrol(layla, live_server.enrolment_url("Layla Haddad"))
    expect(layla.locator("html")).to_have_attribute("dir", "rtl")
    layla.get_by_role("link", name=ar("Book a time for the development talk")).tap()
    expect(layla.get_by_role("heading", level=1)).to_have_text(ar("Time for the development talk"))
    axe_both(layla, axe_check)
    layla.locator(f'button[name="talk_time_id"][value="{first}"]').tap()
    expect(layla.locator(".notice--success")).to_have_text(ar("The time is booked."))
    booked = layla.locator(".talk-booked")
    expect(booked).to_contain_text("Room 8B, second floor")
    axe_both(layla, axe_check)
    assert layla.evaluate("document.scrollingElement.scrollWidth") <= 360  # right to left
    axe_check(layla)
    with layla.expect_download() as download:
        booked.get_by_role("link", name=ar("Add to my calendar (.ics)")).tap()
    ics = Path(download.value.path()).read_bytes().decode()
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and "BEGIN:VEVENT\r\n" in ics
    summary = i18n.translations("ar").gettext("Development talk: %(name)s") % {
        "name": "Omar Haddad"
    }
    assert f"SUMMARY:{summary}\r\n" in ics
    assert "LOCATION:Room 8B\\, second floor\r\n" in ics
    assert rows(
        live_server.db_path, "SELECT talk_time_id FROM talk_booking WHERE pupil_id = ?", omar
    ) == [(first,)]

    # 3. Eva finds that time taken, with no name, and no button for it.
    eva = new_context(**PHONE).new_page()
    add_authenticator(eva)
    enrol(eva, live_server.enrolment_url("Eva Andersson"))
    eva.goto(f"/pupils/{maja}/talk-times")
    expect(eva.locator(f'button[name="talk_time_id"][value="{second}"]')).to_be_visible()
    expect(eva.locator(f'button[name="talk_time_id"][value="{first}"]')).to_have_count(0)
    taken = eva.locator("li.talk-time--taken")
    expect(taken.first).to_contain_text("Upptagen")
    expect(eva.locator("main")).not_to_contain_text("Omar")
    axe_both(eva, axe_check)

    # 4. Johan moves Layla's booking to the second time, with a message.
    johan.goto(f"/groups/{group_id}/talk-times")
    held = johan.locator(f"#time-{first}")
    expect(held).to_contain_text("Booked for Omar Haddad by Layla Haddad")
    held.locator("summary").click()
    axe_check(johan)
    held.get_by_label("Move to").select_option(str(second))
    held.locator(f"#move-{first}-message").fill(message)
    held.get_by_role("button", name="Move the booking").click()
    # It asks first, from when to when, with his message (issue 22, item 7).
    question = johan.get_by_role("heading", level=1)
    expect(question).to_have_text(re.compile(r"^Move the booking for Omar Haddad from .+ to .+\?$"))
    expect(question).to_be_focused()
    expect(johan.locator("main blockquote")).to_have_text(message)
    axe_both(johan, axe_check)
    johan.get_by_role("button", name="Yes, move the booking").click()
    expect(johan.locator(".notice--success")).to_have_text(
        "The booking is moved and the family is told."
    )
    expect(johan.locator(f"#time-{second}")).to_contain_text("Booked for Omar Haddad")
    axe_both(johan, axe_check)
    assert rows(
        live_server.db_path,
        "SELECT i.kind, i.message FROM notification_item i JOIN notification n"
        " ON n.id = i.notification_id WHERE n.person_id = ? AND i.kind = 'booking_moved'",
        live_server.person_id("Layla Haddad"),
    ) == [("booking_moved", message)]

    # 5. Layla sees the new time; behind "Change time", the first is free again.
    layla.goto(f"/pupils/{omar}/talk-times")
    expect(layla.locator(f'button[name="talk_time_id"][value="{first}"]')).to_be_hidden()
    layla.get_by_text(ar("Change time"), exact=True).click()
    expect(layla.locator(f'button[name="talk_time_id"][value="{first}"]')).to_be_visible()
    expect(layla.locator(f'button[name="talk_time_id"][value="{second}"]')).to_have_count(0)
    axe_both(layla, axe_check)
    assert re.search(r"\d", layla.locator(".talk-booked").inner_text())
