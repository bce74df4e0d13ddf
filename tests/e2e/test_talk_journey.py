"""Issue 8's acceptance journey, the week before Alva's development talk, each person with
her own passkey on her own device: a teacher writes a staff-only note; Alva, on her
phone, loses the connection, answers two questions, reloads, and her answers reach the
server by themselves when the connection returns; her guardian Anna prepares without
sharing, and Per, who lives elsewhere and reads in English, cannot see Anna's answers;
Anna books a time, and Alva and Per see it; the mentor sees "prepared" and "booked" in
the group at a glance and opens the compilation with the teacher's note in it. axe on
every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support import DESKTOP, PHONE

pytestmark = pytest.mark.e2e


def test_the_week_before_the_talk(
    live_server, signed_up, axe_check, watch, go_offline, go_online
) -> None:
    watch.allow_console(r"ERR_INTERNET_DISCONNECTED")
    alva_id = live_server.person_id("Alva Nilsson")
    note = "Alva räcker upp handen oftare på genomgångarna nu."
    went_well = "Jag har läst två böcker och förstår bråk."
    hard = "Att komma i tid på måndagar."
    worry = "Hon sover dåligt före prov; vi vill prata om läxorna."

    # 0. Sara Ek, who teaches Alva Matematik, writes a staff-only note from the group list.
    teacher = signed_up("Sara Ek", DESKTOP)
    teacher.get_by_role("link", name="4A i överblick").click()
    row = teacher.locator(f"#pupil-{alva_id}")
    row.get_by_role("link", name="Anteckning om Alva Nilsson").click()
    teacher.get_by_role("textbox", name="Anteckning om Alva Nilsson").fill(note)
    teacher.get_by_role("button", name="Spara bara för personalen").click()
    expect(row.locator(".note-saved")).to_be_focused()

    # 1. Alva prepares on her phone; the connection drops while she writes.
    alva = signed_up("Alva Nilsson", PHONE)
    alva.locator(".prep-card").get_by_role("link").tap()
    expect(alva.get_by_role("heading", level=1)).to_have_text("Inför samtalet")
    alva.wait_for_function("navigator.serviceWorker.controller !== null")
    alva.reload()  # now under the service worker, which keeps this page for offline
    axe_check(alva)
    first = alva.get_by_label("Vad har gått bra den här terminen?")
    second = alva.get_by_label("Vad har varit svårt den här terminen?")
    go_offline(alva)
    first.fill(went_well)
    second.fill(hard)
    status = alva.locator("[data-prep-status]")
    expect(status).to_have_text("Sparat i din mobil eller dator")
    alva.reload()
    expect(first).to_have_value(went_well)
    expect(second).to_have_value(hard)
    go_online(alva)
    expect(status).to_have_text("Skickat", timeout=15_000)  # by itself, nobody pressed Save
    stored = alva.request.get("/api/plan/preparation").json()
    assert [a["text"] for a in stored["answers"] if a["text"]] == [went_well, hard]
    alva.get_by_role("button", name="Klar inför samtalet").tap()
    expect(alva.locator(".notice--success").first).to_be_visible()
    assert alva.request.get("/api/plan/preparation").json()["ready_at"] is not None
    axe_check(alva)

    # 2. Anna prepares and does not share; Per, in another household, cannot see it.
    anna = signed_up("Anna Nilsson", PHONE)
    anna.locator(".prep-card").get_by_role("link").tap()
    expect(anna.get_by_role("heading", level=1)).to_have_text("Inför samtalet om Alva")
    share = anna.get_by_role("checkbox", name=re.compile("^Dela mina svar med Per"))
    expect(share).not_to_be_checked()
    anna.get_by_label("Är det något du är orolig för?").fill(worry)
    axe_check(anna)
    anna.get_by_role("button", name="Klar inför samtalet").tap()
    expect(anna.get_by_label("Är det något du är orolig för?")).to_have_value(worry)
    mine = anna.request.get(f"/api/pupils/{alva_id}/guardian-preparation").json()
    assert mine["shared"] is False and mine["ready_at"] is not None

    per = signed_up("Per Nilsson", DESKTOP)
    per.get_by_role("button", name="English").click()
    per.goto(f"/pupils/{alva_id}/preparation")
    expect(per.get_by_role("heading", level=1)).to_have_text("Before the talk about Alva")
    expect(per.locator(".prep-shared")).to_have_count(0)
    assert worry not in per.content()
    his = per.request.get(f"/api/pupils/{alva_id}/guardian-preparation").json()
    assert worry not in str(his)
    axe_check(per)

    # 3. Anna books the first free time; Alva and Per see the booking.
    anna.goto(f"/pupils/{alva_id}/talk-times")
    free = anna.locator(".talk-time--free button").first
    when = free.inner_text().strip()  # 08:00–08:20 in Swedish (8:00 AM–8:20 AM in English)
    hour, minute = when[:5].split(":")
    free.tap()
    expect(anna.get_by_role("status")).to_contain_text("Tiden är bokad.")
    expect(anna.locator(".talk-booked")).to_contain_text(when)
    axe_check(anna)
    alva.goto("/")
    expect(alva.locator(".talk-booked")).to_contain_text(when)
    axe_check(alva)
    per.goto(f"/pupils/{alva_id}")
    expect(per.locator(".talk-booked")).to_contain_text(f"{int(hour)}:{minute} AM")
    expect(per.locator("#unread-count")).to_have_text("1 unread")  # told of the booking
    axe_check(per)

    # 4. The mentor sees who is ready and opens the compilation with Sara's note.
    mentor = signed_up("Karin Lind", DESKTOP)
    mentor.get_by_role("link", name="4A i överblick").click()
    row = mentor.locator(f"#pupil-{alva_id}")
    expect(row.locator(".overview__prepared")).to_have_text("Klar")
    expect(row.locator(".overview__guardians")).to_have_text("1 av 2")
    expect(row.locator(".overview__booked")).to_contain_text(when[:5])
    axe_check(mentor)
    row.get_by_role("link", name="Sammanställning – Alva Nilsson").click()
    compilation = mentor.locator("main")
    expect(compilation).to_contain_text(note)
    expect(compilation).to_contain_text(went_well)
    expect(compilation).to_contain_text(worry)  # staff read every preparation
    expect(compilation).to_contain_text(when[:5])
    axe_check(mentor)
