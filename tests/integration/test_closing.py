"""Closing a term (issue 9): the principal closes it (or it closes by itself after its end
date), its plans are archived with an event each, closing again changes nothing, nobody
else may close it; every write to an archived plan is refused with 409 `archived` and the
database left as it was; the plan page says "Stängd" and offers nothing to write."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from backend.app import create_app
from backend.demo import external, previous_term_for, term_for
from backend.errors import Archived
from backend.i18n import translations
from backend.models import (
    Booking,
    Goal,
    GoalProposal,
    Plan,
    PlanEvent,
    Preparation,
    Reply,
    School,
    SelfAssessment,
    TalkDraft,
    TalkTime,
    Term,
)
from backend.settings import Settings
from backend.terms.closing import close_ended, close_term
from tests.integration.conftest import Visitor, demo_person

MESSAGE = translations("sv").gettext(Archived.default_message)


def school_id(db: Session, key: str = "school") -> int:
    found = db.exec(select(School.id).where(School.external_id == external(key))).one()
    assert found is not None
    return found


def term(db: Session, code: str) -> Term:
    db.expire_all()
    return db.exec(select(Term).where(Term.school_id == school_id(db), Term.code == code)).one()


def current(db: Session) -> Term:
    return term(db, term_for(date.today())[0])  # noqa: DTZ011


def plans_of(db: Session, term_id: int | None) -> list[Plan]:
    db.expire_all()
    return list(db.exec(select(Plan).where(Plan.term_id == term_id).order_by(col(Plan.id))))


def events_of(db: Session, plan_ids: list[int | None], state: str = "archived") -> list[PlanEvent]:
    db.expire_all()
    return list(
        db.exec(
            select(PlanEvent).where(col(PlanEvent.plan_id).in_(plan_ids), PlanEvent.state == state)
        )
    )


def count(db: Session, model: Any) -> int:
    db.expire_all()
    return int(db.exec(select(func.count()).select_from(model)).one())


def goal_of(db: Session, key: str, area: str) -> Goal:
    db.expire_all()
    pupil = demo_person(db, key)
    return db.exec(
        select(Goal)
        .join(Plan, col(Plan.id) == Goal.plan_id)
        .where(Plan.pupil_id == pupil.id, Plan.term_id == current(db).id, Goal.area == area)
    ).one()


def close_url(db: Session, *, api: bool = True) -> str:
    base = f"/schools/{school_id(db)}/terms/{current(db).id}/close"
    return f"/api{base}" if api else base


def close_now(db: Session) -> None:
    """The principal's close, straight through the service (the routes are tested below)."""
    this = current(db)
    assert this.id is not None
    close_term(
        db,
        school_id=school_id(db),
        term_id=this.id,
        by_id=demo_person(db, "principal").id or 0,
        today=date.today(),  # noqa: DTZ011
    )


def assert_archived(response: httpx.Response) -> None:
    assert response.status_code == 409, (response.request.url, response.text)
    body = response.json()
    assert body["reason"] == "archived", body
    assert body["message"] == MESSAGE


def put(visitor: Visitor, url: str, body: dict[str, Any]) -> httpx.Response:
    return visitor.client.put(url, json=body, headers={"x-csrftoken": visitor.token})


def patch(visitor: Visitor, url: str, body: dict[str, Any]) -> httpx.Response:
    return visitor.client.patch(url, json=body, headers={"x-csrftoken": visitor.token})


def delete(visitor: Visitor, url: str) -> httpx.Response:
    return visitor.client.request("DELETE", url, headers={"x-csrftoken": visitor.token})


# ---- Closing ---------------------------------------------------------------------------


def test_the_principal_closes_the_term_once_and_its_plans_are_archived(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    this = current(db)
    plans = plans_of(db, this.id)
    assert plans and {p.state for p in plans} == {"preparing"}
    versions = [p.version for p in plans]
    principal = signed_in("principal")
    page = principal.get(f"/schools/{school_id(db)}/terms/{this.id}")
    assert f'action="/schools/{school_id(db)}/terms/{this.id}/close"' in page.text
    assert "Det går inte att ångra." in page.text and "Stäng terminen" in page.text
    unconfirmed = principal.form(close_url(db, api=False), {})
    assert unconfirmed.status_code == 422
    assert "Kryssa i rutan" in unconfirmed.text
    assert current(db).closed_at is None, "nothing closes without the confirmation"
    closed = principal.form(close_url(db, api=False), {"confirm": "yes"})
    assert closed.status_code == 303
    assert closed.headers["location"].endswith(f"?closed={len(plans)}#close")
    shown = principal.get(closed.headers["location"]).text
    assert f"{len(plans)} planer går nu bara att läsa" in shown and "Stängd " in shown
    assert f'action="/schools/{school_id(db)}/terms/{this.id}/open"' not in shown
    after = current(db)
    assert after.closed_at is not None
    assert after.closed_by_id == demo_person(db, "principal").id
    moved = plans_of(db, this.id)
    assert {p.state for p in moved} == {"archived"}
    assert [p.version for p in moved] == [v + 1 for v in versions]
    events = events_of(db, [p.id for p in moved])
    assert sorted(e.plan_id for e in events) == [p.id for p in moved]
    assert {e.by_id for e in events} == {demo_person(db, "principal").id}
    listed = principal.get(f"/schools/{school_id(db)}/terms").text
    assert "Stängd " in listed
    # Again, by the page or the API: nothing changes.
    again = principal.post(close_url(db))
    assert again.status_code == 200
    body = again.json()
    assert body["term_id"] == this.id and body["plans_archived"] == 0
    assert body["closed_at"].startswith(after.closed_at.isoformat()[:19])
    assert current(db).closed_at == after.closed_at
    assert len(events_of(db, [p.id for p in moved])) == len(moved)
    assert [p.version for p in plans_of(db, this.id)] == [p.version for p in moved]
    # A closed term is not opened again: no new plans in it.
    opened = principal.post(f"/api/schools/{school_id(db)}/terms/{this.id}/open")
    assert opened.status_code == 409 and opened.json()["reason"] == "term_closed"
    assert len(plans_of(db, this.id)) == len(moved)
    assert principal.get(f"/api/schools/{school_id(db)}/terms/{this.id}").json()["closed_at"]


def test_closing_by_the_api_answers_the_count(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    this = current(db)
    count_before = len(plans_of(db, this.id))
    closed = signed_in("principal").post(close_url(db))
    assert closed.status_code == 200
    body = closed.json()
    assert body["term_id"] == this.id and body["plans_archived"] == count_before
    assert body["closed_at"]


def test_a_term_that_has_not_started_is_not_closed(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    _code, _starts, ends = term_for(date.today())  # noqa: DTZ011
    code, starts, ends = term_for(ends + timedelta(days=1))
    principal = signed_in("principal")
    school = school_id(db)
    made = principal.post(
        f"/api/schools/{school}/terms",
        json={"code": code, "starts_on": starts.isoformat(), "ends_on": ends.isoformat()},
    ).json()
    assert principal.post(f"/api/schools/{school}/terms/{made['id']}/open").status_code == 201
    refused = principal.post(f"/api/schools/{school}/terms/{made['id']}/close")
    assert refused.status_code == 422
    assert refused.json()["reason"] == "term_not_started"
    assert "har inte börjat" in refused.json()["message"]
    page = principal.form(f"/schools/{school}/terms/{made['id']}/close", {"confirm": "yes"})
    assert page.status_code == 422 and "har inte börjat" in page.text
    assert term(db, code).closed_at is None
    assert {p.state for p in plans_of(db, made["id"])} == {"preparing"}


OUTSIDERS = ["principal-2", "mentor-4a", "teacher-ek", "guardian-anna", "alva"]


@pytest.mark.parametrize("key", OUTSIDERS)
def test_only_the_schools_principal_closes_its_term(
    db: Session, signed_in: Callable[[str], Visitor], key: str
) -> None:
    this = current(db)
    before = [(p.id, p.state, p.version) for p in plans_of(db, this.id)]
    outsider = signed_in(key)
    responses = [
        outsider.form(close_url(db, api=False), {"confirm": "yes"}),
        outsider.post(close_url(db)),
    ]
    for response in responses:
        assert response.status_code in (403, 404), (response.request.url, response.status_code)
    assert current(db).closed_at is None
    assert [(p.id, p.state, p.version) for p in plans_of(db, this.id)] == before
    assert events_of(db, [p for p, _s, _v in before]) == []


def test_the_principal_of_another_school_cannot_close_it_through_her_own_school(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    other = school_id(db, "school-2")
    this = current(db)
    principal = signed_in("principal-2")
    assert principal.post(f"/api/schools/{other}/terms/{this.id}/close").status_code == 404
    assert current(db).closed_at is None


def reopen_last_term(db: Session) -> Term:
    """The demo's last term (ended, closed) as if it had not been closed yet, its plans as
    if it were still running."""
    earlier = term(db, previous_term_for(date.today())[0])  # noqa: DTZ011
    assert earlier.closed_at is not None and earlier.closed_by_id is None
    connection = db.connection()
    connection.execute(update(Term).where(col(Term.id) == earlier.id).values(closed_at=None))
    connection.execute(
        update(Plan).where(col(Plan.term_id) == earlier.id).values(state="followed_up")
    )
    db.commit()
    return term(db, earlier.code)


def test_terms_past_their_end_date_close_by_themselves(db: Session, settings: Settings) -> None:
    """close_ended: only terms whose last day has passed, once; at the app's start-up too."""
    today = date.today()  # noqa: DTZ011
    earlier = reopen_last_term(db)
    this = current(db)
    closed = close_ended(db, today=today)
    assert [(c.term_id, c.plans_archived) for c in closed] == [
        (earlier.id, len(plans_of(db, earlier.id)))
    ]
    earlier = term(db, earlier.code)
    assert earlier.closed_at is not None and earlier.closed_by_id is None
    assert {p.state for p in plans_of(db, earlier.id)} == {"archived"}
    events = events_of(db, [p.id for p in plans_of(db, earlier.id)])
    assert len(events) == len(plans_of(db, earlier.id)) and {e.by_id for e in events} == {None}
    assert current(db).closed_at is None
    assert {p.state for p in plans_of(db, this.id)} == {"preparing"}
    assert close_ended(db, today=today) == []  # again: nothing to do
    # The day after the current term's last day, it closes too.
    assert [c.term_id for c in close_ended(db, today=this.ends_on)] == []
    after = close_ended(db, today=this.ends_on + timedelta(days=1))
    assert [c.term_id for c in after] == [this.id]
    assert {p.state for p in plans_of(db, this.id)} == {"archived"}


def test_the_app_closes_ended_terms_when_it_starts(db: Session, settings: Settings) -> None:
    earlier = reopen_last_term(db)
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        assert term(db, earlier.code).closed_at is not None
    assert current(db).closed_at is None


# ---- Every write to an archived plan is refused ----------------------------------------


def test_ratings_goals_proposals_and_carry_over_are_refused(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva_id = demo_person(db, "alva").id
    alva, mentor = signed_in("alva"), signed_in("mentor-4a")
    goal = goal_of(db, "alva", "Matematik")
    proposal = db.exec(select(GoalProposal).where(GoalProposal.state == "pending")).one()
    liam = demo_person(db, "liam")
    old = db.exec(
        select(Goal)
        .join(Plan, col(Plan.id) == Goal.plan_id)
        .join(Term, col(Term.id) == Plan.term_id)
        .where(Plan.pupil_id == liam.id, Term.code == previous_term_for(date.today())[0])  # noqa: DTZ011
        .where(Goal.area == "Engelska")
    ).one()
    close_now(db)
    goals, ratings = count(db, Goal), count(db, SelfAssessment)
    proposals = count(db, GoalProposal)

    assert_archived(alva.post(f"/api/goals/{goal.id}/self-assessments", json={"level": 3}))
    page = alva.form(f"/goals/{goal.id}/self-assessments", {"level": "3", "comment": "x"})
    assert page.status_code == 409 and MESSAGE in page.text
    assert alva.get(f"/goals/{goal.id}").status_code == 409
    assert_archived(
        alva.post("/api/plan/goal-proposals", json={"area": "Bild", "text": "Jag ritar serier."})
    )
    assert (
        alva.form("/plan/goal-proposals", {"area": "Bild", "text": "Jag ritar."}).status_code == 409
    )
    assert count(db, SelfAssessment) == ratings and count(db, GoalProposal) == proposals

    new_goal = {"area": "Svenska", "text": "Jag skriver en berättelse."}
    assert_archived(mentor.post(f"/api/pupils/{alva_id}/goals", json=new_goal))
    assert mentor.form(f"/pupils/{alva_id}/goals", {**new_goal, "how": ""}).status_code == 409
    assert_archived(patch(mentor, f"/api/goals/{goal.id}", {"version": goal.version, "text": "X"}))
    assert_archived(
        patch(mentor, f"/api/goals/{goal.id}", {"version": goal.version, "position": 2})
    )
    assert mentor.form(f"/goals/{goal.id}/move", {"direction": "down"}).status_code == 409
    assert_archived(mentor.post(f"/api/goals/{goal.id}/retire"))
    assert_archived(
        mentor.post(f"/api/goal-proposals/{proposal.id}/decision", json={"accept": True})
    )
    assert_archived(
        mentor.post(
            f"/api/goal-proposals/{proposal.id}/decision", json={"accept": False, "reason": "Nej"}
        )
    )
    assert_archived(mentor.post(f"/api/goals/{old.id}/carry-over"))  # into an archived plan
    db.expire_all()
    still = db.get(Goal, goal.id)
    assert still is not None
    assert (still.text, still.version, still.position, still.retired_at) == (
        goal.text,
        goal.version,
        goal.position,
        None,
    )
    assert count(db, Goal) == goals
    assert db.exec(select(Goal).where(Goal.carried_from_id == old.id)).first() is None
    decided = db.get(GoalProposal, proposal.id)
    assert decided is not None and decided.state == "pending" and decided.goal_id is None


def test_a_reply_to_a_rating_in_an_archived_plan_is_refused(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    rating = db.exec(select(SelfAssessment).where(SelfAssessment.comment != "")).first()
    assert rating is not None
    teacher = signed_in("teacher-ek")
    close_now(db)
    replies = count(db, Reply)
    assert_archived(
        teacher.post(f"/api/self-assessments/{rating.id}/replies", json={"text": "Bra!"})
    )
    page = teacher.form(f"/self-assessments/{rating.id}/replies", {"text": "Bra!"})
    assert page.status_code == 409 and MESSAGE in page.text
    assert count(db, Reply) == replies
    listed = teacher.get("/reflections").text
    assert f'action="/self-assessments/{rating.id}/replies"' not in listed
    assert "Terminen är stängd, så det går inte att svara längre." in listed
    assert teacher.get("/api/reflections").json()["items"][0]["archived"] is True


def test_preparation_saves_are_refused(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    alva_id = demo_person(db, "alva").id
    pupil, guardian = signed_in("alva"), signed_in("guardian-anna")
    mine = pupil.get("/api/plan/preparation").json()
    theirs = guardian.get(f"/api/pupils/{alva_id}/guardian-preparation").json()
    close_now(db)
    answer = {
        "version": 0,
        "answers": [{"question_id": mine["answers"][0]["question_id"], "text": "Bra"}],
    }
    assert_archived(put(pupil, "/api/plan/preparation", answer))
    other = {
        "version": 0,
        "answers": [{"question_id": theirs["answers"][0]["question_id"], "text": "Bra"}],
        "shared": True,
    }
    assert_archived(put(guardian, f"/api/pupils/{alva_id}/guardian-preparation", other))
    field = f"q{mine['answers'][0]['question_id']}"
    form = pupil.form("/preparation", {"version": "0", field: "Bra"})
    assert form.status_code == 409 and MESSAGE in form.text
    assert count(db, Preparation) == 0
    page = pupil.get("/preparation").text
    assert ">Stängd</strong>" in page and 'class="prep-form"' not in page
    guardian_page = guardian.get(f"/pupils/{alva_id}/preparation").text
    assert ">Stängd</strong>" in guardian_page and 'class="prep-form"' not in guardian_page


def test_the_talk_draft_and_talk_held_are_refused(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva_id = demo_person(db, "alva").id
    mentor = signed_in("mentor-4a")
    close_now(db)
    plan = db.exec(
        select(Plan).where(Plan.pupil_id == alva_id, Plan.term_id == current(db).id)
    ).one()
    assert_archived(put(mentor, f"/api/pupils/{alva_id}/talk-draft", {"version": 0, "text": "Hej"}))
    form = mentor.form(f"/pupils/{alva_id}/talk-draft", {"version": "0", "text": "Hej"})
    assert form.status_code == 409 and MESSAGE in form.text
    assert_archived(mentor.post(f"/api/pupils/{alva_id}/talk-held"))
    assert mentor.form(f"/pupils/{alva_id}/talk-held", {}).status_code == 409
    assert count(db, TalkDraft) == 0
    db.expire_all()
    after = db.get(Plan, plan.id)
    assert after is not None and (after.state, after.version) == ("archived", plan.version)
    assert events_of(db, [plan.id], "held") == []
    page = mentor.get(f"/pupils/{alva_id}/compilation").text
    assert ">Stängd</strong>" in page
    assert "/talk-draft" not in page and "/talk-held" not in page


def test_bookings_in_a_closed_term_are_neither_made_nor_cancelled_nor_moved(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva_id = demo_person(db, "alva").id
    guardian, mentor = signed_in("guardian-anna"), signed_in("mentor-4a")
    times = list(
        db.exec(
            select(TalkTime)
            .where(
                TalkTime.term_id == current(db).id,
                TalkTime.mentor_id == demo_person(db, "mentor-4a").id,
            )
            .order_by(col(TalkTime.starts_at))
        )
    )
    first, second, third = times[0], times[1], times[2]
    assert guardian.post(f"/api/talk-times/{first.id}/booking", json={}).status_code == 201
    close_now(db)
    db.expire_all()
    before = [(b.id, b.talk_time_id, b.pupil_id) for b in db.exec(select(Booking))]
    assert before == [(before[0][0], first.id, alva_id)]
    assert_archived(guardian.post(f"/api/talk-times/{second.id}/booking", json={}))
    booked = guardian.form(f"/pupils/{alva_id}/talk-times", {"talk_time_id": str(second.id)})
    assert booked.status_code == 409 and MESSAGE in booked.text
    assert_archived(delete(guardian, f"/api/talk-times/{first.id}/booking"))
    assert guardian.form(f"/talk-times/{first.id}/cancel", {}).status_code == 409
    assert_archived(delete(mentor, f"/api/talk-times/{first.id}/booking?message=Sjuk"))
    assert mentor.form(f"/talk-times/{first.id}/cancel", {"message": "Sjuk"}).status_code == 409
    assert_archived(mentor.post(f"/api/talk-times/{first.id}/move", json={"to": third.id}))
    moved = mentor.form(f"/talk-times/{first.id}/move", {"to": str(third.id), "message": ""})
    assert moved.status_code == 409
    db.expire_all()
    assert [(b.id, b.talk_time_id, b.pupil_id) for b in db.exec(select(Booking))] == before


# ---- The plan page ---------------------------------------------------------------------


def test_the_plan_page_of_an_archived_plan_says_so_and_offers_no_writing(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva_id = demo_person(db, "alva").id
    goal = goal_of(db, "alva", "Matematik")
    pupil, mentor = signed_in("alva"), signed_in("mentor-4a")
    open_page = pupil.get("/").text
    assert f'href="/goals/{goal.id}#goal-{goal.id}"' in open_page
    assert 'action="/plan/goal-proposals"' in open_page
    close_now(db)
    home = pupil.get("/")
    assert home.status_code == 200
    text = home.text
    assert ">Stängd</strong>" in text and "Mina mål" in text
    assert "multiplikationstabellerna" in text  # still readable
    assert f'href="/goals/{goal.id}' not in text
    assert "/self-assessments" not in text
    assert 'action="/plan/goal-proposals"' not in text
    assert 'id="todo"' not in text
    assert "Boka en tid" not in text  # the pupil is still not offered a guardian's link
    staff = mentor.get(f"/pupils/{alva_id}").text
    assert ">Stängd</strong>" in staff
    assert f'href="/pupils/{alva_id}/goals/new"' not in staff
    assert f'href="/goals/{goal.id}/edit"' not in staff
    assert "/goal-proposals/" not in staff
    english = pupil.get("/", headers={"accept-language": "en-GB,en;q=0.9"}).text
    assert 'class="archived__label">Archived</strong>' in english
    assert "the plan can be read but no longer changed" in english


def test_the_new_routes_are_in_the_openapi_document(signed_in: Callable[[str], Visitor]) -> None:
    paths = signed_in("principal").get("/schema/openapi.json").json()["paths"]
    close = paths["/api/schools/{school_id}/terms/{term_id}/close"]["post"]
    assert close["summary"].startswith("Close the term")
    assert {"200", "401", "404", "422"} <= set(close["responses"])
    rate = paths["/api/goals/{goal_id}/self-assessments"]["post"]
    assert "409" in rate["responses"]
