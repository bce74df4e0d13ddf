"""Who is ready (the overview's columns), the mentor's reminder (who it reaches, one digest
a person a day), and each person's notifications: the header's unread count, the list in
the reader's language, read when opened; and the outsiders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from backend.models import (
    Booking,
    Group,
    Notification,
    NotificationItem,
    Plan,
    Preparation,
    TalkTime,
    utcnow,
)
from tests.integration.conftest import Visitor, demo_person


def group_id(db: Session, name: str) -> int:
    group = db.exec(select(Group).where(Group.name == name)).one()
    assert group.id is not None
    return group.id


def plan_id(db: Session, key: str) -> int:
    pupil = demo_person(db, key)
    plan = db.exec(select(Plan).where(Plan.pupil_id == pupil.id)).one()
    assert plan.id is not None
    return plan.id


def ready(db: Session, *, pupil_key: str, author_key: str, audience: str, done: bool) -> None:
    author = demo_person(db, author_key)
    db.add(
        Preparation(
            plan_id=plan_id(db, pupil_key),
            author_id=author.id or 0,
            audience=audience,
            ready_at=utcnow() if done else None,
            updated_at=utcnow(),
        )
    )
    db.commit()


def book(db: Session, *, pupil_key: str, by: str) -> None:
    plan = db.get(Plan, plan_id(db, pupil_key))
    assert plan is not None
    start = utcnow().replace(microsecond=0) + timedelta(days=2)
    slot = TalkTime(
        group_id=group_id(db, "4A"),
        term_id=plan.term_id,
        mentor_id=demo_person(db, "mentor-4a").id or 0,
        starts_at=start,
        ends_at=start + timedelta(minutes=20),
        closes_at=start - timedelta(hours=12),
    )
    db.add(slot)
    db.flush()
    db.add(
        Booking(
            talk_time_id=slot.id or 0,
            pupil_id=plan.pupil_id,
            term_id=plan.term_id,
            booked_by_id=demo_person(db, by).id or 0,
        )
    )
    db.commit()


def items_of(db: Session, key: str) -> list[tuple[str, int | None]]:
    db.expire_all()
    person = demo_person(db, key)
    return sorted(
        (item.kind, item.pupil_id)
        for item in db.exec(
            select(NotificationItem).join(Notification).where(Notification.person_id == person.id)
        )
    )


def test_the_overview_shows_who_is_ready(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    alva, elias = demo_person(db, "alva"), demo_person(db, "elias")
    ready(db, pupil_key="alva", author_key="alva", audience="pupil", done=True)
    ready(db, pupil_key="alva", author_key="guardian-anna", audience="guardian", done=True)
    ready(db, pupil_key="elias", author_key="elias", audience="pupil", done=False)
    book(db, pupil_key="alva", by="guardian-per")
    mentor = signed_in("mentor-4a")
    rows = {
        r["id"]: r for r in mentor.get(f"/api/groups/{group_id(db, '4A')}/overview").json()["rows"]
    }
    a, e = rows[alva.id], rows[elias.id]
    assert (a["prepared"], a["guardians_ready"], a["guardians"], a["held"]) == (
        "ready",
        1,
        2,
        False,
    )
    assert a["booked_at"] is not None
    assert (e["prepared"], e["guardians_ready"], e["guardians"], e["booked_at"]) == (
        "started",
        0,
        1,
        None,
    )
    page = mentor.get(f"/groups/{group_id(db, '4A')}").text
    assert "1 av 2" in page and "Påbörjad" in page
    assert f'href="/pupils/{alva.id}/compilation"' in page
    assert f'action="/groups/{group_id(db, "4A")}/reminders"' in page


def test_a_restricted_guardian_is_not_counted(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    maja = demo_person(db, "maja")
    rows = signed_in("mentor-8b").get(f"/api/groups/{group_id(db, '8B')}/overview").json()
    row = next(r for r in rows["rows"] if r["id"] == maja.id)
    assert row["guardians"] == 1  # Eva; Mikael has no access


def test_the_reminder_reaches_who_has_not_prepared_or_booked(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva, elias = demo_person(db, "alva"), demo_person(db, "elias")
    ready(db, pupil_key="alva", author_key="alva", audience="pupil", done=True)
    ready(db, pupil_key="alva", author_key="guardian-anna", audience="guardian", done=True)
    book(db, pupil_key="alva", by="guardian-anna")
    mentor = signed_in("mentor-4a")
    sent = mentor.form(f"/groups/{group_id(db, '4A')}/reminders", {})
    assert sent.status_code == 303
    # Per (not ready) and Elias, Lina (Elias's guardian: prepare and book)
    assert sent.headers["location"].startswith(f"/groups/{group_id(db, '4A')}?reminded=3")
    assert items_of(db, "alva") == []
    assert items_of(db, "guardian-anna") == []
    assert items_of(db, "guardian-per") == [("prepare", alva.id)]
    assert items_of(db, "elias") == [("prepare", elias.id)]
    assert items_of(db, "guardian-lina") == [("book", elias.id), ("prepare", elias.id)]
    page = mentor.get(sent.headers["location"])
    assert "Påminnelsen nådde 3 personer." in page.text
    # The same day again: nothing new, still one digest each
    again = mentor.post(f"/api/groups/{group_id(db, '4A')}/reminders")
    assert again.status_code == 200 and again.json() == {"reached": 0}
    lina = demo_person(db, "guardian-lina")
    db.expire_all()
    assert len(db.exec(select(Notification).where(Notification.person_id == lina.id)).all()) == 1


def test_a_teacher_may_not_send_reminders(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    teacher = signed_in("teacher-ek")
    assert teacher.post(f"/api/groups/{group_id(db, '4A')}/reminders").status_code == 403
    assert teacher.form(f"/groups/{group_id(db, '4A')}/reminders", {}).status_code == 403
    assert "/reminders" not in teacher.get(f"/groups/{group_id(db, '4A')}").text
    db.expire_all()
    assert db.exec(select(Notification)).all() == []


@pytest.mark.parametrize(
    "key",
    [
        "mentor-6d",
        "teacher-6d",
        "mentor-8b",
        "principal-2",
        "alva",
        "guardian-anna",
        "guardian-mikael",
    ],
)
def test_outsiders_send_no_reminders(
    db: Session, signed_in: Callable[[str], Visitor], key: str
) -> None:
    who = signed_in(key)
    assert who.post(f"/api/groups/{group_id(db, '4A')}/reminders").status_code in (403, 404)
    assert who.form(f"/groups/{group_id(db, '4A')}/reminders", {}).status_code in (403, 404)
    db.expire_all()
    assert db.exec(select(Notification)).all() == []


def test_the_header_counts_unread_and_the_list_is_read_when_opened(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    elias = demo_person(db, "elias")
    lina = signed_in("guardian-lina")
    assert 'id="unread-count"' not in lina.get(f"/pupils/{elias.id}").text
    signed_in("mentor-4a").post(f"/api/groups/{group_id(db, '4A')}/reminders")
    home = lina.get(f"/pupils/{elias.id}").text
    assert '<span class="count" id="unread-count">2' in home
    data = lina.get("/api/notifications").json()
    assert data["unread"] == 2
    texts = {i["text"] for n in data["notifications"] for i in n["items"]}
    assert texts == {
        "Dags att förbereda utvecklingssamtalet för Elias",
        "Boka en tid för samtalet om Elias",
    }
    links = {i["link"] for n in data["notifications"] for i in n["items"]}
    assert links == {f"/pupils/{elias.id}/preparation", f"/pupils/{elias.id}/talk-times"}
    assert [lina.get(link).status_code for link in sorted(links)] == [200, 200], "they lead"
    page = lina.get("/notifications")
    assert page.status_code == 200
    assert "Boka en tid för samtalet om Elias" in page.text and "Ny" in page.text
    assert 'id="unread-count"' not in page.text
    assert lina.get("/api/notifications").json()["unread"] == 0
    assert 'id="unread-count"' not in lina.get(f"/pupils/{elias.id}").text
    # The pupil reads about her own talk
    pupil = signed_in("elias")
    assert [
        i["text"]
        for n in pupil.get("/api/notifications").json()["notifications"]
        for i in n["items"]
    ] == ["Dags att förbereda ditt utvecklingssamtal"]
    assert pupil.post("/api/notifications/read").json()["unread"] == 0


def test_a_guardian_reads_in_her_language(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    signed_in("mentor-8b").post(f"/api/groups/{group_id(db, '8B')}/reminders")
    layla = signed_in("guardian-layla")
    english = layla.get("/api/notifications", headers={"accept-language": "en"}).json()
    assert english["unread"] == 2
    assert english["notifications"][0]["items"]
