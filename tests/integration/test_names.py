"""Issue 10: a person marked Sekretessmarkering or Skyddad folkbokföring is named only to
herself and to the pupil's staff (backend/names.py). Per, Alva's guardian in the other
household, is protected: Anna and Alva read "en vårdnadshavare" wherever Per acted
(signatures, the story, the booking, shared answers, the read log, who reads), and never
his name, in pages and JSON alike; Alva's mentor and Per himself read his name."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import Session

from backend.models import Person
from backend.names import Namer
from tests.integration.conftest import Visitor, demo_person
from tests.integration.test_agreements import sign, write_plan
from tests.integration.test_compilation import plan_of
from tests.integration.test_preparation_api import guardian_api, put
from tests.integration.test_talks import times_of

PER = "Per Nilsson"
GUARDIAN = "en vårdnadshavare"  # the role word, in Swedish (the default language)


def mark(db: Session, key: str, marking: str) -> Person:
    person = demo_person(db, key)
    person.security_marking = marking
    db.add(person)
    db.commit()
    return person


def per_acts(db: Session, signed_in: Callable[[str], Visitor]) -> tuple[int, Visitor]:
    """Per signs an agreement, books the talk, shares his answers and reads the plan."""
    alva = demo_person(db, "alva")
    assert alva.id is not None
    first, _second = write_plan(signed_in("mentor-4a"), alva.id)
    per = signed_in("guardian-per")
    assert sign(per, first["id"]).status_code == 201
    time = times_of(db, "4A")[0]
    assert per.post(f"/api/talk-times/{time.id}/booking", json={}).status_code == 201
    body = per.get(guardian_api(alva.id)).json()
    answer = {"question_id": body["answers"][0]["question_id"], "text": "Hon läser gärna"}
    saved = put(per, guardian_api(alva.id), {"version": 0, "answers": [answer], "shared": True})
    assert saved.status_code == 200, saved.text
    assert per.get(f"/pupils/{alva.id}").status_code == 200  # a read in Alva's read log
    return alva.id, per


@pytest.mark.parametrize("marking", ["Skyddad folkbokföring", "Sekretessmarkering"])
def test_the_other_household_never_reads_a_protected_guardians_name(
    db: Session, signed_in: Callable[[str], Visitor], marking: str
) -> None:
    mark(db, "guardian-per", marking)
    alva_id, per = per_acts(db, signed_in)
    plan_id = plan_of(db, "alva").id
    anna = signed_in("guardian-anna")
    pages = {
        "agreements": anna.get(f"/api/pupils/{alva_id}/agreements"),
        "plan page": anna.get(f"/pupils/{alva_id}"),
        "talk times": anna.get(f"/api/pupils/{alva_id}/talk-times"),
        "preparation": anna.get(f"/pupils/{alva_id}/preparation"),
        "history": anna.get(f"/api/plans/{plan_id}"),
        "history page": anna.get(f"/plans/{plan_id}"),
        "my data": anna.get("/api/me/data"),
    }
    for what, answer in pages.items():
        assert answer.status_code == 200, (what, answer.text)
        assert PER not in answer.text, what
    signers = pages["agreements"].json()[0]["signers"]
    guardians = [s for s in signers if s["role"] == "guardian"]
    assert {(s["name"], s["given_name"]) for s in guardians} == {
        ("Anna Nilsson", "Anna"),
        (GUARDIAN, GUARDIAN),
    }
    assert pages["talk times"].json()["booking"]["booked_by"] == GUARDIAN
    assert GUARDIAN in pages["plan page"].text  # "bokad av", "väntar på", "underskrivet av"
    assert "Hon läser gärna" in pages["preparation"].text and GUARDIAN in pages["preparation"].text

    alva = signed_in("alva")
    readers = alva.get("/api/plan/readers").json()
    assert {r["name"] for r in readers if r["role"] == "guardian"} == {"Anna Nilsson", GUARDIAN}
    reads = alva.get(f"/api/pupils/{alva_id}/read-log")
    assert reads.status_code == 200 and PER not in reads.text and GUARDIAN in reads.text
    for url in ("/", "/api/me/data", f"/api/plans/{plan_id}"):
        assert PER not in alva.get(url).text, url

    # Per himself, and the pupil's staff, read his name.
    assert PER in per.get(f"/api/pupils/{alva_id}/agreements").text
    mentor = signed_in("mentor-4a")
    for url in (
        f"/api/pupils/{alva_id}/agreements",
        f"/api/pupils/{alva_id}/preparations",
        f"/api/plans/{plan_id}",
    ):
        answer = mentor.get(url)
        assert answer.status_code == 200 and PER in answer.text, url
    assert PER in signed_in("teacher-ek").get(f"/api/pupils/{alva_id}/agreements").text


def test_a_protected_teacher_is_a_teacher_to_the_family(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    mark(db, "teacher-ek", "Skyddad folkbokföring")
    alva, elias = demo_person(db, "alva"), demo_person(db, "elias")
    page = signed_in("guardian-anna").get(f"/pupils/{alva.id}")  # her shared note
    assert "Sara Ek" not in page.text and "en lärare" in page.text
    plan = signed_in("elias").get("/api/plan").json()  # her reply to his rating
    replies = [r for g in plan["goals"] for s in g["self_assessments"] for r in s["replies"]]
    assert [r["author"] for r in replies] == ["en lärare"]
    assert "Sara Ek" in signed_in("mentor-4a").get(f"/api/pupils/{elias.id}/plan").text


def test_a_protected_pupil_is_named_to_her_own_guardians() -> None:
    """The rule itself: her own guardians (the only family who reach her) know her name."""
    kw = {"given": "Maja", "family": "Andersson", "marking": "Skyddad folkbokföring"}
    as_guardian = Namer(viewer_id=2, pupil_id=1, staff=False)
    assert as_guardian.name(person_id=1, role="self", **kw) == "Maja Andersson"
    assert as_guardian.name(person_id=3, role="guardian", **kw) == GUARDIAN
    as_pupil = Namer(viewer_id=1, pupil_id=1, staff=False)
    assert as_pupil.name(person_id=1, role="self", **kw) == "Maja Andersson"
    assert as_pupil.name(person_id=3, role="guardian", **kw) == GUARDIAN
    assert Namer.everyone().name(person_id=3, role="guardian", **kw) == "Maja Andersson"
    unmarked = {**kw, "marking": "Ingen"}
    assert as_pupil.name(person_id=3, role="guardian", **unmarked) == "Maja Andersson"
