"""Booking the talk: the mentor's series (in the school's zone, stored in UTC), a family's
booking, rebooking and cancelling, the unique keys that keep two families off one time,
closing, the mentor's move and cancel with a message, the .ics file, and the outsiders."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from backend import i18n
from backend.models import Booking, Group, Notification, NotificationItem, TalkTime
from tests.integration.conftest import Visitor, demo_person


def group_id(db: Session, name: str) -> int:
    found = db.exec(select(Group.id).where(Group.name == name)).one()
    assert found is not None
    return found


def times_of(db: Session, name: str) -> list[TalkTime]:
    db.expire_all()
    return list(
        db.exec(
            select(TalkTime)
            .where(TalkTime.group_id == group_id(db, name))
            .order_by(col(TalkTime.starts_at))
        )
    )


def bookings(db: Session) -> list[Booking]:
    db.expire_all()
    return list(db.exec(select(Booking).order_by(col(Booking.id))))


def items_of(db: Session, key: str) -> list[tuple[str, str]]:
    db.expire_all()
    person = demo_person(db, key)
    rows = db.exec(
        select(NotificationItem.kind, NotificationItem.message)
        .join(Notification, col(Notification.id) == NotificationItem.notification_id)
        .where(Notification.person_id == person.id)
    )
    return [(kind, message) for kind, message in rows]


def delete(visitor: Visitor, url: str) -> int:
    response = visitor.client.request("DELETE", url, headers={"x-csrftoken": visitor.token})
    return response.status_code


def next_weekday(days: int) -> date:
    day = date.today() + timedelta(days=days)  # noqa: DTZ011
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_the_demo_offers_times_to_4a_and_8b_and_nothing_is_booked(db: Session) -> None:
    assert len(times_of(db, "4A")) == 36 and len(times_of(db, "8B")) == 36
    assert times_of(db, "5C") == [] and bookings(db) == []


def test_the_mentor_makes_a_series_in_the_schools_zone_and_a_teacher_cannot(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    gid = group_id(db, "5C")
    day = next_weekday(10)
    teacher = signed_in("teacher-ek")
    assert teacher.get(f"/groups/{gid}/talk-times").status_code == 200  # a teacher reads
    form = {"days": day.isoformat(), "start": "13:00", "end": "14:00", "place": "Rum 12"}
    assert teacher.form(f"/groups/{gid}/talk-times", form).status_code == 403
    body = {"days": [day.isoformat()], "start": "13:00:00", "end": "14:00:00"}
    assert teacher.post(f"/api/groups/{gid}/talk-times", json=body).status_code == 403
    assert times_of(db, "5C") == []

    karin = signed_in("mentor-4a")
    made = karin.form(f"/groups/{gid}/talk-times", form)
    assert made.status_code == 303 and made.headers["location"].endswith("done=made-3")
    times = times_of(db, "5C")
    assert len(times) == 3
    first = times[0].starts_at.astimezone(UTC)
    local = first.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Stockholm"))
    assert (local.date(), local.hour, local.minute) == (day, 13, 0)
    assert times[0].ends_at - times[0].starts_at == timedelta(minutes=20)
    assert times[0].closes_at == times[0].starts_at - timedelta(hours=24)
    assert times[0].place == "Rum 12"
    page = karin.get(f"/groups/{gid}/talk-times?done=made-3")
    assert "3 tider har lagts till." in page.text and "13:00–13:20" in page.text
    again = karin.post(f"/api/groups/{gid}/talk-times", json=body | {"minutes": 30})
    assert again.status_code == 201
    assert [t["state"] for t in again.json()] == ["free"]  # 13:00 is there already; 13:30 new
    assert len(times_of(db, "5C")) == 4
    listed = karin.get(f"/api/groups/{gid}/talk-times").json()
    assert len(listed["times"]) == 4 and "Hugo Lund" in listed["not_booked"]


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"days": "", "start": "08:00", "end": "09:00"}, "days"),
        ({"days": "7 december", "start": "08:00", "end": "09:00"}, "days"),
        ({"days": "2020-01-07", "start": "08:00", "end": "09:00"}, "days"),
        ({"days": "{day}", "start": "8", "end": "09:00"}, "start"),
        ({"days": "{day}", "start": "09:00", "end": "08:00"}, "end"),
        ({"days": "{day}", "start": "08:00", "end": "08:10"}, "end"),
        ({"days": "{day}", "start": "08:00", "end": "09:00", "minutes": "2"}, "minutes"),
    ],
)
def test_a_wrong_series_shows_the_field_and_adds_nothing(
    db: Session, signed_in: Callable[[str], Visitor], form: dict[str, str], field: str
) -> None:
    gid = group_id(db, "5C")
    form = {k: v.replace("{day}", next_weekday(5).isoformat()) for k, v in form.items()}
    karin = signed_in("mentor-4a")
    page = karin.form(f"/groups/{gid}/talk-times", form)
    assert page.status_code == 422
    assert f'href="#series-{field}"' in page.text and f'id="series-{field}-error"' in page.text
    assert times_of(db, "5C") == []


def test_a_guardian_books_and_the_family_sees_it_and_is_told(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    time = times_of(db, "4A")[0]
    anna = signed_in("guardian-anna")
    page = anna.get(f"/pupils/{alva.id}/talk-times")
    assert page.status_code == 200 and f'name="talk_time_id" value="{time.id}"' in page.text
    booked = anna.form(f"/pupils/{alva.id}/talk-times", {"talk_time_id": str(time.id)})
    assert booked.status_code == 303
    (row,) = bookings(db)
    assert (row.talk_time_id, row.pupil_id, row.booked_by_id) == (
        time.id,
        alva.id,
        demo_person(db, "guardian-anna").id,
    )
    for key in ("alva", "guardian-per"):
        viewer = signed_in(key)
        mine = viewer.get(f"/api/pupils/{alva.id}/talk-times").json()
        assert mine["booking"]["talk_time_id"] == time.id
        assert next(t for t in mine["times"] if t["id"] == time.id)["state"] == "mine"
        plan = viewer.get("/" if key == "alva" else f"/pupils/{alva.id}")
        assert f'href="/pupils/{alva.id}/talk.ics"' in plan.text
        assert items_of(db, key) == [("booked", "")]
    assert items_of(db, "guardian-anna") == []
    lina = signed_in("guardian-lina")  # Elias in the same group: the time is taken, by nobody
    elias = demo_person(db, "elias")
    theirs = lina.get(f"/api/pupils/{elias.id}/talk-times").json()
    assert theirs["booking"] is None
    assert next(t for t in theirs["times"] if t["id"] == time.id)["state"] == "taken"
    assert "Alva" not in lina.get(f"/pupils/{elias.id}/talk-times").text


def test_two_families_never_hold_one_time(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    time = times_of(db, "4A")[0]
    anna, lina = signed_in("guardian-anna"), signed_in("guardian-lina")
    assert anna.post(f"/api/talk-times/{time.id}/booking", json={}).status_code == 201
    refused = lina.post(f"/api/talk-times/{time.id}/booking", json={})
    assert refused.status_code == 409
    assert refused.json()["reason"] == "taken"
    assert "Den tiden hann någon annan boka. Välj en annan tid." in refused.json()["message"]
    assert time.id not in refused.json()["current"]["free"]
    elias = demo_person(db, "elias")
    page = lina.form(f"/pupils/{elias.id}/talk-times", {"talk_time_id": str(time.id)})
    assert page.status_code == 409
    assert "Den tiden hann någon annan boka. Välj en annan tid." in page.text
    assert 'name="talk_time_id"' in page.text  # the free times again
    assert len(bookings(db)) == 1 and bookings(db)[0].pupil_id == demo_person(db, "alva").id


def test_a_guardian_rebooks_and_cancels_her_childs_time(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    first, second = times_of(db, "4A")[:2]
    per = signed_in("guardian-per")
    alva = demo_person(db, "alva")
    assert (
        per.post(f"/api/talk-times/{first.id}/booking", json={"pupil_id": alva.id}).status_code
        == 201
    )
    (before,) = bookings(db)
    moved = per.post(f"/api/talk-times/{second.id}/booking", json={})
    assert moved.status_code == 201 and moved.json()["talk_time_id"] == second.id
    (after,) = bookings(db)
    assert (after.id, after.talk_time_id) == (before.id, second.id)
    assert delete(per, f"/api/talk-times/{first.id}/booking") == 404  # not hers any more
    assert delete(signed_in("alva"), f"/api/talk-times/{second.id}/booking") == 403
    assert delete(per, f"/api/talk-times/{second.id}/booking") == 204
    assert bookings(db) == []


def test_booking_closes_but_the_mentor_can_still_move_it(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    first, second, third = times_of(db, "8B")[:3]
    layla = signed_in("guardian-layla")
    assert layla.post(f"/api/talk-times/{first.id}/booking", json={}).status_code == 201
    past = datetime.now(UTC) - timedelta(minutes=1)
    db.connection().execute(update(TalkTime).values(closes_at=past))
    db.commit()
    closed = layla.post(f"/api/talk-times/{second.id}/booking", json={})
    assert closed.status_code == 409 and closed.json()["reason"] == "closed"
    assert closed.json()["message"] == i18n.translations("ar").gettext(  # Layla reads Arabic
        "Booking has closed for this time. Contact the mentor if you need to change it."
    )
    assert delete(layla, f"/api/talk-times/{first.id}/booking") == 409
    omar = demo_person(db, "omar")
    assert (
        next(
            t
            for t in layla.get(f"/api/pupils/{omar.id}/talk-times").json()["times"]
            if t["id"] == third.id
        )["state"]
        == "closed"
    )
    johan = signed_in("mentor-8b")
    body = {"to": third.id, "message": "Jag är sjuk på måndag, förlåt!"}
    moved = johan.post(f"/api/talk-times/{first.id}/move", json=body)
    assert moved.status_code == 201 and moved.json()["talk_time_id"] == third.id
    assert [b.talk_time_id for b in bookings(db)] == [third.id]
    for key in ("omar", "guardian-layla"):
        assert ("booking_moved", "Jag är sjuk på måndag, förlåt!") in items_of(db, key)


def test_the_mentor_sees_who_booked_moves_and_cancels_with_a_message(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    times = times_of(db, "8B")
    gid = group_id(db, "8B")
    eva = signed_in("guardian-eva")
    assert eva.post(f"/api/talk-times/{times[0].id}/booking", json={}).status_code == 201
    johan = signed_in("mentor-8b")
    listed = johan.get(f"/api/groups/{gid}/talk-times").json()
    held = next(t for t in listed["times"] if t["booking"])
    assert (held["id"], held["booking"]["pupil"], held["booking"]["booked_by"]) == (
        times[0].id,
        "Maja Andersson",
        "Eva Andersson",
    )
    assert listed["not_booked"] == ["Omar Haddad"]
    page = johan.get(f"/groups/{gid}/talk-times")
    assert "Bokad för Maja Andersson av Eva Andersson" in page.text
    assert f'action="/talk-times/{times[0].id}/move"' in page.text
    refused = johan.form(f"/talk-times/{times[0].id}/remove", {})
    assert refused.status_code == 403 and len(times_of(db, "8B")) == 36
    moved = johan.form(  # confirm=1: from the page that asks first (test_confirm_first.py)
        f"/talk-times/{times[0].id}/move",
        {"to": str(times[5].id), "message": "Ny tid", "confirm": "1"},
    )
    assert moved.status_code == 303 and moved.headers["location"].endswith(f"#time-{times[5].id}")
    assert [b.talk_time_id for b in bookings(db)] == [times[5].id]
    taken = signed_in("guardian-layla")
    assert taken.post(f"/api/talk-times/{times[6].id}/booking", json={}).status_code == 201
    clash = johan.post(f"/api/talk-times/{times[5].id}/move", json={"to": times[6].id})
    assert clash.status_code == 409 and clash.json()["reason"] == "taken"
    cancelled = johan.form(f"/talk-times/{times[5].id}/cancel", {"message": "Vi ses i januari"})
    assert cancelled.status_code == 303
    assert [b.talk_time_id for b in bookings(db)] == [times[6].id]
    assert ("booking_cancelled", "Vi ses i januari") in items_of(db, "guardian-eva")
    assert items_of(db, "guardian-mikael") == []  # restricted: told nothing
    response = johan.client.request(
        "DELETE",
        f"/api/talk-times/{times[6].id}/booking",
        params={"message": "Ring mig"},
        headers={"x-csrftoken": johan.token},
    )
    assert response.status_code == 204 and bookings(db) == []
    assert ("booking_cancelled", "Ring mig") in items_of(db, "guardian-layla")
    assert delete(johan, f"/api/talk-times/{times[1].id}") == 204
    assert len(times_of(db, "8B")) == 35


def test_the_booking_as_an_ics_file(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    time = times_of(db, "8B")[0]
    omar = demo_person(db, "omar")
    layla = signed_in("guardian-layla")
    assert layla.get(f"/pupils/{omar.id}/talk.ics").status_code == 404  # nothing booked yet
    assert layla.post(f"/api/talk-times/{time.id}/booking", json={}).status_code == 201
    for key in ("guardian-layla", "omar", "mentor-8b"):
        response = signed_in(key).get(f"/pupils/{omar.id}/talk.ics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/calendar")
        raw = response.content.decode()
        assert raw.endswith("\r\n") and "\n" not in raw.replace("\r\n", "")
        unfolded = raw.replace("\r\n ", "")
        assert "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" in unfolded
        start = time.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        assert f"DTSTART:{start}\r\n" in unfolded
        assert re.search(r"DTEND:\d{8}T\d{6}Z\r\n", unfolded)
        assert re.search(r"DTSTAMP:\d{8}T\d{6}Z\r\n", unfolded)
        assert re.search(rf"UID:talk-{time.id}-{omar.id}@localhost\r\n", unfolded)
        assert "LOCATION:Sal 8B\\, eller videolänk: https://video.example.se/8b\r\n" in unfolded
        lang = "ar" if key == "guardian-layla" else "sv"  # each reads it in her language
        summary = i18n.translations(lang).gettext("Development talk: %(name)s")
        assert f"SUMMARY:{summary % {'name': 'Omar Haddad'}}\r\n" in unfolded
    english = signed_in("guardian-layla")
    english.form("/lang", {"lang": "en"})
    assert "SUMMARY:Development talk: Omar Haddad" in english.get(
        f"/pupils/{omar.id}/talk.ics"
    ).text.replace("\r\n ", "")


def test_outsiders_get_404_or_403_and_nothing_changes(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva, maja = demo_person(db, "alva"), demo_person(db, "maja")
    t4a, t8b = times_of(db, "4A")[0], times_of(db, "8B")[0]
    g4a = group_id(db, "4A")
    cases = [
        ("guardian-lina", alva.id, t4a.id, g4a),  # another child's guardian (same group)
        ("guardian-mikael", maja.id, times_of(db, "8B")[0].id, group_id(db, "8B")),
        ("mentor-6d", alva.id, t4a.id, g4a),
        ("teacher-6d", alva.id, t4a.id, g4a),
        ("mentor-8b", alva.id, t4a.id, g4a),
        ("principal-2", alva.id, t4a.id, g4a),
        ("maja", alva.id, t4a.id, g4a),  # a pupil of another group
    ]
    for key, pupil_id, time_id, gid in cases:
        v = signed_in(key)
        assert v.get(f"/pupils/{pupil_id}/talk-times").status_code == 404, key
        assert v.get(f"/api/pupils/{pupil_id}/talk-times").status_code == 404, key
        assert v.get(f"/pupils/{pupil_id}/talk.ics").status_code == 404, key
        booked = v.form(f"/pupils/{pupil_id}/talk-times", {"talk_time_id": str(time_id)})
        assert booked.status_code == 404, key
        api = v.post(f"/api/talk-times/{time_id}/booking", json={"pupil_id": pupil_id})
        assert api.status_code in (403, 404), (key, api.text)
        assert delete(v, f"/api/talk-times/{time_id}/booking") in (403, 404), key
        assert v.post(f"/api/talk-times/{time_id}/move", json={"to": t4a.id + 1}).status_code in (
            403,
            404,
        ), key
        assert delete(v, f"/api/talk-times/{time_id}") in (403, 404), key
        for url in (f"/talk-times/{time_id}/cancel", f"/talk-times/{time_id}/remove"):
            assert v.form(url, {}).status_code in (403, 404), (key, url)
        if key != "guardian-mikael":
            assert v.get(f"/groups/{gid}/talk-times").status_code in (403, 404), key
            assert v.get(f"/api/groups/{gid}/talk-times").status_code in (403, 404), key
            body = {"days": [next_weekday(9).isoformat()], "start": "08:00:00", "end": "09:00:00"}
            assert v.post(f"/api/groups/{gid}/talk-times", json=body).status_code in (403, 404)
    mikael = signed_in("guardian-mikael")
    assert mikael.get(f"/pupils/{maja.id}").status_code == 404
    assert bookings(db) == [] and len(times_of(db, "4A")) == 36 and len(times_of(db, "8B")) == 36
    assert t8b.id is not None


def test_a_pupil_reads_her_times_but_does_not_book(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    elias = demo_person(db, "elias")
    time = times_of(db, "4A")[0]
    pupil = signed_in("elias")
    page = pupil.get(f"/pupils/{elias.id}/talk-times")
    assert page.status_code == 200 and 'name="talk_time_id"' not in page.text
    assert pupil.post(f"/api/talk-times/{time.id}/booking", json={}).status_code == 403
    assert (
        pupil.form(f"/pupils/{elias.id}/talk-times", {"talk_time_id": str(time.id)}).status_code
        == 403
    )
    assert bookings(db) == []
