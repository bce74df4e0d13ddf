"""The mentor's compilation: everything for one pupil's talk on one page and as JSON, the
talk draft (mentor only, 409 with both texts on a stale save, never on a family page or
JSON), the talk held (a plan event), and the outsiders' sweep."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from backend.models import (
    Answer,
    Audience,
    Booking,
    Goal,
    Group,
    Plan,
    PlanEvent,
    Preparation,
    Question,
    ReadLog,
    SelfAssessment,
    TalkDraft,
    TalkTime,
    Term,
    utcnow,
)
from tests.integration.conftest import Visitor, demo_person

SECRET = "Vi pratar om läsningen hemma (utkast)"


def plan_of(db: Session, key: str) -> Plan:
    db.expire_all()
    pupil = demo_person(db, key)
    # This term's: 5C pupils have last term's plan too (the demo).
    return db.exec(
        select(Plan)
        .join(Term, col(Term.id) == Plan.term_id)
        .where(Plan.pupil_id == pupil.id, col(Term.starts_on) <= date.today())  # noqa: DTZ011
        .order_by(col(Term.starts_on).desc())
    ).first()


def prepare(
    db: Session,
    *,
    pupil_key: str,
    author_key: str,
    audience: Audience,
    text: str,
    ready: bool = False,
    shared: bool = False,
) -> None:
    plan = plan_of(db, pupil_key)
    author = demo_person(db, author_key)
    question = db.exec(
        select(Question)
        .where(
            Question.term_id == plan.term_id,
            Question.audience == audience.value,
            Question.stage == 2,
        )
        .order_by(Question.position)
    ).first()
    assert question is not None and plan.id is not None and author.id is not None
    prep = Preparation(
        plan_id=plan.id,
        author_id=author.id,
        audience=audience.value,
        shared=shared,
        ready_at=utcnow() if ready else None,
        updated_at=utcnow(),
    )
    db.add(prep)
    db.flush()
    assert prep.id is not None and question.id is not None
    db.add(Answer(preparation_id=prep.id, question_id=question.id, text=text))
    db.commit()


def book(db: Session, *, pupil_key: str, guardian_key: str) -> None:
    plan = plan_of(db, pupil_key)
    pupil = demo_person(db, pupil_key)
    group = db.exec(select(Group).where(Group.name == "4A")).one()
    start = utcnow().replace(microsecond=0) + timedelta(days=3)
    slot = TalkTime(
        group_id=group.id or 0,
        term_id=plan.term_id,
        mentor_id=demo_person(db, "mentor-4a").id or 0,
        starts_at=start,
        ends_at=start + timedelta(minutes=20),
        closes_at=start - timedelta(days=1),
        place="Rum 12",
    )
    db.add(slot)
    db.flush()
    db.add(
        Booking(
            talk_time_id=slot.id or 0,
            pupil_id=pupil.id or 0,
            term_id=plan.term_id,
            booked_by_id=demo_person(db, guardian_key).id or 0,
        )
    )
    db.commit()


def test_the_compilation_gathers_everything_for_the_talk(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    prepare(
        db,
        pupil_key="alva",
        author_key="alva",
        audience=Audience.PUPIL,
        text="Bråk gick bra",
        ready=True,
    )
    prepare(
        db,
        pupil_key="alva",
        author_key="guardian-anna",
        audience=Audience.GUARDIAN,
        text="Hon läser mycket hemma",
    )
    book(db, pupil_key="alva", guardian_key="guardian-anna")
    mentor = signed_in("mentor-4a")
    page = mentor.get(f"/pupils/{alva.id}/compilation")
    assert page.status_code == 200, page.text
    assert "Alva använder tallinjen själv" in page.text  # the shared note
    assert "extra lästid på torsdagar" in page.text  # the staff-only note
    assert "Bråk gick bra" in page.text and "Hon läser mycket hemma" in page.text
    assert "Rum 12" in page.text
    assert "Inga överenskommelser" in page.text or "No agreements" in page.text
    assert (
        'class="chart"' in page.text or "Never rated" in page.text or "aldrig berättat" in page.text
    )
    data = mentor.get(f"/api/pupils/{alva.id}/compilation").json()
    preps = {p["author"]: p for p in data["preparations"]}
    assert preps["Alva Nilsson"]["state"] == "ready"
    assert preps["Anna Nilsson"]["state"] == "started"
    assert preps["Per Nilsson"]["state"] == "not_started"  # every guardian with access
    assert data["booking"]["place"] == "Rum 12"
    assert (data["draft"]["text"], data["draft"]["version"]) == ("", 0)
    assert any("tallinjen" in n["text"] for n in data["notes"])
    assert data["held"] is False
    reads = db.exec(
        select(ReadLog).where(ReadLog.pupil_id == alva.id, ReadLog.kind == "compilation")
    ).all()
    assert len(reads) == 1  # the page and the JSON: one read the same school day, logged once


def test_last_terms_goals_with_their_last_rating(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    now = plan_of(db, "alva")
    term = db.get(Term, now.term_id)
    assert term is not None
    earlier = Term(
        school_id=term.school_id,
        code="VT2000",
        starts_on=date(2000, 1, 8),
        ends_on=date(2000, 6, 10),
    )
    db.add(earlier)
    db.flush()
    old = Plan(pupil_id=alva.id or 0, term_id=earlier.id or 0, state="archived")
    db.add(old)
    db.flush()
    goal = Goal(plan_id=old.id or 0, area="Svenska", text="Läsa kapitelböcker")
    db.add(goal)
    db.flush()
    db.add(SelfAssessment(goal_id=goal.id or 0, level=3))
    db.commit()
    data = signed_in("mentor-4a").get(f"/api/pupils/{alva.id}/compilation").json()
    assert data["last_term"]["term"] == "VT2000"
    assert data["last_term"]["goals"][0]["text"] == "Läsa kapitelböcker"
    assert data["last_term"]["goals"][0]["level"] == 3
    assert data["last_term"]["agreements"] == []


def test_the_mentor_writes_the_draft_and_a_stale_save_shows_both_texts(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    mentor = signed_in("mentor-4a")
    first = mentor.post(f"/api/pupils/{alva.id}/talk-draft", json={})
    assert first.status_code in (400, 405)
    saved = mentor.client.put(
        f"/api/pupils/{alva.id}/talk-draft",
        json={"version": 0, "text": SECRET},
        headers={"x-csrftoken": mentor.token},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 1
    again = mentor.client.put(
        f"/api/pupils/{alva.id}/talk-draft",
        json={"version": 0, "text": "Annat"},
        headers={"x-csrftoken": mentor.token},
    )
    assert again.status_code == 409
    assert again.json()["current"]["text"] == SECRET
    # The form: a stale version shows hers and the stored text
    stale = mentor.form(f"/pupils/{alva.id}/talk-draft", {"text": "Min nya text", "version": "0"})
    assert stale.status_code == 409
    assert "Min nya text" in stale.text and SECRET in stale.text
    ok = mentor.form(f"/pupils/{alva.id}/talk-draft", {"text": "Min nya text", "version": "1"})
    assert ok.status_code == 303
    assert ok.headers["location"] == f"/pupils/{alva.id}/compilation?saved=1#done"
    db.expire_all()
    draft = db.get(TalkDraft, plan_of(db, "alva").id)
    assert draft is not None and (draft.text, draft.version) == ("Min nya text", 2)


def test_a_teacher_reads_but_may_not_write_the_draft_nor_mark_it_held(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    teacher = signed_in("teacher-ek")
    assert teacher.get(f"/pupils/{alva.id}/compilation").status_code == 200
    assert (
        f'action="/pupils/{alva.id}/talk-draft"'
        not in teacher.get(f"/pupils/{alva.id}/compilation").text
    )
    put = teacher.client.put(
        f"/api/pupils/{alva.id}/talk-draft",
        json={"version": 0, "text": "x"},
        headers={"x-csrftoken": teacher.token},
    )
    assert put.status_code == 403
    assert (
        teacher.form(f"/pupils/{alva.id}/talk-draft", {"text": "x", "version": "0"}).status_code
        == 403
    )
    assert teacher.post(f"/api/pupils/{alva.id}/talk-held").status_code == 403
    db.expire_all()
    assert db.get(TalkDraft, plan_of(db, "alva").id) is None
    assert plan_of(db, "alva").state == "preparing"


def test_the_mentor_marks_the_talk_held_once(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    mentor = signed_in("mentor-4a")
    done = mentor.form(f"/pupils/{alva.id}/talk-held", {})
    assert done.status_code == 303
    assert done.headers["location"] == f"/pupils/{alva.id}/compilation?held=1#held"
    assert plan_of(db, "alva").state == "held"
    again = mentor.post(f"/api/pupils/{alva.id}/talk-held")
    assert again.status_code == 200 and again.json() == {"held": True, "changed": False}
    plan = plan_of(db, "alva")
    events = db.exec(select(PlanEvent).where(PlanEvent.plan_id == plan.id)).all()
    assert [(e.state, e.by_id) for e in events] == [("held", demo_person(db, "mentor-4a").id)]
    assert mentor.get(f"/api/pupils/{alva.id}/compilation").json()["held"] is True


def test_the_draft_never_reaches_the_family(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    mentor = signed_in("mentor-4a")
    mentor.form(f"/pupils/{alva.id}/talk-draft", {"text": SECRET, "version": "0"})
    pupil = signed_in("alva")
    guardian = signed_in("guardian-anna")
    for who, urls in (
        (pupil, ["/", "/api/plan", f"/api/pupils/{alva.id}/notes"]),
        (
            guardian,
            [f"/pupils/{alva.id}", f"/api/pupils/{alva.id}/plan", f"/api/pupils/{alva.id}/notes"],
        ),
    ):
        for url in urls:
            response = who.get(url)
            assert SECRET not in response.text, url
        for url in (f"/pupils/{alva.id}/compilation", f"/api/pupils/{alva.id}/compilation"):
            assert who.get(url).status_code == 404


@pytest.mark.parametrize(
    ("key", "pupil_key"),
    [
        ("elias", "alva"),
        ("guardian-lina", "alva"),
        ("guardian-mikael", "maja"),
        ("mentor-6d", "alva"),
        ("teacher-6d", "hugo"),
        ("mentor-8b", "alva"),
        ("principal-2", "alva"),
        ("principal", "alva"),
        ("alva", "alva"),
        ("guardian-anna", "alva"),
    ],
)
def test_outsiders_get_404_and_change_nothing(
    db: Session, signed_in: Callable[[str], Visitor], key: str, pupil_key: str
) -> None:
    pupil = demo_person(db, pupil_key)
    who = signed_in(key)
    assert who.get(f"/pupils/{pupil.id}/compilation").status_code == 404
    assert who.get(f"/api/pupils/{pupil.id}/compilation").status_code == 404
    put = who.client.put(
        f"/api/pupils/{pupil.id}/talk-draft",
        json={"version": 0, "text": "x"},
        headers={"x-csrftoken": who.token},
    )
    assert put.status_code == 404
    assert (
        who.form(f"/pupils/{pupil.id}/talk-draft", {"text": "x", "version": "0"}).status_code == 404
    )
    assert who.post(f"/api/pupils/{pupil.id}/talk-held").status_code == 404
    assert who.form(f"/pupils/{pupil.id}/talk-held", {}).status_code == 404
    db.expire_all()
    plan = plan_of(db, pupil_key)
    assert db.get(TalkDraft, plan.id) is None
    assert plan.state == "preparing"
    assert db.exec(select(PlanEvent)).all() == []


def test_the_family_reads_what_the_mentor_read(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """The read log says what was read: the compilation, in the guardian's words."""
    alva = demo_person(db, "alva")
    anna = signed_in("guardian-anna")
    log = anna.get(f"/pupils/{alva.id}").text.split('<details class="read-log">')[1]
    assert "sammanställningen inför samtalet" not in log
    assert signed_in("mentor-4a").get(f"/pupils/{alva.id}/compilation").status_code == 200
    log = anna.get(f"/pupils/{alva.id}").text.split('<details class="read-log">')[1]
    assert "Karin Lind (mentor) · sammanställningen inför samtalet · " in log
