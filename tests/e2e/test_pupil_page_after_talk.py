"""The pupil's page before and after the talk, and the guardian's talk page once booked
(issue 24, item 5), on a phone (360 × 740, touch), with axe on every page.

Its people are this file's own: Stina Åberg, a pupil added to 5C here (so that no other
browser test has changed her plan or her passkeys), whose mentor Karin Lind, through the
API, writes her a shared note, answers her rating, writes in a goal's thread and publishes
her written plan; and Ebba Wik (6D), her mentor Nils Ahl (who offers 6D three days of
talk times) and a guardian of Ebba's added here, Tove Wik."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.support import PHONE

pytestmark = pytest.mark.e2e

PUPIL = "Ebba Wik"
MENTOR = "Nils Ahl"
HOME_PUPIL = "Stina Åberg"  # added to 5C by new_pupil below
HOME_MENTOR = "Karin Lind"
GUARDIAN = "Tove Wik"
SCREEN = 740  # PHONE's height
HEIGHT = "document.scrollingElement.scrollHeight"


def weekdays(first: int, count: int) -> list[str]:
    days: list[str] = []
    day = date.today() + timedelta(days=first)  # noqa: DTZ011
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day.isoformat())
        day += timedelta(days=1)
    return days


def new_pupil(live_server, name: str, *, group: str = "5C") -> None:
    """A pupil of the demo's `group` with the demo's goals for its school year in this
    term's plan, known to no other test. Added once: a second call finds her."""
    from sqlmodel import Session, create_engine, select

    from backend.demo import _plan
    from backend.models import Group, GroupPupil, Person, Term

    engine = create_engine(f"sqlite:///{live_server.db_path}")
    pupil_id, new = live_server.add_person(name)
    with Session(engine) as session:
        found = session.exec(select(Group).where(Group.name == group)).one()
        if new:
            session.add(GroupPupil(group_id=found.id, pupil_id=pupil_id))
            term = session.exec(
                select(Term)
                .where(Term.school_id == found.school_id, Term.starts_on <= date.today())  # noqa: DTZ011
                .order_by(Term.starts_on.desc())  # type: ignore[attr-defined]
            ).first()
            pupil = session.get(Person, pupil_id)
            assert term is not None and pupil is not None and found.school_year is not None
            _plan(session, pupil=pupil, term=term, year=found.school_year)
            session.commit()
    engine.dispose()


def rich_home(live_server, api_person) -> tuple[object, int]:
    """Saga's home as a busy pupil's is before the talk: three goals, one rated with a
    comment and answered by her mentor, a message from him in another goal's thread (unread),
    a note he shares with her and a goal she has proposed herself (waiting for him).
    Returns (Saga through the API, signed in; her id)."""
    new_pupil(live_server, HOME_PUPIL)
    stina = api_person(HOME_PUPIL)
    karin = api_person(HOME_MENTOR)
    pupil_id = live_server.person_id(HOME_PUPIL)
    goals = stina.call("GET", "/api/plan")["goals"]
    assert len(goals) >= 3
    rating = stina.call(
        "POST",
        f"/api/goals/{goals[0]['id']}/self-assessments",
        {"level": 2, "comment": "Procent är svårt när det är rabatt i affären."},
    )
    karin.call(
        "POST",
        f"/api/self-assessments/{rating['id']}/replies",
        {"text": "Bra att du säger det! Vi övar rabatter med reklamblad på onsdag."},
    )
    karin.call(
        "POST",
        f"/api/goals/{goals[2]['id']}/messages",
        {"text": "Hur går det med veckoplaneringen? Berätta gärna på samtalet."},
    )
    karin.call(
        "POST",
        f"/api/pupils/{pupil_id}/notes",
        {"text": "Stina hjälper gärna andra i gruppen och förklarar tydligt.", "shared": True},
    )
    stina.call(
        "POST",
        "/api/plan/goal-proposals",
        {
            "area": "Idrott och hälsa",
            "text": "Jag vill kunna springa fem kilometer.",
            "how": "Jag springer två gånger i veckan efter skolan.",
        },
    )
    return stina, pupil_id


def test_her_goals_come_first_and_her_home_is_two_screens_before_the_talk(
    live_server, new_context, api_person, publish_written_plan, axe_check
) -> None:
    api, stina = rich_home(live_server, api_person)
    context = new_context(**PHONE)
    context.add_cookies(api.cookies())
    page = context.new_page()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina mål")
    goals = page.locator("article.goal")
    expect(goals.first).to_be_visible()
    assert goals.count() >= 3
    # All that she has to read and act on is on her home, one tap away at most.
    expect(page.locator(".goal__latest").first).to_be_visible()
    reply = page.locator(".goal__latest + .replies")  # under her latest rating, unfolded
    expect(reply).to_be_visible()
    expect(reply).to_contain_text("Vi övar rabatter med reklamblad på onsdag.")
    # The reply is carried into the first goal's thread; her mentor wrote in the third's.
    expect(page.get_by_role("link", name="Nytt svar")).to_have_count(2)
    third = goals.nth(2).locator(".goal__area").inner_text()
    expect(page.get_by_role("link", name=f"Nytt svar – {third}")).to_be_visible()
    expect(goals.get_by_role("link", name="Hur går det?", exact=True)).to_have_count(goals.count())
    expect(page.get_by_role("heading", name="Från skolan")).to_be_visible()
    expect(page.get_by_text("Stina hjälper gärna andra")).to_be_attached()
    expect(page.get_by_text("Jag vill kunna springa fem kilometer.")).to_be_attached()
    before = page.evaluate(HEIGHT)
    print(f"\n{HOME_PUPIL}'s home before the talk: {before} px at 360 px")
    assert before <= 2 * SCREEN, f"{before} px: more than two screens"
    axe_check(page)

    # After the talk: her goals first, then the written plan and its agreements.
    publish_written_plan(
        api_person(HOME_MENTOR),
        stina,
        [
            ("Stina läser tjugo minuter varje kväll.", "pupil"),
            ("Skolan ger Stina lästid.", "school"),
        ],
        measures="Skolan ger Stina extra lästräning två gånger i veckan.",
    )
    page.reload()
    written = page.locator("section.written")
    expect(written).to_be_visible()
    order = page.evaluate(
        """() => {
          const goal = document.querySelector('article.goal');
          const plan = document.querySelector('section.written');
          return goal.compareDocumentPosition(plan) & Node.DOCUMENT_POSITION_FOLLOWING;
        }"""
    )
    assert order, "the written plan comes after her goals"
    top = goals.first.bounding_box()
    assert top is not None and top["y"] < SCREEN, "her first goal is on the first screen"
    after = page.evaluate(HEIGHT)
    print(f"{HOME_PUPIL}'s home after the talk: {after} px at 360 px")
    axe_check(page)


def test_the_guardians_talk_page_after_booking_shows_her_time_and_one_change_step(
    live_server, new_context, add_authenticator, enrol, api_person, axe_check
) -> None:
    with closing(sqlite3.connect(live_server.db_path)) as db:
        ((group_id,),) = db.execute("SELECT id FROM pupil_group WHERE name = '6D'").fetchall()
    nils = api_person(MENTOR)
    made = nils.call(
        "POST",
        f"/api/groups/{group_id}/talk-times",
        {"days": weekdays(3, 3), "start": "08:00:00", "end": "12:00:00", "minutes": 20},
    )
    assert len(made) == 36  # three days of twelve times, as the demo offers 4A
    ebba = live_server.person_id(PUPIL)
    live_server.add_guardian(GUARDIAN, child=PUPIL)
    page = new_context(**PHONE).new_page()
    add_authenticator(page)
    enrol(page, live_server.enrolment_url(GUARDIAN))
    page.goto(f"/pupils/{ebba}/talk-times")
    free = page.locator(".talk-time--free button")
    expect(free).to_have_count(36)
    free.nth(4).tap()
    expect(page.get_by_role("status")).to_contain_text("Tiden är bokad.")
    booked = page.locator(".talk-booked")
    expect(booked).to_be_visible()
    axe_check(page)

    # Her booking, cancelling it, and one "Byt tid" step: the other times stay folded.
    change = page.get_by_text("Byt tid", exact=True)
    expect(change).to_be_visible()
    expect(page.locator(".talk-time--free button").first).to_be_hidden()
    height = page.evaluate(HEIGHT)
    print(f"\nThe guardian's talk page after booking: {height} px at 360 px")
    # Two screens at most (it was 4,483 px with every time a full-width button).
    assert height <= 2 * SCREEN, f"{height} px"

    # Byt tid: the free times by day, compact, and a tap moves her booking there.
    change.tap()
    times = page.locator(".talk-time--free button")
    expect(times.first).to_be_visible()
    expect(times).to_have_count(35)
    opened = page.evaluate(HEIGHT)
    print(f"... with the times shown: {opened} px")
    assert opened < 4483 / 2, f"{opened} px: the times are not compact"
    axe_check(page)
    times.nth(20).tap()
    expect(page.get_by_role("status")).to_contain_text("Tiden är bokad.")
    bookings = live_server_bookings(live_server, ebba)
    assert len(bookings) == 1 and bookings[0] != made[4]["id"], bookings
    axe_check(page)


def live_server_bookings(live_server, pupil_id: int) -> list[int]:
    with closing(sqlite3.connect(live_server.db_path)) as db:
        return [
            r[0]
            for r in db.execute(
                "SELECT talk_time_id FROM talk_booking WHERE pupil_id = ?", (pupil_id,)
            )
        ]
