"""Reflections, reviewed: a teacher's and a mentor's "New from my pupils", her subject
first then newest first, unread marked until seen or answered, replies the pupil and her
guardians see under the rating, and the access sweep."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from backend.models import Goal, Plan, ReadLog, Reply, Seen, SelfAssessment, Term, utcnow
from tests.integration.conftest import Visitor, demo_person

HX = {"hx-request": "true"}
ELIAS = "Sjuans tabell är svår."  # the demo's rating, answered by Sara Ek


def rate(
    db: Session, key: str, area: str, comment: str, *, level: int = 2, days_ago: float = 0
) -> int:
    pupil = demo_person(db, key)
    goal = db.exec(
        select(Goal)
        .join(Plan)
        .join(Term)
        .where(Plan.pupil_id == pupil.id, Goal.area == area)
        .order_by(col(Term.starts_on).desc())  # this term's, not last term's (demo)
    ).first()
    assert goal is not None
    assert goal.id is not None
    rating = SelfAssessment(
        goal_id=goal.id,
        level=level,
        comment=comment,
        created_at=utcnow() - timedelta(days=days_ago),
    )
    db.add(rating)
    db.commit()
    assert rating.id is not None
    return rating.id


def listed(visitor: Visitor) -> list[dict[str, object]]:
    response = visitor.get("/api/reflections")
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


def test_her_subject_first_then_newest_with_unread_marked(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    swedish = rate(db, "alva", "Svenska", "Boken var spännande.", days_ago=0.1)
    maths_old = rate(db, "alva", "Matematik", "Jag övar varje dag.", days_ago=3)
    maths_new = rate(db, "hugo", "Matematik", "Bråk är kul!", level=3, days_ago=1)
    rate(db, "alva", "Socialt", "", days_ago=0)  # no comment: not in the list
    rate(db, "maja", "Matematik", "Ekvationer!", days_ago=100)  # too old for the list
    teacher = signed_in("teacher-ek")
    items = listed(teacher)
    ids = [item["id"] for item in items]
    elias = next(item for item in items if item["comment"] == ELIAS)
    # Her subject (the demo's rating of Elias is from today) newest first, then the rest.
    assert ids == [elias["id"], maths_new, maths_old, swedish]
    assert elias["in_my_subject"] is True and items[-1]["in_my_subject"] is False
    assert elias["unread"] is False  # she has answered it
    assert [r["text"] for r in elias["replies"]] == [  # type: ignore[attr-defined]
        "Bra att du säger det! Vi övar sjuans tabell med kort på tisdag."
    ]
    new = {item["id"]: item["unread"] for item in items}
    assert new[swedish] is new[maths_old] is new[maths_new] is True
    assert "Ekvationer!" not in teacher.get("/api/reflections").text
    first = items[1]
    assert (first["pupil"], first["group"], first["area"], first["level"]) == (
        "Hugo Lund",
        "5C",
        "Matematik",
        3,
    )
    page = teacher.get("/reflections")
    assert page.status_code == 200
    text = page.text
    assert (
        text.index("Bråk är kul!")
        < text.index("Jag övar varje dag.")
        < text.index("Boken var spännande.")
    )
    assert "3 nya kommentarer" in text and "60 dagarna, högst 100" in text
    assert text.count('class="reflection__new"') == 3
    assert "Nästan</span>" in text  # the level word
    assert f'id="reflection-{maths_new}-guidance"' in text  # writing guidance


def test_the_mentor_sees_all_her_groups_pupils_and_the_reads_are_logged(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    rate(db, "alva", "Svenska", "Boken var spännande.")
    rate(db, "hugo", "Engelska", "I like English.")
    rate(db, "maja", "Matematik", "Ekvationer!")  # 8B: not hers
    mentor = signed_in("mentor-4a")
    items = listed(mentor)
    assert {item["pupil"] for item in items} == {"Alva Nilsson", "Hugo Lund", "Elias Karlsson"}
    assert all(item["unread"] for item in items)  # Sara Ek's reply is not hers
    reads = db.exec(select(ReadLog).where(ReadLog.kind == "reflections")).all()
    mentor_id = demo_person(db, "mentor-4a").id
    assert {(r.reader_id, r.pupil_id, r.role) for r in reads} == {
        (mentor_id, demo_person(db, key).id, "mentor") for key in ("alva", "hugo", "elias")
    }
    hassan = listed(signed_in("teacher-hassan"))
    assert hassan[0]["area"] == "Engelska" and hassan[0]["in_my_subject"] is True
    assert [i["pupil"] for i in listed(signed_in("mentor-8b"))] == ["Maja Andersson"]


def test_marking_as_seen_with_htmx_and_without(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    first = rate(db, "alva", "Matematik", "Jag övar varje dag.")
    second = rate(db, "alva", "Svenska", "Boken var spännande.")
    teacher = signed_in("teacher-ek")
    swapped = teacher.form(f"/self-assessments/{first}/seen", {}, headers=HX)
    assert swapped.status_code == 200 and "<html" not in swapped.text
    assert swapped.text.lstrip().startswith(
        f'<article class="card reflection" id="reflection-{first}"'
    )
    assert "Markerad som sedd." in swapped.text and "data-focus" in swapped.text
    assert "Markera som sedd" not in swapped.text.replace("Markerad som sedd", "")
    plain = teacher.form(f"/self-assessments/{second}/seen", {})
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/reflections?seen={second}#reflection-{second}-done"
    after = teacher.get(plain.headers["location"]).text
    assert "Markerad som sedd." in after
    again = teacher.form(f"/self-assessments/{second}/seen", {})  # seen once is seen
    assert again.status_code == 303
    ek = demo_person(db, "teacher-ek").id
    seen = db.exec(select(Seen).where(Seen.person_id == ek)).all()
    assert sorted(s.self_assessment_id for s in seen) == sorted([first, second])
    assert not any(item["unread"] for item in listed(teacher))
    # Seen by her is still new for the mentor.
    mentor_items = listed(signed_in("mentor-4a"))
    assert next(i for i in mentor_items if i["id"] == first)["unread"] is True


def test_a_reply_marks_it_seen_and_the_pupil_and_her_guardians_read_it(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    rating = rate(db, "alva", "Matematik", "Jag övar varje dag.")
    teacher = signed_in("teacher-ek")
    swapped = teacher.form(
        f"/self-assessments/{rating}/replies", {"text": "  Fint, fortsätt så!  "}, headers=HX
    )
    assert swapped.status_code == 200
    assert "Svaret är skickat." in swapped.text and "Fint, fortsätt så!" in swapped.text
    assert "reflection--new" not in swapped.text
    reply = db.exec(select(Reply).where(Reply.self_assessment_id == rating)).one()
    assert (reply.text, reply.author_id) == ("Fint, fortsätt så!", demo_person(db, "teacher-ek").id)
    assert db.get(Seen, (rating, reply.author_id)) is not None
    plain = teacher.form(f"/self-assessments/{rating}/replies", {"text": "Och en till."})
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/reflections?replied={rating}#reflection-{rating}-done"
    alva = demo_person(db, "alva")
    for key, url in (("alva", "/"), ("guardian-anna", f"/pupils/{alva.id}")):
        page = signed_in(key).get(url).text
        assert "Svar från Sara Ek" in page and "Fint, fortsätt så!" in page
        assert page.index("Fint, fortsätt så!") < page.index("Och en till.")
    plan = signed_in("alva").get("/api/plan").json()
    replies = [
        r["text"]
        for goal in plan["goals"]
        for a in goal["self_assessments"]
        if a["id"] == rating
        for r in a["replies"]
    ]
    assert replies == ["Fint, fortsätt så!", "Och en till."]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("  ", "Skriv ett svar."),
        ("x" * 501, "Svaret är för långt. Skriv högst 500 tecken."),
        ("Bra\x1bjobbat", "Svaret har ett tecken som vi inte kan spara."),
    ],
)
def test_a_refused_reply_says_why_in_place(
    db: Session, signed_in: Callable[[str], Visitor], text: str, message: str
) -> None:
    rating = rate(db, "alva", "Matematik", "Jag övar varje dag.")
    teacher = signed_in("teacher-ek")
    swapped = teacher.form(f"/self-assessments/{rating}/replies", {"text": text}, headers=HX)
    assert swapped.status_code == 422 and "<html" not in swapped.text
    assert message in swapped.text and 'role="alert"' in swapped.text
    assert f'href="#reflection-{rating}-text"' in swapped.text
    assert re.search(r'<details class="reply" open>', swapped.text)
    page = teacher.form(f"/self-assessments/{rating}/replies", {"text": text})
    assert page.status_code == 422 and "<html" in page.text and message in page.text
    if len(text) > 500:
        assert text in page.text, "what she wrote is kept"
    assert db.exec(select(Reply).where(Reply.self_assessment_id == rating)).all() == []
    api = teacher.post(f"/api/self-assessments/{rating}/replies", json={"text": text})
    assert api.status_code in (400, 422)


def test_replies_and_seen_need_the_csrf_token(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    rating = rate(db, "alva", "Matematik", "Jag övar varje dag.")
    teacher = signed_in("teacher-ek")
    teacher.token
    for url in (f"/self-assessments/{rating}/replies", f"/self-assessments/{rating}/seen"):
        assert teacher.client.post(url, data={"text": "Hej"}).status_code == 403
    api = teacher.client.post(f"/api/self-assessments/{rating}/replies", json={"text": "Hej"})
    assert api.status_code == 403
    assert db.exec(select(Reply).where(Reply.self_assessment_id == rating)).all() == []
    assert db.exec(select(Seen).where(Seen.self_assessment_id == rating)).all() == []


def test_reflections_as_json(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    rating = rate(db, "alva", "Matematik", "Jag övar varje dag.")
    teacher = signed_in("teacher-ek")
    body = teacher.get("/api/reflections").json()
    assert (body["days"], body["limit"]) == (60, 100)
    created = teacher.post(f"/api/self-assessments/{rating}/replies", json={"text": "Bra!"})
    assert created.status_code == 201
    assert (created.json()["author"], created.json()["text"]) == ("Sara Ek", "Bra!")
    other = rate(db, "alva", "Svenska", "Boken var spännande.")
    seen = teacher.post(f"/api/self-assessments/{other}/seen", json={})
    assert seen.status_code == 200 and seen.json()["unread"] is False
    assert seen.json()["id"] == other
    assert not any(i["unread"] for i in listed(teacher) if i["id"] in (rating, other))
    paths = teacher.get("/schema/openapi.json").json()["paths"]
    assert "get" in paths["/api/reflections"]
    assert "post" in paths["/api/self-assessments/{assessment_id}/replies"]
    assert "post" in paths["/api/self-assessments/{assessment_id}/seen"]


@pytest.mark.parametrize("key", ["maja", "elias", "guardian-lina", "guardian-mikael", "alva"])
def test_pupils_and_guardians_have_no_list(
    db: Session, signed_in: Callable[[str], Visitor], key: str
) -> None:
    rate(db, "alva", "Matematik", "Jag övar varje dag.")
    visitor = signed_in(key)
    for url in ("/reflections", "/api/reflections"):
        response = visitor.get(url)
        assert response.status_code == 403 and "Jag övar" not in response.text


@pytest.mark.parametrize(
    "key",
    [
        "maja",
        "elias",
        "teacher-6d",
        "mentor-6d",
        "mentor-8b",
        "principal-2",
        "principal",  # reads a plan with a reason, never reviews reflections
        "guardian-lina",
        "guardian-mikael",
        "guardian-anna",  # Alva's own guardian answers nothing on staff's behalf
    ],
)
def test_outsiders_can_neither_see_nor_answer_alvas_reflection(
    db: Session, signed_in: Callable[[str], Visitor], key: str
) -> None:
    rating = rate(db, "alva", "Matematik", "Jag övar varje dag.")
    outsider = signed_in(key)
    if key.startswith(("teacher", "mentor", "principal")):
        own_list = outsider.get("/reflections")
        assert own_list.status_code == 200 and "Jag övar varje dag." not in own_list.text
        assert "Alva" not in outsider.get("/api/reflections").text
    responses = [
        outsider.form(f"/self-assessments/{rating}/replies", {"text": "Inbrott"}),
        outsider.form(f"/self-assessments/{rating}/replies", {"text": "Inbrott"}, headers=HX),
        outsider.form(f"/self-assessments/{rating}/seen", {}),
        outsider.post(f"/api/self-assessments/{rating}/replies", json={"text": "Inbrott"}),
        outsider.post(f"/api/self-assessments/{rating}/seen", json={}),
    ]
    for response in responses:
        assert response.status_code in (403, 404), (response.request.url, response.status_code)
        assert "Jag övar" not in response.text and "Alva" not in response.text
    assert db.exec(select(Reply).where(Reply.self_assessment_id == rating)).all() == []
    assert db.exec(select(Seen).where(Seen.self_assessment_id == rating)).all() == []
