"""The principal's terms: the school's terms and a new one (its questions copied, or the
defaults), the rules a term keeps, a stale save (409 with both values), the questions per
stage and audience, opening a term (plans counted, idempotent), carrying last term's
unreached goals over, and the access sweep."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from backend.demo import external, previous_term_for, term_for
from backend.models import (
    Answer,
    Goal,
    GroupPupil,
    Plan,
    PlanEvent,
    Preparation,
    Question,
    School,
    Term,
)
from tests.integration.conftest import Visitor, demo_person

HX = {"hx-request": "true"}


def school_id(db: Session, key: str = "school") -> int:
    school = db.exec(select(School).where(School.external_id == external(key))).one()
    assert school.id is not None
    return school.id


def terms(db: Session, school: int) -> list[Term]:
    db.expire_all()
    return list(db.exec(select(Term).where(Term.school_id == school).order_by(Term.starts_on)))


def current(db: Session) -> Term:
    code, _s, _e = term_for(date.today())  # noqa: DTZ011
    return next(t for t in terms(db, school_id(db)) if t.code == code)


def next_term() -> dict[str, str]:
    """The term after this one, in the future."""
    _code, _starts, ends = term_for(date.today())  # noqa: DTZ011
    code, starts, ends = term_for(ends + timedelta(days=1))
    return {
        "code": code,
        "starts_on": starts.isoformat(),
        "ends_on": ends.isoformat(),
        "talks_from": (starts + timedelta(days=30)).isoformat(),
        "talks_until": (starts + timedelta(days=60)).isoformat(),
    }


def questions(db: Session, term_id: int, stage: int, audience: str) -> list[Question]:
    db.expire_all()
    return list(
        db.exec(
            select(Question)
            .where(
                Question.term_id == term_id,
                Question.stage == stage,
                Question.audience == audience,
                col(Question.retired_at).is_(None),
            )
            .order_by(Question.position, Question.id)
        )
    )


def test_the_school_page_links_to_its_terms_newest_first(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    school = school_id(db)
    principal = signed_in("principal")
    assert f'href="/schools/{school}/terms"' in principal.get(f"/schools/{school}").text
    page = principal.get(f"/schools/{school}/terms")
    assert page.status_code == 200
    this, last = current(db), previous_term_for(date.today())[0]  # noqa: DTZ011
    names = re.findall(r'href="/schools/\d+/terms/(\d+)"', page.text)
    assert names[:2] == [str(this.id), str(terms(db, school)[0].id)]
    assert last.startswith(("HT", "VT"))
    assert 'name="summary_years" value="3" checked disabled' in page.text
    assert "krävs enligt lag" in page.text


def test_a_new_term_gets_the_latest_terms_questions(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    school = school_id(db)
    this = current(db)
    assert this.id is not None
    own = questions(db, this.id, 2, "pupil")[0]
    own.text = "Vad är du stolt över?"
    db.add(own)
    db.commit()
    principal = signed_in("principal")
    values = next_term()
    made = principal.form(f"/schools/{school}/terms", {**values, "summary_years": "7"})
    assert made.status_code == 303, made.text
    new = next(t for t in terms(db, school) if t.code == values["code"])
    assert made.headers["location"] == f"/schools/{school}/terms/{new.id}?created=1"
    assert new.summary_years == "1,2,3,4,5,7"
    assert str(new.talks_from) == values["talks_from"] and new.opened_at is None
    assert new.id is not None
    copied = questions(db, new.id, 2, "pupil")
    assert [q.text for q in copied][:1] == ["Vad är du stolt över?"]
    assert len(copied) == len(questions(db, this.id, 2, "pupil"))
    page = principal.get(made.headers["location"])
    assert page.status_code == 200 and "Terminen är skapad" in page.text


def test_the_first_term_of_a_school_gets_the_default_questions(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    other = school_id(db, "school-2")
    principal = signed_in("principal-2")
    made = principal.post(
        f"/api/schools/{other}/terms",
        json={"code": "HT2030", "starts_on": "2030-08-01", "ends_on": "2030-12-31"},
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["summary_years"] == [1, 2, 3, 4, 5] and body["version"] == 1
    listed = principal.get(f"/api/schools/{other}/terms/{body['id']}/questions").json()
    assert len(listed["sections"]) == 6
    assert all(len(s["questions"]) == 5 for s in listed["sections"])
    assert all(q["default"] for s in listed["sections"] for q in s["questions"])
    english = principal.get(
        f"/api/schools/{other}/terms/{body['id']}/questions", headers={"accept-language": "en"}
    ).json()
    first = english["sections"][0]["questions"][0]["text"]
    assert first == "What has gone well at school?"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"code": "HT20"}, "code", "HT eller VT och året"),
        ({"ends_on": "2000-01-01"}, "ends_on", "sluta efter"),
        ({"talks_until": "2099-01-01"}, "talks_until", "inom terminen"),
        ({"starts_on": "inte ett datum"}, "starts_on", "Skriv ett datum"),
    ],
)
def test_a_term_is_refused_with_a_clear_message_and_the_typed_values_kept(
    db: Session,
    signed_in: Callable[[str], Visitor],
    change: dict[str, str],
    field: str,
    message: str,
) -> None:
    school = school_id(db)
    count = len(terms(db, school))
    principal = signed_in("principal")
    values = {**next_term(), **change}
    refused = principal.form(f"/schools/{school}/terms", values)
    assert refused.status_code == 422
    assert message in refused.text
    assert f'href="#term-{field}"' in refused.text
    assert f'value="{values[field]}"' in refused.text
    assert len(terms(db, school)) == count
    api = principal.post(f"/api/schools/{school}/terms", json={**next_term(), **change})
    assert api.status_code in (400, 422)


def test_a_code_the_school_has_and_an_overlapping_term_are_refused(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    school = school_id(db)
    this = current(db)
    principal = signed_in("principal")
    same = {**next_term(), "code": this.code}
    taken = principal.form(f"/schools/{school}/terms", same)
    assert taken.status_code == 422 and "har redan en termin" in taken.text
    overlap = {**next_term(), "starts_on": (this.ends_on - timedelta(days=3)).isoformat()}
    overlap["talks_from"] = overlap["talks_until"] = ""
    refused = principal.form(f"/schools/{school}/terms", overlap)
    assert refused.status_code == 422 and "överlappar" in refused.text
    api = principal.post(
        f"/api/schools/{school}/terms",
        json={"code": this.code, "starts_on": "2040-01-01", "ends_on": "2040-06-30"},
    )
    assert api.status_code == 422 and api.json()["reason"] == "invalid_code"


def test_a_term_is_edited_and_a_stale_save_offers_both_values(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    school = school_id(db)
    principal = signed_in("principal")
    made = principal.post(f"/api/schools/{school}/terms", json=next_term()).json()
    url = f"/schools/{school}/terms/{made['id']}"
    page = principal.get(url)
    assert page.status_code == 200 and 'name="version" value="1"' in page.text
    form = {**next_term(), "version": "1", "talks_from": ""}
    saved = principal.form(url, {**form, "summary_years": "6"})
    assert saved.status_code == 303 and saved.headers["location"] == f"{url}?saved=1"
    db.expire_all()
    term = db.get(Term, made["id"])
    assert term is not None and term.version == 2 and term.talks_from is None
    assert term.summary_years == "1,2,3,4,5,6"
    stale = principal.form(url, {**form, "talks_until": next_term()["talks_from"]})
    assert stale.status_code == 409
    assert "Termen som den är nu" in stale.text or "Terminen som den är nu" in stale.text
    assert f'value="{next_term()["talks_from"]}"' in stale.text  # what she typed
    assert 'name="version" value="2"' in stale.text  # saving again replaces it
    api = principal.client.put(
        f"/api/schools/{school}/terms/{made['id']}",
        json={**next_term(), "version": 1},
        headers={"x-csrftoken": principal.token},
    )
    assert api.status_code == 409 and api.json()["current"]["version"] == 2
    ok = principal.client.put(
        f"/api/schools/{school}/terms/{made['id']}",
        json={**next_term(), "version": 2, "summary_years": [8, 9]},
        headers={"x-csrftoken": principal.token},
    )
    assert ok.status_code == 200 and ok.json()["summary_years"] == [1, 2, 3, 4, 5, 8, 9]
    assert ok.json()["version"] == 3


def test_questions_are_edited_added_moved_and_removed(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    school = school_id(db)
    principal = signed_in("principal")
    made = principal.post(f"/api/schools/{school}/terms", json=next_term()).json()
    term_id = made["id"]
    base = f"/schools/{school}/terms/{term_id}/questions"
    page = principal.get(base)
    assert page.status_code == 200
    assert "Vad har gått bra i skolan?" in page.text  # a default, in the reader's language
    assert page.text.count("<section") >= 6
    first, second = questions(db, term_id, 1, "pupil")[:2]
    # Changing a default question's words makes them hers.
    saved = principal.form(f"{base}/{first.id}", {"action": "save", "text": "Vad var roligt?"})
    assert saved.status_code == 303
    assert questions(db, term_id, 1, "pupil")[0].text == "Vad var roligt?"
    # Saving a default unchanged keeps it a default.
    principal.form(f"{base}/{second.id}", {"action": "save", "text": "Vad har varit svårt?"})
    assert questions(db, term_id, 1, "pupil")[1].text == ""
    empty = principal.form(f"{base}/{second.id}", {"action": "save", "text": "  "})
    assert empty.status_code == 422 and "Skriv frågan" in empty.text
    moved = principal.form(f"{base}/{second.id}", {"action": "up", "text": ""})
    assert moved.status_code == 303
    assert [q.id for q in questions(db, term_id, 1, "pupil")][:2] == [second.id, first.id]
    added = principal.form(
        base, {"stage": "1", "audience": "guardian", "text": "Hur mår ert barn?"}
    )
    assert added.status_code == 303
    assert questions(db, term_id, 1, "guardian")[-1].text == "Hur mår ert barn?"
    assert len(questions(db, term_id, 1, "guardian")) == 6
    first_id = first.id
    removed = principal.form(f"{base}/{first_id}", {"action": "remove", "text": ""})
    assert removed.status_code == 303
    assert first_id not in [q.id for q in questions(db, term_id, 1, "pupil")]
    assert db.get(Question, first_id) is None  # nobody had answered it: deleted


def test_an_answered_question_is_retired_not_deleted(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    school = school_id(db)
    this = current(db)
    assert this.id is not None
    question = questions(db, this.id, 2, "pupil")[0]
    plan = db.exec(
        select(Plan).where(Plan.term_id == this.id, Plan.pupil_id == demo_person(db, "hugo").id)
    ).one()
    assert plan.id is not None and question.id is not None
    prep = Preparation(plan_id=plan.id, author_id=plan.pupil_id, audience="pupil")
    db.add(prep)
    db.flush()
    assert prep.id is not None
    db.add(Answer(preparation_id=prep.id, question_id=question.id, text="Bråk"))
    db.commit()
    principal = signed_in("principal")
    kept = [{"id": q.id} for q in questions(db, this.id, 2, "pupil")[1:]]
    put = principal.client.put(
        f"/api/schools/{school}/terms/{this.id}/questions",
        json={"stage": 2, "audience": "pupil", "questions": [*kept, {"text": "Ny fråga?"}]},
        headers={"x-csrftoken": principal.token},
    )
    assert put.status_code == 200, put.text
    section = next(
        s for s in put.json()["sections"] if s["stage"] == 2 and s["audience"] == "pupil"
    )
    assert [q["id"] for q in section["questions"]][:-1] == [k["id"] for k in kept]
    assert section["questions"][-1]["text"] == "Ny fråga?"
    db.expire_all()
    retired = db.get(Question, question.id)
    assert retired is not None and retired.retired_at is not None
    foreign = principal.client.put(
        f"/api/schools/{school}/terms/{this.id}/questions",
        json={"stage": 1, "audience": "pupil", "questions": [{"id": kept[0]["id"]}]},
        headers={"x-csrftoken": principal.token},
    )
    assert foreign.status_code == 422 and foreign.json()["reason"] == "invalid_questions"


def test_opening_a_term_makes_each_pupils_plan_once(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    school = school_id(db)
    principal = signed_in("principal")
    made = principal.post(f"/api/schools/{school}/terms", json=next_term()).json()
    pupils = len(set(db.exec(select(GroupPupil.pupil_id))))
    # confirm=1: the page that asks first (tests/integration/test_confirm_first.py) sent it.
    opened = principal.form(f"/schools/{school}/terms/{made['id']}/open", {"confirm": "1"})
    assert opened.status_code == 303
    assert opened.headers["location"].endswith(f"?opened={pupils}")
    page = principal.get(opened.headers["location"])
    assert f"{pupils} nya planer" in page.text
    db.expire_all()
    plans = list(db.exec(select(Plan).where(Plan.term_id == made["id"])))
    assert len(plans) == pupils and {p.state for p in plans} == {"preparing"}
    events = list(
        db.exec(select(PlanEvent).where(col(PlanEvent.plan_id).in_([p.id for p in plans])))
    )
    assert len(events) == pupils
    term = db.get(Term, made["id"])
    assert term is not None and term.opened_at is not None
    assert term.opened_by_id == demo_person(db, "principal").id
    again = principal.post(f"/api/schools/{school}/terms/{made['id']}/open")
    assert again.status_code == 201 and again.json()["plans_created"] == 0
    assert len(list(db.exec(select(Plan).where(Plan.term_id == made["id"])))) == pupils
    # The current term is still this term for every pupil.
    liam = signed_in("liam")
    assert liam.get("/api/plan").json()["term"] == current(db).code


def offered_goal(db: Session, key: str, area: str) -> Goal:
    pupil = demo_person(db, key)
    code = previous_term_for(date.today())[0]  # noqa: DTZ011
    return db.exec(
        select(Goal)
        .join(Plan, col(Plan.id) == Goal.plan_id)
        .join(Term, col(Term.id) == Plan.term_id)
        .where(Plan.pupil_id == pupil.id, Term.code == code, Goal.area == area)
    ).one()


def test_last_terms_unreached_goal_is_offered_and_carried_over_once(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    liam = demo_person(db, "liam")
    old = offered_goal(db, "liam", "Engelska")
    mentor = signed_in("mentor-4a")
    listed = mentor.get(f"/api/pupils/{liam.id}/carry-over").json()
    assert [g["id"] for g in listed] == [old.id]  # the reached Matematik goal is not offered
    assert listed[0]["level"] == 2 and listed[0]["writable"] is True
    page = mentor.get(f"/pupils/{liam.id}")
    assert f'action="/goals/{old.id}/carry-over"' in page.text
    carried = mentor.form(f"/goals/{old.id}/carry-over", {})
    assert carried.status_code == 303
    db.expire_all()
    new = db.exec(select(Goal).where(Goal.carried_from_id == old.id)).one()
    assert (new.area, new.text, new.how) == (old.area, old.text, old.how)
    plan = db.get(Plan, new.plan_id)
    assert plan is not None and plan.term_id == current(db).id
    assert carried.headers["location"] == f"/pupils/{liam.id}#goal-{new.id}"
    assert mentor.get(f"/api/pupils/{liam.id}/carry-over").json() == []
    assert f'action="/goals/{old.id}/carry-over"' not in mentor.get(f"/pupils/{liam.id}").text
    again = mentor.post(f"/api/goals/{old.id}/carry-over")
    assert again.status_code == 409 and again.json()["reason"] == "not_offered"
    assert len(list(db.exec(select(Goal).where(Goal.carried_from_id == old.id)))) == 1
    reached = offered_goal(db, "liam", "Matematik")
    assert mentor.post(f"/api/goals/{reached.id}/carry-over").status_code == 409


def test_a_teacher_carries_over_only_her_subjects_goals(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    noah = demo_person(db, "noah")
    old = offered_goal(db, "noah", "Engelska")
    ek = signed_in("teacher-ek")  # Matematik
    listed = ek.get(f"/api/pupils/{noah.id}/carry-over").json()
    assert [(g["id"], g["writable"]) for g in listed] == [(old.id, False)]
    assert f'action="/goals/{old.id}/carry-over"' not in ek.get(f"/pupils/{noah.id}").text
    assert ek.post(f"/api/goals/{old.id}/carry-over").status_code == 403
    assert db.exec(select(Goal).where(Goal.carried_from_id == old.id)).first() is None
    hassan = signed_in("teacher-hassan")  # Engelska
    made = hassan.post(f"/api/goals/{old.id}/carry-over")
    assert made.status_code == 201 and made.json()["text"] == old.text
    db.expire_all()
    assert db.exec(select(Goal).where(Goal.carried_from_id == old.id)).one().created_by_id == (
        demo_person(db, "teacher-hassan").id
    )


def test_terms_in_the_openapi_document(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    paths = signed_in("principal").get("/schema/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/schools/{school_id}/terms"])
    assert {"get", "put"} <= set(paths["/api/schools/{school_id}/terms/{term_id}"])
    assert {"get", "put"} <= set(paths["/api/schools/{school_id}/terms/{term_id}/questions"])
    assert "post" in paths["/api/schools/{school_id}/terms/{term_id}/open"]
    assert "post" in paths["/api/schools/{school_id}/terms/{term_id}/close"]
    assert "post" in paths["/api/goals/{goal_id}/carry-over"]
    assert "get" in paths["/api/pupils/{pupil_id}/carry-over"]


OUTSIDERS = [
    "liam",
    "maja",
    "teacher-ek",
    "teacher-6d",
    "mentor-4a",
    "mentor-6d",
    "mentor-8b",
    "principal-2",
    "guardian-lina",
    "guardian-mikael",
    "guardian-anna",
]


@pytest.mark.parametrize("key", OUTSIDERS)
def test_outsiders_get_nothing_from_any_terms_route(
    db: Session, signed_in: Callable[[str], Visitor], key: str
) -> None:
    school = school_id(db)
    this = current(db)
    assert this.id is not None
    question = questions(db, this.id, 2, "pupil")[0]
    before = [(t.id, t.code, t.version, t.opened_at, t.closed_at) for t in terms(db, school)]
    count = len(list(db.exec(select(Question))))
    plans = len(list(db.exec(select(Plan))))
    outsider = signed_in(key)
    headers = {"x-csrftoken": outsider.token}
    terms_url = f"/schools/{school}/terms"
    term_url = f"{terms_url}/{this.id}"
    api = f"/api/schools/{school}/terms"
    responses = [
        outsider.get(terms_url),
        outsider.form(terms_url, next_term()),
        outsider.get(term_url),
        outsider.form(term_url, {**next_term(), "version": "1"}),
        outsider.form(f"{term_url}/open", {}),
        outsider.form(f"{term_url}/close", {"confirm": "yes"}),
        outsider.get(f"{term_url}/questions"),
        outsider.form(f"{term_url}/questions", {"stage": "1", "audience": "pupil", "text": "X"}),
        outsider.form(f"{term_url}/questions/{question.id}", {"action": "remove"}),
        outsider.get(api),
        outsider.post(api, json={**next_term()}),
        outsider.get(f"{api}/{this.id}"),
        outsider.client.put(
            f"{api}/{this.id}", json={**next_term(), "version": 1}, headers=headers
        ),
        outsider.get(f"{api}/{this.id}/questions"),
        outsider.client.put(
            f"{api}/{this.id}/questions",
            json={"stage": 2, "audience": "pupil", "questions": []},
            headers=headers,
        ),
        outsider.post(f"{api}/{this.id}/open"),
        outsider.post(f"{api}/{this.id}/close"),
    ]
    for response in responses:
        assert response.status_code in (403, 404), (response.request.url, response.status_code)
    after = [(t.id, t.code, t.version, t.opened_at, t.closed_at) for t in terms(db, school)]
    assert after == before
    assert len(list(db.exec(select(Question)))) == count
    assert len(list(db.exec(select(Plan)))) == plans


CARRY_OUTSIDERS = [
    "elias",
    "liam",
    "maja",
    "teacher-6d",
    "mentor-6d",
    "mentor-8b",
    "principal",
    "principal-2",
    "guardian-lina",
    "guardian-mikael",
]


@pytest.mark.parametrize("key", CARRY_OUTSIDERS)
def test_outsiders_cannot_carry_goals_over(
    db: Session, signed_in: Callable[[str], Visitor], key: str
) -> None:
    liam = demo_person(db, "liam")
    old = offered_goal(db, "liam", "Engelska")
    outsider = signed_in(key)
    responses = [
        outsider.form(f"/goals/{old.id}/carry-over", {}),
        outsider.post(f"/api/goals/{old.id}/carry-over"),
        outsider.get(f"/api/pupils/{liam.id}/carry-over"),
    ]
    for response in responses:
        assert response.status_code in (403, 404), (response.request.url, response.status_code)
        assert old.text not in response.text
    db.expire_all()
    assert db.exec(select(Goal).where(Goal.carried_from_id == old.id)).first() is None
