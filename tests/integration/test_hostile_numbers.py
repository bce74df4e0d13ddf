"""Numbers an outside tester types into forms and JSON (web.form_int): a digit that int()
refuses or misreads, more digits than a column holds, an id past SQL INTEGER. Each is a
clear 4xx with the field's message, or the stale or absent value, and stores nothing, on
SQLite and on PostgreSQL (the `settings` of test_hostile_input.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlmodel import Session

from backend.web import form_int
from tests.integration.conftest import Visitor, demo_person
from tests.integration.test_agreements import DUE
from tests.integration.test_compilation import plan_of
from tests.integration.test_groups import group_id
from tests.integration.test_hostile_input import (
    first_goal,
    settings,  # noqa: F401  (both databases)
)
from tests.integration.test_talks import next_weekday, times_of

# "²" is a digit to str.isdigit() that int() refuses (it was a 500), "٣" one that int()
# reads as 3 (a real id or stage, chosen by nobody), and 5000 nines more than int() reads or
# a column holds.
HOSTILE_NUMBERS = ["²", "٣", "9" * 5000]


@pytest.mark.parametrize(
    ("value", "number"),
    [("3", 3), (" 3 ", 3), ("007", 7), ("9" * 9, 999_999_999), ("9" * 10, -1), ("", -1)]
    + [(v, -1) for v in ("²", "٣", "３", "-1", "+1", "1.0", "1_000", "3\x00", "9" * 5000)],
)
def test_form_int_reads_ascii_digits_only_and_not_too_many(value: str, number: int) -> None:
    assert form_int(value, default=-1) == number


def count(db: Session, sql: str, **params: object) -> int:
    db.expire_all()
    return int(db.execute(text(f"SELECT count(*) FROM {sql}"), params).scalar_one())


def row(db: Session, sql: str, **params: object) -> tuple[object, ...]:
    db.expire_all()
    return tuple(db.execute(text(f"SELECT {sql}"), params).one())


@pytest.mark.parametrize("field", ["minutes", "closes_hours"])
def test_a_series_length_or_closing_that_is_not_a_number_is_explained(
    db: Session, signed_in: Callable[[str], Visitor], field: str
) -> None:
    gid = group_id(db, "5C")
    karin = signed_in("mentor-4a")
    for value in HOSTILE_NUMBERS:
        form = {"days": next_weekday(5).isoformat(), "start": "08:00", "end": "09:00"}
        page = karin.form(f"/groups/{gid}/talk-times", form | {field: value})
        assert page.status_code == 422, (value[:5], page.status_code)
        assert f'id="series-{field}-error"' in page.text
    assert times_of(db, "5C") == []


def test_a_booking_of_a_time_that_is_not_a_number_is_refused(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    anna = signed_in("guardian-anna")
    for value in HOSTILE_NUMBERS:
        page = anna.form(f"/pupils/{alva.id}/talk-times", {"talk_time_id": value})
        assert page.status_code == 422, (value[:5], page.status_code)
    assert count(db, "talk_booking") == 0


def test_a_move_to_a_time_that_is_not_a_number_moves_nothing(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    first = times_of(db, "4A")[0]
    anna = signed_in("guardian-anna")
    assert anna.post(f"/api/talk-times/{first.id}/booking", json={}).status_code == 201
    karin = signed_in("mentor-4a")
    for value in HOSTILE_NUMBERS:
        moved = karin.form(f"/talk-times/{first.id}/move", {"to": value, "message": "Förlåt"})
        assert moved.status_code == 303 and "done=not-moved" in moved.headers["location"]
    assert row(db, "talk_time_id FROM talk_booking") == (first.id,)


def test_preparation_fields_and_versions_that_are_not_numbers_store_nothing(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = signed_in("alva")
    questions = [a["question_id"] for a in alva.get("/api/plan/preparation").json()["answers"]]
    # A question named by a digit that is no number is no question.
    odd = {f"q{value}": "smuggled" for value in HOSTILE_NUMBERS}
    sent = alva.form("/preparation", {"version": "0", f"q{questions[0]}": "Matten!", **odd})
    assert sent.status_code == 303, sent.text
    assert count(db, "preparation_answer WHERE text = 'smuggled'") == 0
    assert count(db, "preparation_answer WHERE text = 'Matten!'") == 1
    for value in HOSTILE_NUMBERS:  # a version that is no number is a stale one
        stale = alva.form("/preparation", {"version": value, f"q{questions[0]}": "Ändrat"})
        assert stale.status_code == 409, (value[:5], stale.status_code)
    assert count(db, "preparation_answer WHERE text = 'Ändrat'") == 0


def test_a_goal_edit_with_a_version_that_is_not_a_number_is_stale(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    goal = first_goal(db, "alva")
    area, before = row(db, "area, text FROM goal WHERE id = :g", g=goal)
    karin = signed_in("mentor-4a")
    for value in HOSTILE_NUMBERS:
        form = {"area": str(area), "text": "Ändrat mål", "how": "", "version": value}
        page = karin.form(f"/goals/{goal}/edit", form)
        assert page.status_code == 409, (value[:5], page.status_code)
        assert "Ändrat mål" in page.text, "what she wrote is kept"
    assert row(db, "text, version FROM goal WHERE id = :g", g=goal) == (before, 1)


def test_a_written_plan_or_agreement_with_a_version_that_is_not_a_number_is_stale(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    plan = plan_of(db, "alva").id
    karin = signed_in("mentor-4a")
    url = f"/pupils/{alva.id}/written-plan"
    saved = karin.form(url, {"version": "0", "participants": "Alva, Anna"})
    assert saved.status_code == 303, saved.text
    added = karin.form(
        f"/pupils/{alva.id}/agreements", {"text": "Läsa", "party": "pupil", "due_on": DUE}
    )
    assert added.status_code == 303
    (agreement,) = row(db, "id FROM agreement WHERE plan_id = :p", p=plan)
    for value in HOSTILE_NUMBERS:
        page = karin.form(url, {"version": value, "participants": "Ingen"})
        assert page.status_code == 409, (value[:5], page.status_code)
        page = karin.form(
            f"/agreements/{agreement}",
            {"text": "Skriva", "party": "pupil", "due_on": DUE, "version": value},
        )
        assert page.status_code == 409, (value[:5], page.status_code)
    assert row(db, "participants, version FROM plan_summary WHERE plan_id = :p", p=plan) == (
        "Alva, Anna",
        1,
    )
    assert row(db, "text, version FROM agreement WHERE id = :a", a=agreement) == ("Läsa", 1)


def test_a_note_or_talk_draft_with_a_version_that_is_not_a_number_is_stale(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    ek = demo_person(db, "teacher-ek")
    note, before = row(
        db, "id, text FROM note WHERE pupil_id = :p AND author_id = :a LIMIT 1", p=alva.id, a=ek.id
    )
    teacher = signed_in("teacher-ek")
    karin = signed_in("mentor-4a")
    draft = f"/pupils/{alva.id}/talk-draft"
    assert karin.form(draft, {"text": "Börja med läsningen", "version": "0"}).status_code == 303
    for value in HOSTILE_NUMBERS:
        page = teacher.form(f"/notes/{note}/edit", {"text": "Ändrad", "version": value})
        assert page.status_code == 409, (value[:5], page.status_code)
        page = karin.form(draft, {"text": "Ändrad", "version": value})
        assert page.status_code == 409, (value[:5], page.status_code)
    assert row(db, "text, version FROM note WHERE id = :n", n=note) == (before, 1)
    plan = plan_of(db, "alva").id
    assert row(db, "text, version FROM talk_draft WHERE plan_id = :p", p=plan) == (
        "Börja med läsningen",
        1,
    )


def test_a_question_stage_term_version_or_years_that_are_not_numbers_change_nothing(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    (school,) = row(db, "id FROM school WHERE name = 'Demoskolan'")
    (term,) = row(db, "id FROM term WHERE school_id = :s ORDER BY starts_on DESC LIMIT 1", s=school)
    birgitta = signed_in("principal")
    url = f"/schools/{school}/terms/{term}"
    questions = count(db, "preparation_question WHERE term_id = :t", t=term)
    for value in HOSTILE_NUMBERS:
        page = birgitta.form(
            f"{url}/questions", {"stage": value, "audience": "pupil", "text": "Ny fråga?"}
        )
        assert page.status_code == 422, (value[:5], page.status_code)
    assert count(db, "preparation_question WHERE term_id = :t", t=term) == questions

    code, starts, ends = row(db, "code, starts_on, ends_on FROM term WHERE id = :t", t=term)
    form = {"code": str(code), "starts_on": str(starts), "ends_on": str(ends)}
    for value in HOSTILE_NUMBERS:
        page = birgitta.form(url, form | {"version": value, "summary_years": "6"})
        assert page.status_code == 409, (value[:5], page.status_code)
    assert row(db, "summary_years, version FROM term WHERE id = :t", t=term) == ("1,2,3,4,5", 1)
    years = {**form, "version": "1"}
    sent = birgitta.client.post(
        url,
        data={"_csrf_token": birgitta.token, **years, "summary_years": [*HOSTILE_NUMBERS, "6"]},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert row(db, "summary_years, version FROM term WHERE id = :t", t=term) == ("1,2,3,4,5,6", 2)


def test_school_settings_with_digits_that_are_not_numbers_are_explained(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    (school,) = row(db, "id FROM school WHERE name = 'Demoskolan'")
    before = row(
        db, "retention_read_log_days, retention_audit_days FROM school WHERE id = :s", s=school
    )
    birgitta = signed_in("principal")
    for value, message in (
        ("²", "Skriv ett helt antal dagar, 0 eller fler, eller lämna fältet tomt."),
        ("٣", "Skriv ett helt antal dagar, 0 eller fler, eller lämna fältet tomt."),
        ("9" * 5000, "Det är mer än hundra år. Skriv färre dagar."),
    ):
        page = birgitta.form(
            f"/schools/{school}/settings",
            {"guardian_relations": "Vårdnadshavare", "retention_read_log_days": value},
        )
        assert page.status_code == 422, (value[:5], page.status_code)
        assert message in page.text and "Exceeds the limit" not in page.text
    assert (
        row(db, "retention_read_log_days, retention_audit_days FROM school WHERE id = :s", s=school)
        == before
    )


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_a_record_id_past_sql_integer_is_a_404(
    db: Session, signed_in: Callable[[str], Visitor], number: int
) -> None:
    """Found by the schema fuzz test: the record's access check read the raw path value
    before Litestar bounded it, and SQLite refused the number (a 500)."""
    karin = signed_in("mentor-4a")
    for method, url, body in (
        ("POST", f"/api/agreements/{number}/follow-up", {"done": True}),
        ("PATCH", f"/api/goals/{number}", {"version": 1, "text": "x"}),
        ("PATCH", f"/api/notes/{number}", {"version": 1, "text": "x"}),
        ("POST", f"/api/self-assessments/{number}/seen", {}),
        ("POST", f"/api/goal-proposals/{number}/decision", {"accept": True}),
        ("GET", f"/api/plans/{number}", None),
        ("GET", f"/goals/{number}/edit", None),
    ):
        response = karin.client.request(
            method, url, json=body, headers={"x-csrftoken": karin.token}, follow_redirects=False
        )
        assert response.status_code in {400, 404}, (method, url, response.status_code)


@pytest.mark.parametrize("number", [2**31, 10**30])
def test_an_id_or_version_past_sql_integer_in_json_is_a_400(
    db: Session, signed_in: Callable[[str], Visitor], number: int
) -> None:
    """Found by the schema fuzz test (`/api/talk-times/{id}/move` with `"to": 10**29`): a
    JSON number that no INTEGER column holds reached the database (SQLite: OverflowError;
    PostgreSQL: out of range), a 500. Now every id and version a body names is bounded."""
    alva = demo_person(db, "alva")
    goal = first_goal(db, "alva")
    first = times_of(db, "4A")[0]
    karin = signed_in("mentor-4a")
    agreement = karin.post(
        f"/api/pupils/{alva.id}/agreements", json={"text": "Läsa", "party": "pupil", "due_on": DUE}
    )
    assert agreement.status_code == 201, agreement.text
    note = karin.post(f"/api/pupils/{alva.id}/notes", json={"text": "En anteckning"})
    assert note.status_code == 201, note.text
    question = signed_in("alva").get("/api/plan/preparation").json()["answers"][0]["question_id"]
    school, term = (
        row(db, "id FROM school WHERE name = 'Demoskolan'")[0],
        row(db, "id FROM term ORDER BY starts_on DESC LIMIT 1")[0],
    )
    code, starts, ends = row(db, "code, starts_on, ends_on FROM term WHERE id = :t", t=term)
    dates = {"code": code, "starts_on": str(starts), "ends_on": str(ends)}
    pupil, guardian, principal = (
        signed_in("alva"),
        signed_in("guardian-anna"),
        signed_in("principal"),
    )

    def put(who: Visitor, method: str, url: str, body: object) -> int:
        headers = {"x-csrftoken": who.token}
        return who.client.request(method, url, json=body, headers=headers).status_code

    refused = []
    for who, method, url, body in (
        (karin, "POST", f"/api/talk-times/{first.id}/move", {"to": number}),
        (guardian, "POST", f"/api/talk-times/{first.id}/booking", {"pupil_id": number}),
        (karin, "PATCH", f"/api/agreements/{agreement.json()['id']}", {"version": number}),
        (karin, "PATCH", f"/api/goals/{goal}", {"version": number, "text": "x"}),
        (karin, "PATCH", f"/api/notes/{note.json()['id']}", {"version": number, "text": "x"}),
        (karin, "PUT", f"/api/pupils/{alva.id}/summary", {"version": number}),
        (karin, "PUT", f"/api/pupils/{alva.id}/talk-draft", {"version": number, "text": "x"}),
        (pupil, "PUT", "/api/plan/preparation", {"version": number, "answers": []}),
        (
            pupil,
            "PUT",
            "/api/plan/preparation",
            {"version": 0, "answers": [{"question_id": number, "text": "x"}]},
        ),
        (principal, "PUT", f"/api/schools/{school}/terms/{term}", {**dates, "version": number}),
        (
            principal,
            "PUT",
            f"/api/schools/{school}/terms/{term}/questions",
            {"stage": 2, "audience": "pupil", "questions": [{"id": number}]},
        ),
    ):
        refused.append((method, url, put(who, method, url, body)))
    assert [r for r in refused if r[2] != 400] == []
    assert question
