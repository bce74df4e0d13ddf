"""Threads (issue 24, items 1 and 6): a goal's thread and the plan's, written by the pupil,
her guardians with access, her mentor and the goal's teacher; unread marks on the pupil's
home and her guardian's plan; "New from my pupils"; the five-minute change; the read log;
the JSON shapes; and 404 for everyone outside."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from sqlmodel import Session, col, select

from backend.models import (
    Goal,
    Message,
    MessageRead,
    Notification,
    NotificationItem,
    Plan,
    ReadLog,
    Reply,
    SelfAssessment,
    Term,
)
from tests.integration.conftest import Visitor, demo_person


def goal_of(db: Session, key: str, area: str) -> Goal:
    pupil = demo_person(db, key)
    goal = db.exec(
        select(Goal)
        .join(Plan)
        .join(Term)
        .where(Plan.pupil_id == pupil.id, Goal.area == area)
        .order_by(col(Term.starts_on).desc())
    ).first()
    assert goal is not None and goal.id is not None
    return goal


def reads(db: Session, key: str) -> list[tuple[int, str, str]]:
    pupil = demo_person(db, key)
    return [
        (r.reader_id, r.kind, r.role)
        for r in db.exec(
            select(ReadLog).where(ReadLog.pupil_id == pupil.id, ReadLog.kind == "thread")
        )
    ]


def test_a_teacher_answers_the_pupil_sees_new_answer_and_answers_back(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    goal = goal_of(db, "alva", "Matematik")
    teacher, alva, anna = signed_in("teacher-ek"), signed_in("alva"), signed_in("guardian-anna")
    home = alva.get("/")
    assert "Nytt svar" not in home.text
    assert f'href="/goals/{goal.id}/thread"' in home.text  # the way in, without a mark

    sent = teacher.post(
        f"/api/goals/{goal.id}/messages", json={"text": "  Bra jobbat med tabellerna!  "}
    )
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert body["text"] == "Bra jobbat med tabellerna!"
    assert (body["author"], body["role"], body["read"], body["mine"]) == (
        "Sara Ek",
        "teacher",
        True,
        True,
    )
    assert body["goal_id"] == goal.id and body["edited_at"] is None
    assert body["editable_until"] is not None

    # Her home marks the goal within one page load; the mark links to the thread.
    home = alva.get("/")
    mark = re.search(r'<a class="thread-new" href="([^"]+)">Nytt svar', home.text)
    assert mark is not None and mark.group(1) == f"/goals/{goal.id}/thread"
    listing = alva.get(f"/api/goals/{goal.id}/messages").json()
    assert [(m["text"], m["read"]) for m in listing["messages"]] == [
        ("Bra jobbat med tabellerna!", False)
    ]
    assert set(listing) >= {"plan_id", "goal_id", "messages", "before", "may_write"}
    # Opening the page marks it read and focuses the box.
    page = alva.get(mark.group(1))
    assert page.status_code == 200
    assert "Bra jobbat med tabellerna!" in page.text and "Sara Ek" in page.text
    assert re.search(r'<textarea id="thread-text"[^>]*autofocus', page.text)
    assert "Skriv inte om andra elever" in page.text  # the guidance beside the box
    assert "Nytt svar" not in alva.get("/").text

    answered = alva.form(f"/goals/{goal.id}/thread", {"text": "Tack! Jag övar på sjuans tabell."})
    assert answered.status_code == 303
    assert re.search(
        rf"/goals/{goal.id}/thread\?sent=\d+#message-\d+$", answered.headers["location"]
    )

    # The guardian sees both, and the new answer on her view of the plan.
    seen = anna.get(f"/pupils/{demo_person(db, 'alva').id}")
    assert "Nytt svar" in seen.text
    thread = anna.get(f"/api/goals/{goal.id}/messages").json()
    assert [(m["author"], m["role"]) for m in thread["messages"]] == [
        ("Sara Ek", "teacher"),
        ("Alva Nilsson", "self"),
    ]
    # The teacher sees the answer in "New from my pupils", and each party was told.
    listed = teacher.get("/api/reflections").json()["messages"]
    assert [(m["text"], m["role"], m["goal_id"]) for m in listed] == [
        ("Tack! Jag övar på sjuans tabell.", "self", goal.id)
    ]
    assert "Tack! Jag övar på sjuans tabell." in teacher.get("/reflections").text
    told = {
        n.person_id
        for n, i in db.exec(
            select(Notification, NotificationItem).where(
                NotificationItem.notification_id == Notification.id,
                NotificationItem.kind == "message",
            )
        )
    }
    assert demo_person(db, "alva").id in told and demo_person(db, "guardian-anna").id in told
    assert demo_person(db, "teacher-ek").id in told and demo_person(db, "mentor-4a").id in told
    assert demo_person(db, "teacher-hassan").id not in told  # not the goal's teacher


def test_reads_by_others_are_logged_and_the_mark_read_endpoint(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    goal = goal_of(db, "alva", "Svenska")
    alva, mentor, anna = signed_in("alva"), signed_in("mentor-4a"), signed_in("guardian-anna")
    first = alva.post(
        f"/api/goals/{goal.id}/messages", json={"text": "Jag läser Bröderna Lejonhjärta."}
    )
    assert first.status_code == 201
    assert reads(db, "alva") == []  # her own reads are not logged
    assert alva.get(f"/goals/{goal.id}/thread").status_code == 200
    assert reads(db, "alva") == []
    listing = mentor.get(f"/api/goals/{goal.id}/messages").json()
    assert listing["messages"][0]["read"] is False  # the API's GET marks nothing
    assert anna.get(f"/goals/{goal.id}/thread").status_code == 200
    mentor_id, anna_id = demo_person(db, "mentor-4a").id, demo_person(db, "guardian-anna").id
    assert sorted(reads(db, "alva")) == sorted(
        [(mentor_id, "thread", "mentor"), (anna_id, "thread", "guardian")]
    )
    marked = mentor.post(f"/api/messages/{first.json()['id']}/read")
    assert marked.status_code == 200 and marked.json()["read"] is True
    again = mentor.post(f"/api/messages/{first.json()['id']}/read")
    assert again.status_code == 200
    assert db.get(MessageRead, (first.json()["id"], mentor_id)) is not None
    # The plan's own thread: the mentor and any of her teachers write there.
    plan_id = goal.plan_id
    hassan = signed_in("teacher-hassan")
    made = hassan.post(f"/api/plans/{plan_id}/messages", json={"text": "Välkommen till samtalet."})
    assert made.status_code == 201 and made.json()["goal_id"] is None
    plan_thread = alva.get(f"/api/plans/{plan_id}/messages").json()
    assert [m["text"] for m in plan_thread["messages"]] == ["Välkommen till samtalet."]
    assert "Nytt svar om hela planen" in alva.get("/").text
    # Another subject's teacher reads a goal's thread but does not write in it.
    refused = hassan.post(f"/api/goals/{goal.id}/messages", json={"text": "Hej"})
    assert refused.status_code == 403


def test_the_writer_changes_her_message_for_five_minutes(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    goal = goal_of(db, "alva", "Socialt")
    alva, anna = signed_in("alva"), signed_in("guardian-anna")
    made = alva.post(
        f"/api/goals/{goal.id}/messages", json={"text": "Jag räckte upp handen."}
    ).json()
    assert anna.patch if hasattr(anna, "patch") else True
    other = anna.client.patch(
        f"/api/messages/{made['id']}", json={"text": "Nej"}, headers={"x-csrftoken": anna.token}
    )
    assert other.status_code == 403
    changed = alva.client.patch(
        f"/api/messages/{made['id']}",
        json={"text": "Jag räckte upp handen tre gånger."},
        headers={"x-csrftoken": alva.token},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["text"] == "Jag räckte upp handen tre gånger."
    assert changed.json()["edited_at"] is not None
    assert alva.get(f"/messages/{made['id']}/edit").status_code == 200
    # Six minutes later (the clock moved: the message written earlier), 403 with a reason.
    message = db.get(Message, made["id"])
    assert message is not None
    message.created_at -= timedelta(minutes=6)
    db.add(message)
    db.commit()
    late = alva.client.patch(
        f"/api/messages/{made['id']}",
        json={"text": "För sent"},
        headers={"x-csrftoken": alva.token},
    )
    assert late.status_code == 403
    assert "5 minuter" in late.json()["message"]
    assert alva.get(f"/messages/{made['id']}/edit").status_code == 403
    page = alva.form(f"/messages/{made['id']}/edit", {"text": "För sent"})
    assert page.status_code == 403 and "5 minuter" in page.text
    db.refresh(message)
    assert message.text == "Jag räckte upp handen tre gånger."


def test_outsiders_get_404(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    goal = goal_of(db, "maja", "Matematik")  # 8B: Sara Ek teaches it, not Ulla Strand
    maja = signed_in("maja")
    made = maja.post(f"/api/goals/{goal.id}/messages", json={"text": "Ekvationer är svåra."})
    assert made.status_code == 201
    message_id = made.json()["id"]
    for key in ("alva", "guardian-mikael", "teacher-6d", "principal"):
        outsider = signed_in(key)
        for answer in (
            outsider.get(f"/api/goals/{goal.id}/messages"),
            outsider.get(f"/goals/{goal.id}/thread"),
            outsider.get(f"/api/plans/{goal.plan_id}/messages"),
            outsider.post(f"/api/goals/{goal.id}/messages", json={"text": "Inbrott"}),
            outsider.form(f"/goals/{goal.id}/thread", {"text": "Inbrott"}),
            outsider.post(f"/api/plans/{goal.plan_id}/messages", json={"text": "Inbrott"}),
            outsider.post(f"/api/messages/{message_id}/read"),
            outsider.get(f"/messages/{message_id}/edit"),
        ):
            assert answer.status_code == 404, (key, answer.request.url, answer.text)
    assert [m.text for m in db.exec(select(Message).where(Message.plan_id == goal.plan_id))] == [
        "Ekvationer är svåra."
    ]


def test_a_reply_to_a_rating_reaches_the_thread(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    goal = goal_of(db, "alva", "Matematik")
    rating = SelfAssessment(goal_id=goal.id, level=2, comment="Sjuan är svår.")  # type: ignore[arg-type]
    db.add(rating)
    db.commit()
    teacher, alva = signed_in("teacher-ek"), signed_in("alva")
    answered = teacher.form(
        f"/self-assessments/{rating.id}/replies", {"text": "Vi övar på onsdag."}
    )
    assert answered.status_code == 303
    reply = db.exec(select(Reply).where(Reply.self_assessment_id == rating.id)).one()
    carried = db.exec(select(Message).where(Message.reply_id == reply.id)).one()
    assert (carried.goal_id, carried.text, carried.role) == (
        goal.id,
        "Vi övar på onsdag.",
        "teacher",
    )
    assert "Nytt svar" in alva.get("/").text
    page = alva.get(f"/goals/{goal.id}/thread").text
    assert page.count("Vi övar på onsdag.") == 1  # carried, not shown twice


def test_a_long_thread_comes_a_page_at_a_time(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    goal = goal_of(db, "alva", "Matematik")
    alva = signed_in("alva")
    pupil_id = demo_person(db, "alva").id
    assert pupil_id is not None and goal.id is not None
    db.add_all(
        Message(
            plan_id=goal.plan_id, goal_id=goal.id, author_id=pupil_id, role="self", text=f"Nr {n}"
        )
        for n in range(200)
    )
    db.commit()
    page = alva.get(f"/goals/{goal.id}/thread")
    shown = re.findall(r'class="thread__text">Nr (\d+)<', page.text)
    assert len(shown) == 50 and shown[0] == "150" and shown[-1] == "199"
    older = re.search(r'href="\?before=(\d+)"', page.text)
    assert older is not None
    second = alva.get(f"/goals/{goal.id}/thread?before={older.group(1)}")
    assert re.findall(r'class="thread__text">Nr (\d+)<', second.text)[0] == "100"
    api = alva.get(f"/api/goals/{goal.id}/messages").json()
    assert len(api["messages"]) == 50 and api["before"] == api["messages"][0]["id"]
    last = alva.get(
        f"/api/goals/{goal.id}/messages?before={api['messages'][0]['id']}&limit=200"
    ).json()
    assert len(last["messages"]) == 150 and last["before"] is None
