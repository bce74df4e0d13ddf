"""Issue 10, part 2: a pupil's guardian links on the staff's page and in JSON — every
relation type, access, the staff decision — and her mentor or principal opening a
restricted link or restricting an open one (a confirmation step, CSRF, an audit entry),
which the guardian feels at once. Teachers read but do not change; everyone outside the
pupil's links gets 403/404 and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, col, select

from backend.models import AuditEvent, GroupPupil, GroupTeacher, Guardianship
from tests.integration.conftest import Visitor, demo_person


def links(db: Session) -> list[tuple[int, int, bool, Any, Any]]:
    db.expire_all()
    return [
        (g.guardian_id, g.pupil_id, g.has_access, g.decided_at, g.decided_by_id)
        for g in db.exec(select(Guardianship).order_by(col(Guardianship.guardian_id)))
    ]


def audits(db: Session) -> list[tuple[str, int | None, int | None, str]]:
    db.expire_all()
    rows = db.exec(select(AuditEvent).where(col(AuditEvent.kind).startswith("guardian_")))
    return [(a.kind, a.actor_id, a.pupil_id, a.detail) for a in rows]


def put(visitor: Visitor, url: str, body: dict[str, Any]) -> Any:
    return visitor.client.put(url, json=body, headers={"x-csrftoken": visitor.token})


def test_staff_see_every_link_with_its_relation_and_access(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    maja, eva, mikael = (demo_person(db, k) for k in ("maja", "guardian-eva", "guardian-mikael"))
    link = db.get(Guardianship, (eva.id, maja.id))
    assert link is not None
    link.relation = "God man"
    db.add(link)
    db.commit()
    for key in ("mentor-8b", "teacher-ek"):
        staff = signed_in(key)
        listed = staff.get(f"/api/pupils/{maja.id}/guardians")
        assert listed.status_code == 200, (key, listed.text)
        assert [(g["name"], g["relation"], g["has_access"]) for g in listed.json()] == [
            ("Eva Andersson", "God man", True),
            ("Mikael Andersson", "Vårdnadshavare", False),
        ]
        page = staff.get(f"/pupils/{maja.id}/guardians")
        assert page.status_code == 200
        for words in ("God man", "Vårdnadshavare", "Har tillgång", "Begränsad"):
            assert words in page.text, (key, words)
        can_change = f"/pupils/{maja.id}/guardians/{mikael.id}/access" in page.text
        assert can_change is (key == "mentor-8b"), key
    assert signed_in("principal").get(f"/pupils/{maja.id}/guardians").status_code == 200
    assert (
        f'href="/pupils/{maja.id}/guardians"'
        in signed_in("mentor-8b").get(f"/pupils/{maja.id}").text
    )


def test_the_mentor_opens_a_restricted_link_after_confirming(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    maja, mikael, mentor_person = (
        demo_person(db, k) for k in ("maja", "guardian-mikael", "mentor-8b")
    )
    guardian = signed_in("guardian-mikael")
    assert guardian.get(f"/pupils/{maja.id}").status_code == 404
    mentor = signed_in("mentor-8b")
    url = f"/pupils/{maja.id}/guardians/{mikael.id}/access"
    before = links(db)
    asked = mentor.form(url, {"has_access": "1"})
    assert asked.status_code == 200 and "Öppna tillgången för Mikael Andersson?" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert links(db) == before  # only asked
    no_token = mentor.client.post(url, data={"has_access": "1", "confirm": "yes"})
    assert no_token.status_code == 403 and links(db) == before  # CSRF like every form
    done = mentor.form(url, {"has_access": "1", "confirm": "yes"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/pupils/{maja.id}/guardians?changed={mikael.id}"
    link = db.get(Guardianship, (mikael.id, maja.id))
    assert link is not None and link.has_access and link.decided_at is not None
    assert link.decided_by_id == mentor_person.id
    assert audits(db) == [("guardian_opened", mentor_person.id, maja.id, f"guardian {mikael.id}")]
    shown = mentor.get(done.headers["location"])
    assert "Mikael Andersson har nu tillgång till planen." in shown.text
    assert "Beslutat av Johan Berg" in shown.text
    assert guardian.get(f"/pupils/{maja.id}").status_code == 200  # at once


def test_the_principal_restricts_an_open_link_by_json(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    maja, eva, principal = (demo_person(db, k) for k in ("maja", "guardian-eva", "principal"))
    guardian = signed_in("guardian-eva")
    assert guardian.get(f"/api/pupils/{maja.id}/plan").status_code == 200
    answer = put(
        signed_in("principal"),
        f"/api/pupils/{maja.id}/guardians/{eva.id}/access",
        {"has_access": False},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["guardian_id"], body["has_access"], body["decided_by"]) == (
        eva.id,
        False,
        "Birgitta Holm",
    )
    assert body["decided_at"] is not None and body["relation"] == "Vårdnadshavare"
    assert guardian.get(f"/api/pupils/{maja.id}/plan").status_code == 404
    assert guardian.get(f"/pupils/{maja.id}").status_code == 404
    assert audits(db) == [("guardian_restricted", principal.id, maja.id, f"guardian {eva.id}")]


def test_a_teacher_reads_but_may_not_decide(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    maja, mikael = demo_person(db, "maja"), demo_person(db, "guardian-mikael")
    teacher = signed_in("teacher-ek")
    before = links(db)
    url = f"/api/pupils/{maja.id}/guardians/{mikael.id}/access"
    refused = put(teacher, url, {"has_access": True})
    assert refused.status_code == 403 and refused.json()["reason"] == "not_mentor_or_principal"
    form = f"/pupils/{maja.id}/guardians/{mikael.id}/access"
    assert teacher.form(form, {"has_access": "1", "confirm": "yes"}).status_code == 403
    assert teacher.form(form, {"has_access": "1"}).status_code == 403
    assert links(db) == before and audits(db) == []


def test_a_principal_who_also_teaches_the_pupil_may_decide(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """To access.py she is Maja's teacher (the closer relation); she leads the school all
    the same, so she opens the link and sees the buttons."""
    maja, mikael, principal = (demo_person(db, k) for k in ("maja", "guardian-mikael", "principal"))
    group = db.exec(select(GroupPupil.group_id).where(GroupPupil.pupil_id == maja.id)).first()
    db.add(GroupTeacher(group_id=group, teacher_id=principal.id, subject="Idrott"))
    db.commit()
    birgitta = signed_in("principal")
    page = birgitta.get(f"/pupils/{maja.id}/guardians")
    assert page.status_code == 200 and "Öppna tillgången för Mikael" in page.text
    url = f"/api/pupils/{maja.id}/guardians/{mikael.id}/access"
    answer = put(birgitta, url, {"has_access": True})
    assert answer.status_code == 200, answer.text
    assert answer.json()["has_access"] is True


def test_a_link_the_pupil_does_not_have_is_not_found(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva, eva = demo_person(db, "alva"), demo_person(db, "guardian-eva")
    before = links(db)
    mentor = signed_in("mentor-4a")
    url = f"/api/pupils/{alva.id}/guardians/{eva.id}/access"
    assert put(mentor, url, {"has_access": False}).status_code == 404
    assert put(mentor, f"/api/pupils/{alva.id}/guardians/999999/access", {}).status_code in {
        400,
        404,
        422,
    }
    assert links(db) == before


OUTSIDERS = (
    "alva",  # herself: the links are her staff's to see
    "elias",
    "guardian-anna",
    "guardian-lina",
    "guardian-mikael",
    "mentor-6d",
    "teacher-6d",
    "mentor-8b",
    "principal-2",
)


def test_outsiders_get_nothing_and_change_nothing(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva, anna = demo_person(db, "alva"), demo_person(db, "guardian-anna")
    p, g = alva.id, anna.id
    before = (links(db), audits(db))
    for key in OUTSIDERS:
        outsider = signed_in(key)
        for url in (f"/pupils/{p}/guardians", f"/api/pupils/{p}/guardians"):
            answer = outsider.get(url)
            assert answer.status_code in {403, 404}, (key, url, answer.status_code)
            assert "Per Nilsson" not in answer.text
        answer = put(outsider, f"/api/pupils/{p}/guardians/{g}/access", {"has_access": False})
        assert answer.status_code in {403, 404}, (key, answer.status_code)
        for form in ({"has_access": "0"}, {"has_access": "0", "confirm": "yes"}):
            answer = outsider.form(f"/pupils/{p}/guardians/{g}/access", form)
            assert answer.status_code in {403, 404}, (key, form, answer.status_code)
    assert (links(db), audits(db)) == before
