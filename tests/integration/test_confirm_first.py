"""Big actions ask first (issue 22, item 7): opening a term, marking a talk held before its
booked time and moving a booking answer the plain form with a page that says what will
happen, in figures, and changes nothing; its form sends the same data again with
`confirm=1`, and only that does it. Outsiders are refused at both steps, CSRF holds at both,
and the JSON API does it at once, as before. The pages are read in English, whose words are
the source's (the catalogues may lag)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from backend import i18n
from backend.demo import external, term_for
from backend.models import (
    Booking,
    GroupPupil,
    NotificationItem,
    Plan,
    PlanEvent,
    School,
    TalkTime,
    Term,
)
from backend.settings import Settings
from tests.integration.conftest import Visitor, demo_person

# ---- Helpers -----------------------------------------------------------------------------


def english(visitor: Visitor) -> Visitor:
    """She reads the app in English (stored for her, as the language buttons do)."""
    assert visitor.form("/lang", {"lang": "en"}).status_code == 303
    return visitor


def heading(page: httpx.Response) -> str:
    found = re.search(r"<h1([^>]*)>(.*?)</h1>", page.text, re.S)
    assert found, "the page has an h1"
    assert "data-focus" in found.group(1) and 'tabindex="-1"' in found.group(1), found.group(1)
    return html.unescape(found.group(2))


def asked(page: httpx.Response, action: str, back: str) -> dict[str, str]:
    """The question page: 200, one form that posts back to `action` with confirm=1 and the
    CSRF token, and "No, go back" to `back`. Returns the form's fields."""
    assert page.status_code == 200, page.text[:500]
    found = re.search(
        rf'<form method="post" action="{re.escape(action)}" class="button-row">(.*?)</form>',
        page.text,
        re.S,
    )
    assert found, f"no form to {action}"
    form = found.group(1)
    link = re.search(r'<a class="button[^"]*" href="([^"]+)">No, go back</a>', form)
    assert link and html.unescape(link.group(1)) == back
    fields = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)
    }
    assert fields["confirm"] == "1" and fields["_csrf_token"]
    # Switching the language returns to where she came from (a GET of `action` is no page).
    switch = re.search(r'class="lang-switch">.*?name="next" value="([^"]*)"', page.text, re.S)
    assert switch and html.unescape(switch.group(1)) == back
    return fields


def send(visitor: Visitor, action: str, fields: dict[str, str]) -> httpx.Response:
    """What the browser sends when she presses yes: the form's fields as they are."""
    return visitor.client.post(action, data=fields, follow_redirects=False)


def without_csrf(visitor: Visitor, action: str, data: dict[str, str]) -> int:
    return visitor.client.post(action, data=data, follow_redirects=False).status_code


def count(db: Session, query: Any) -> int:
    db.expire_all()
    return int(db.exec(query).one())


def in_english(value: datetime, settings: Settings) -> tuple[str, str]:
    """A time's day and time of day as an English page writes them."""
    token = i18n.current.set("en")
    try:
        return (
            i18n.format_date(value, zone=settings.zone),
            i18n.format_time(value, zone=settings.zone),
        )
    finally:
        i18n.current.reset(token)


def term_in_english(code: str) -> str:
    token = i18n.current.set("en")
    try:
        return i18n.term_name(code)
    finally:
        i18n.current.reset(token)


# ---- Opening a term ----------------------------------------------------------------------


def school_id(db: Session, key: str = "school") -> int:
    school = db.exec(select(School).where(School.external_id == external(key))).one()
    assert school.id is not None
    return school.id


def next_term() -> dict[str, str]:
    _code, _starts, ends = term_for(date.today())  # noqa: DTZ011
    code, starts, ends = term_for(ends + timedelta(days=1))
    return {"code": code, "starts_on": starts.isoformat(), "ends_on": ends.isoformat()}


def term_row(db: Session, term_id: int) -> tuple[Any, ...]:
    db.expire_all()
    term = db.get(Term, term_id)
    assert term is not None
    plans = count(db, select(func.count()).select_from(Plan).where(Plan.term_id == term_id))
    return (term.opened_at, term.opened_by_id, term.version, plans)


def test_opening_a_term_says_how_many_plans_and_makes_them_only_when_confirmed(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    school = school_id(db)
    principal = english(signed_in("principal"))
    made = principal.post(f"/api/schools/{school}/terms", json=next_term()).json()
    url = f"/schools/{school}/terms/{made['id']}/open"
    back = f"/schools/{school}/terms/{made['id']}"
    pupils = len(set(db.exec(select(GroupPupil.pupil_id))))
    assert pupils > 1
    before = term_row(db, made["id"])
    assert before[0] is None and before[3] == 0

    # The button's form: the question, in figures; nothing made.
    page = principal.form(url, {})
    fields = asked(page, url, back)
    name = term_in_english(made["code"])
    assert heading(page) == (
        f"Open {name}? This makes {pupils} plans, one for each pupil at Demoskolan who has "
        "none for the term."
    )
    assert "opening cannot be undone" in page.text
    assert term_row(db, made["id"]) == before

    # Refused without the CSRF token, at either step; nothing made.
    assert without_csrf(principal, url, {}) == 403
    assert without_csrf(principal, url, {"confirm": "1"}) == 403
    assert term_row(db, made["id"]) == before

    # Yes: the plans are made.
    opened = send(principal, url, fields)
    assert opened.status_code == 303
    assert opened.headers["location"] == f"{back}?opened={pupils}"
    after = term_row(db, made["id"])
    assert after[0] is not None and after[3] == pupils
    assert after[1] == demo_person(db, "principal").id

    # Again, with every plan made: nothing to ask, nothing made.
    again = principal.form(url, {})
    assert again.status_code == 303 and again.headers["location"] == f"{back}?opened=0"
    assert term_row(db, made["id"])[3] == pupils


def test_one_pupil_without_a_plan_is_one_plan(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    school = school_id(db)
    principal = english(signed_in("principal"))
    made = principal.post(f"/api/schools/{school}/terms", json=next_term()).json()
    url = f"/schools/{school}/terms/{made['id']}/open"
    alva = demo_person(db, "alva")
    others = [p for p in set(db.exec(select(GroupPupil.pupil_id))) if p != alva.id]
    for pupil_id in others:  # every pupil but Alva has her plan already
        db.add(Plan(pupil_id=pupil_id, term_id=made["id"], state="preparing"))
    db.commit()
    page = principal.form(url, {})
    assert heading(page) == (
        f"Open {term_in_english(made['code'])}? This makes 1 plan, for the pupil at Demoskolan "
        "who has none for the term."
    )
    assert term_row(db, made["id"])[3] == len(others)


def test_the_api_opens_at_once_and_a_closed_term_is_refused_at_the_first_step(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    school = school_id(db)
    principal = signed_in("principal")
    made = principal.post(f"/api/schools/{school}/terms", json=next_term()).json()
    pupils = len(set(db.exec(select(GroupPupil.pupil_id))))
    opened = principal.post(f"/api/schools/{school}/terms/{made['id']}/open")
    assert opened.status_code == 201 and opened.json()["plans_created"] == pupils
    code, _starts, _ends = term_for(date.today())  # noqa: DTZ011
    this = db.exec(select(Term).where(Term.school_id == school, Term.code == code)).one()
    assert principal.post(f"/api/schools/{school}/terms/{this.id}/close").status_code == 200
    url = f"/schools/{school}/terms/{this.id}/open"
    for data in ({}, {"confirm": "1"}):
        refused = principal.form(url, data)
        assert refused.status_code == 409, data


@pytest.mark.parametrize("key", ["principal-2", "mentor-4a", "teacher-ek", "guardian-anna"])
def test_outsiders_cannot_open_a_term_at_either_step(
    db: Session, signed_in: Callable[[str], Visitor], key: str
) -> None:
    school = school_id(db)
    made = signed_in("principal").post(f"/api/schools/{school}/terms", json=next_term()).json()
    before = term_row(db, made["id"])
    outsider = signed_in(key)
    url = f"/schools/{school}/terms/{made['id']}/open"
    for data in ({}, {"confirm": "1"}):
        response = outsider.form(url, data)
        assert response.status_code in (403, 404), (data, response.status_code)
        assert "button-row" not in response.text
    assert term_row(db, made["id"]) == before


# ---- Marking the talk held ---------------------------------------------------------------


def alvas_plan(db: Session) -> tuple[int, str, int, int]:
    """Alva's plan this term: id, state, version, and how many events it has."""
    db.expire_all()
    alva = demo_person(db, "alva")
    code, _starts, _ends = term_for(date.today())  # noqa: DTZ011
    plan = db.exec(
        select(Plan)
        .join(Term, col(Term.id) == Plan.term_id)
        .where(Plan.pupil_id == alva.id, Term.code == code)
    ).one()
    assert plan.id is not None
    events = count(
        db, select(func.count()).select_from(PlanEvent).where(PlanEvent.plan_id == plan.id)
    )
    return plan.id, plan.state, plan.version, events


def book_for_alva(db: Session, signed_in: Callable[[str], Visitor]) -> TalkTime:
    """Anna books the first of 4A's times (the demo's are all to come)."""
    db.expire_all()
    first = db.exec(
        select(TalkTime)
        .where(TalkTime.mentor_id == demo_person(db, "mentor-4a").id)
        .order_by(col(TalkTime.starts_at))
    ).first()
    assert first is not None and first.starts_at > datetime.now(UTC)
    assert (
        signed_in("guardian-anna").post(f"/api/talk-times/{first.id}/booking", json={}).status_code
        == 201
    )
    return first


def test_marking_held_before_the_booked_time_asks_first(
    db: Session, signed_in: Callable[[str], Visitor], settings: Settings
) -> None:
    alva = demo_person(db, "alva")
    time = book_for_alva(db, signed_in)
    mentor = english(signed_in("mentor-4a"))
    url = f"/pupils/{alva.id}/talk-held"
    back = f"/pupils/{alva.id}/compilation"
    before = alvas_plan(db)
    assert before[1] == "preparing"

    page = mentor.form(url, {})
    fields = asked(page, url, back)
    day, at = in_english(time.starts_at, settings)
    assert heading(page) == (
        f"The talk with Alva Nilsson is booked for {day} at {at}. Mark it held now?"
    )
    assert alvas_plan(db) == before

    assert without_csrf(mentor, url, {}) == 403
    assert without_csrf(mentor, url, {"confirm": "1"}) == 403
    assert alvas_plan(db) == before

    done = send(mentor, url, fields)
    assert done.status_code == 303 and done.headers["location"] == f"{back}?held=1#held"
    plan_id, state, version, events = alvas_plan(db)
    assert (plan_id, state, version, events) == (before[0], "held", before[2] + 1, before[3] + 1)
    # Held already: nothing to ask, nothing changes.
    again = mentor.form(url, {})
    assert again.status_code == 303 and alvas_plan(db) == (plan_id, state, version, events)


def test_marking_held_once_the_time_has_begun_or_with_no_time_booked_asks_nothing(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva, elias = demo_person(db, "alva"), demo_person(db, "elias")
    time = book_for_alva(db, signed_in)
    began = datetime.now(UTC) - timedelta(minutes=5)
    db.connection().execute(
        update(TalkTime)
        .where(col(TalkTime.id) == time.id)
        .values(starts_at=began, ends_at=began + timedelta(minutes=20), closes_at=began)
    )
    db.commit()
    mentor = signed_in("mentor-4a")
    done = mentor.form(f"/pupils/{alva.id}/talk-held", {})
    assert done.status_code == 303 and alvas_plan(db)[1] == "held"
    # Elias has no time booked (a talk arranged outside the app): held at once.
    done = mentor.form(f"/pupils/{elias.id}/talk-held", {})
    assert done.status_code == 303
    assert done.headers["location"] == f"/pupils/{elias.id}/compilation?held=1#held"


def test_the_api_marks_held_at_once_before_the_booked_time(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    book_for_alva(db, signed_in)
    held = signed_in("mentor-4a").post(f"/api/pupils/{alva.id}/talk-held")
    assert held.status_code == 200 and held.json() == {"held": True, "changed": True}
    assert alvas_plan(db)[1] == "held"


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("mentor-6d", 404),  # another group's mentor
        ("mentor-8b", 404),
        ("guardian-lina", 404),  # another pupil's guardian
        ("guardian-anna", 404),  # her own guardian: staff only
        ("principal-2", 404),
        ("teacher-ek", 403),  # her teacher reads the compilation, only the mentor marks
    ],
)
def test_outsiders_cannot_mark_held_at_either_step(
    db: Session, signed_in: Callable[[str], Visitor], key: str, status: int
) -> None:
    alva = demo_person(db, "alva")
    book_for_alva(db, signed_in)
    before = alvas_plan(db)
    outsider = signed_in(key)
    for data in ({}, {"confirm": "1"}):
        response = outsider.form(f"/pupils/{alva.id}/talk-held", data)
        assert response.status_code == status, (data, response.status_code)
        assert "button-row" not in response.text
    assert alvas_plan(db) == before


# ---- Moving a booking --------------------------------------------------------------------


def times_4a(db: Session) -> list[TalkTime]:
    db.expire_all()
    return list(
        db.exec(
            select(TalkTime)
            .where(TalkTime.mentor_id == demo_person(db, "mentor-4a").id)
            .order_by(col(TalkTime.starts_at))
        )
    )


def booked(db: Session) -> list[tuple[int, int]]:
    db.expire_all()
    return [
        (b.talk_time_id, b.pupil_id) for b in db.exec(select(Booking).order_by(col(Booking.id)))
    ]


def moves_told(db: Session) -> int:
    return count(
        db,
        select(func.count())
        .select_from(NotificationItem)
        .where(NotificationItem.kind == "booking_moved"),
    )


def test_moving_a_booking_says_from_when_to_when_and_moves_only_when_confirmed(
    db: Session, signed_in: Callable[[str], Visitor], settings: Settings
) -> None:
    alva = demo_person(db, "alva")
    first, _second, third = book_for_alva(db, signed_in), *times_4a(db)[1:3]
    gid = first.group_id
    mentor = english(signed_in("mentor-4a"))
    url = f"/talk-times/{first.id}/move"
    back = f"/groups/{gid}/talk-times#time-{first.id}"
    message = 'Jag är sjuk "då", förlåt! <3'
    before = booked(db)
    assert before == [(first.id, alva.id)] and moves_told(db) == 0

    page = mentor.form(url, {"to": str(third.id), "message": f"  {message}\n"})
    fields = asked(page, url, back)
    assert (fields["to"], fields["message"]) == (str(third.id), message)
    was, now = in_english(first.starts_at, settings), in_english(third.starts_at, settings)
    assert heading(page) == (
        f"Move the booking for Alva Nilsson from {' '.join(was)} to {' '.join(now)}?"
    )
    assert "The family is told, with your message:" in page.text
    quoted = re.search(r"<blockquote[^>]*>(.*?)</blockquote>", page.text, re.S)
    assert quoted and html.unescape(quoted.group(1)) == message
    assert booked(db) == before and moves_told(db) == 0

    assert without_csrf(mentor, url, {"to": str(third.id)}) == 403
    assert without_csrf(mentor, url, {"to": str(third.id), "confirm": "1"}) == 403
    assert booked(db) == before and moves_told(db) == 0

    moved = send(mentor, url, fields)
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/groups/{gid}/talk-times?done=moved#time-{third.id}"
    assert booked(db) == [(third.id, alva.id)]
    db.expire_all()
    told = db.exec(
        select(NotificationItem.message).where(NotificationItem.kind == "booking_moved")
    ).all()
    assert told and set(told) == {message}  # Alva and each of her guardians, in her words


def test_a_move_without_a_message_says_so_and_one_that_cannot_be_done_asks_nothing(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    first = book_for_alva(db, signed_in)
    second, third = times_4a(db)[1:3]
    mentor = english(signed_in("mentor-4a"))
    url = f"/talk-times/{first.id}/move"
    page = mentor.form(url, {"to": str(second.id), "message": ""})
    asked(page, url, f"/groups/{first.group_id}/talk-times#time-{first.id}")
    assert "The family is told that the time has moved. You wrote no message." in page.text
    # A time someone holds already: refused at once, as before, nothing asked.
    assert (
        signed_in("guardian-lina").post(f"/api/talk-times/{third.id}/booking", json={}).status_code
        == 201
    )
    before = booked(db)
    taken = mentor.form(url, {"to": str(third.id), "message": ""})
    assert taken.status_code == 303 and "done=not-moved" in taken.headers["location"]
    # Its own time: nothing moves, nothing asked.
    same = mentor.form(url, {"to": str(first.id), "message": ""})
    assert same.status_code == 303 and "done=moved" in same.headers["location"]
    assert booked(db) == before and moves_told(db) == 0


def test_the_api_moves_at_once(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    first = book_for_alva(db, signed_in)
    third = times_4a(db)[2]
    moved = signed_in("mentor-4a").post(
        f"/api/talk-times/{first.id}/move", json={"to": third.id, "message": "Ny tid"}
    )
    assert moved.status_code == 201 and moved.json()["talk_time_id"] == third.id
    assert [t for t, _p in booked(db)] == [third.id]


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("mentor-8b", 404),  # another group's mentor
        ("mentor-6d", 404),
        ("teacher-ek", 404),  # the group's teacher: the times are the mentor's
        ("principal-2", 404),
        ("guardian-lina", 403),  # another pupil's guardian in the group
        ("guardian-anna", 403),  # her own guardian: she rebooks, the mentor moves
        ("elias", 403),  # a pupil of the group reads the times
    ],
)
def test_outsiders_cannot_move_a_booking_at_either_step(
    db: Session, signed_in: Callable[[str], Visitor], key: str, status: int
) -> None:
    first = book_for_alva(db, signed_in)
    third = times_4a(db)[2]
    before = booked(db)
    outsider = signed_in(key)
    for data in ({"to": str(third.id)}, {"to": str(third.id), "confirm": "1"}):
        response = outsider.form(f"/talk-times/{first.id}/move", data)
        assert response.status_code == status, (data, response.status_code)
        assert "button-row" not in response.text
    assert booked(db) == before and moves_told(db) == 0
