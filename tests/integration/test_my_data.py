"""All my data (GDPR art. 15 and 20): the pupil and each guardian with access get
everything stored about them and the child, as JSON and as a page; a restricted guardian
and staff get their own person data only; no secret leaves, nor a staff-only note."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session, select

from backend.models import Goal, LoginSession, Note, PasskeyCredential, Person, Plan
from tests.integration.conftest import Visitor, demo_person

STAFF_ONLY = "Bara för personalen: Alva behöver extra stöd med läsningen."
SHARED = "Alva förklarade bråk för en kompis."
ANNA_SAYS = "Alva trivs och läser gärna hemma."
PER_SAYS = "Per skriver detta bara för sig själv."


def staff_note(db: Session, *, text: str, shared: bool) -> None:
    alva, teacher = demo_person(db, "alva"), demo_person(db, "teacher-ek")
    assert alva.id is not None and teacher.id is not None
    db.add(
        Note(pupil_id=alva.id, author_id=teacher.id, subject="Svenska", text=text, shared=shared)
    )
    db.commit()


def prepare(guardian: Visitor, pupil_id: int, text: str) -> None:
    url = f"/api/pupils/{pupil_id}/guardian-preparation"
    question = guardian.get(url).json()["answers"][0]["question_id"]
    saved = guardian.client.put(
        url,
        json={"version": 0, "answers": [{"question_id": question, "text": text}]},
        headers={"x-csrftoken": guardian.token},
    )
    assert saved.status_code == 200, saved.text


def data_of(visitor: Visitor) -> tuple[dict[str, Any], str]:
    response = visitor.get("/api/me/data")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json(), response.text


def only_child(body: dict[str, Any]) -> dict[str, Any]:
    (child,) = body["children"]
    return child


def test_the_pupil_gets_her_plan_ratings_shared_notes_and_read_log(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    staff_note(db, text=STAFF_ONLY, shared=False)
    staff_note(db, text=SHARED, shared=True)
    pupil = signed_in("alva")
    goal = db.exec(
        select(Goal).join(Plan).where(Plan.pupil_id == alva.id).order_by(Goal.position)
    ).first()
    assert goal is not None
    rated = pupil.post(
        f"/api/goals/{goal.id}/self-assessments", json={"level": 3, "comment": "Bra"}
    )
    assert rated.status_code == 201, rated.text
    assert signed_in("mentor-4a").get(f"/api/pupils/{alva.id}/plans").status_code == 200

    body, text = data_of(pupil)
    assert body["format"] == "iup-my-data/1"
    assert body["person"]["given_name"] == "Alva" and body["person"]["family_name"] == "Nilsson"
    assert [p["nickname"] for p in body["passkeys"]] and body["sessions"]
    child = only_child(body)
    assert (child["pupil_id"], child["relation"]) == (alva.id, "self")
    (plan,) = child["plans"]
    assert plan["term"] and plan["school"] == "Demoskolan"
    ratings = [r for g in plan["goals"] if g["text"] == goal.text for r in g["ratings"]]
    assert [(r["level"], r["comment"]) for r in ratings] == [(3, "Bra")]
    assert SHARED in [n["text"] for n in child["notes"]]
    assert STAFF_ONLY not in text, "a staff-only note never reaches the family"
    assert any(r["role"] == "mentor" and r["kind"] == "history" for r in child["reads"])


def test_a_guardian_gets_her_child_and_her_own_preparation_not_the_other_guardians(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    assert alva.id is not None
    staff_note(db, text=STAFF_ONLY, shared=False)
    anna, per = signed_in("guardian-anna"), signed_in("guardian-per")
    prepare(anna, alva.id, ANNA_SAYS)
    prepare(per, alva.id, PER_SAYS)  # not shared with Anna

    body, text = data_of(anna)
    assert body["person"]["given_name"] == "Anna"
    child = only_child(body)
    assert (child["pupil_id"], child["name"], child["relation"]) == (
        alva.id,
        "Alva Nilsson",
        "guardian",
    )
    answers = [
        a["text"] for p in child["plans"] for prep in p["preparations"] for a in prep["answers"]
    ]
    assert answers == [ANNA_SAYS]
    assert PER_SAYS not in text and STAFF_ONLY not in text
    assert [g["text"] for g in child["plans"][0]["goals"]], "the child's goals"
    # Her download is a read of Alva's plan, which Alva sees.
    reads = only_child(data_of(signed_in("alva"))[0])["reads"]
    assert any(r["name"] == "Anna Nilsson" and r["role"] == "guardian" for r in reads)


@pytest.mark.parametrize("key", ["guardian-mikael", "teacher-ek", "mentor-4a"])
def test_a_restricted_guardian_and_staff_get_only_their_own_person_data(
    db: Session, signed_in: Callable[[str], Visitor], key: str
) -> None:
    person = demo_person(db, key)
    body, text = data_of(signed_in(key))
    assert body["person"]["given_name"] == person.given_name
    assert body["children"] == []
    assert "Maja" not in text and "Alva" not in text


def test_no_secret_leaves_with_the_data(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    visitor = signed_in("guardian-anna")
    anna = demo_person(db, "guardian-anna")
    _body, text = data_of(visitor)
    download = visitor.get("/me/data.json")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment; filename=")
    assert download.headers["cache-control"] == "no-store"
    assert json.loads(download.text)["person"] == json.loads(text)["person"]
    db.expire_all()
    passkey = db.exec(select(PasskeyCredential).where(PasskeyCredential.person_id == anna.id)).one()
    login = db.exec(select(LoginSession).where(LoginSession.person_id == anna.id)).one()
    person = db.get(Person, anna.id)
    assert person is not None
    secrets = [
        person.user_handle,
        passkey.credential_id,
        passkey.public_key,
        login.token_hash,
        visitor.client.cookies.get("iup_session", "").encode(),
    ]
    for secret in filter(None, secrets):
        for form in (
            base64.urlsafe_b64encode(secret).rstrip(b"=").decode(),
            base64.b64encode(secret).decode(),
            secret.hex(),
        ):
            assert form not in text and form not in download.text
    for word in ("user_handle", "public_key", "token", "credential_id"):
        assert word not in text


@pytest.mark.parametrize("key", ["alva", "guardian-anna", "guardian-mikael", "teacher-ek"])
def test_the_page_renders_for_everyone_and_the_account_page_links_to_it(
    signed_in: Callable[[str], Visitor], key: str
) -> None:
    visitor = signed_in(key)
    assert 'href="/me/data"' in visitor.get("/account").text
    page = visitor.get("/me/data")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "Allt om mig" in page.text and 'href="/me/data.json"' in page.text
    if key in ("alva", "guardian-anna"):
        assert "Multiplikationstabellerna".lower() in page.text.lower()
    else:
        assert "Alva" not in page.text and "Maja" not in page.text


def test_english_page(signed_in: Callable[[str], Visitor]) -> None:
    page = signed_in("alva").get("/me/data", headers={"accept-language": "en"})
    assert page.status_code == 200 and "All my data" in page.text


@pytest.mark.parametrize("url", ["/api/me/data", "/me/data.json", "/me/data"])
def test_signed_out_gets_nothing(visitor: Callable[[], Visitor], url: str) -> None:
    response = visitor().get(url)
    assert response.status_code in (401, 303), response.status_code
    assert "Alva" not in response.text


def test_the_messages_about_her_goals_are_in_her_data_and_her_guardians(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """A thread's messages (issue 24) are hers: in all my data, JSON and page, for her and
    for a guardian; a staff-only note is still not."""
    alva = demo_person(db, "alva")
    goal = db.exec(
        select(Goal).join(Plan).where(Plan.pupil_id == alva.id).order_by(Goal.position)
    ).first()
    assert goal is not None
    mentor = signed_in("mentor-4a")
    said = "Du har kommit långt med tabellerna!"
    sent = mentor.post(f"/api/goals/{goal.id}/messages", json={"text": said})
    assert sent.status_code == 201, sent.text
    answer = "Tack! Jag övar vidare."
    pupil = signed_in("alva")
    assert pupil.post(f"/api/goals/{goal.id}/messages", json={"text": answer}).status_code == 201
    for who in (pupil, signed_in("guardian-anna")):
        body, _text = data_of(who)
        [child] = [c for c in body["children"] if c["pupil_id"] == alva.id]
        assert [(m["text"], m["role"]) for m in child["messages"]] == [
            (said, "mentor"),
            (answer, "self"),
        ]
        page = who.get("/me/data")
        assert said in page.text and answer in page.text
