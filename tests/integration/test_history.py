"""Earlier terms (issue 9, parts 5–7): the list of a pupil's plans and one term's written
IUP, as pages and JSON, for the pupil, a guardian and the mentor. The family reads the
written summary and the agreements once published, staff always; a guardian's unshared
preparation stays his own; staff-only notes and the talk draft are never part of it; and
everyone outside the pupil's links gets 404 (a principal first gives a reason)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from backend.access import Access, Relation
from backend.errors import NotFound
from backend.home import history
from backend.models import Audience, Note, Plan, ReadLog, TalkDraft, Term
from backend.settings import Settings
from backend.viewer import Viewer
from tests.integration.conftest import Visitor, demo_person
from tests.integration.test_agreements import DUE, YESTERDAY, sign
from tests.integration.test_compilation import plan_of, prepare

NOTE = "Bara för personalen: oro för frånvaron på fredagar."
DRAFT = "Utkast: fråga om lästräningen hemma."


def last_terms_plan(db: Session, key: str) -> Plan:
    """The 5C pupil's archived plan from last term (the demo)."""
    pupil = demo_person(db, key)
    return db.exec(
        select(Plan)
        .join(Term, Term.id == Plan.term_id)  # type: ignore[arg-type]
        .where(Plan.pupil_id == pupil.id, Plan.state == "archived")
    ).one()


def staff_only_secrets(db: Session, mentor: Visitor, key: str) -> None:
    """A staff-only note about the pupil and the mentor's talk draft."""
    pupil = demo_person(db, key)
    teacher = demo_person(db, "teacher-ek")
    assert pupil.id is not None and teacher.id is not None
    db.add(Note(pupil_id=pupil.id, author_id=teacher.id, subject="Matematik", text=NOTE))
    db.commit()
    saved = mentor.client.put(
        f"/api/pupils/{pupil.id}/talk-draft",
        headers={"x-csrftoken": mentor.token},
        json={"version": 0, "text": DRAFT},
    )
    assert saved.status_code == 200, saved.text


def test_the_written_plan_is_the_familys_once_published_and_staffs_always(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    assert alva.id is not None
    mentor = signed_in("mentor-4a")
    pupil, anna = signed_in("alva"), signed_in("guardian-anna")
    staff_only_secrets(db, mentor, "alva")
    plan = plan_of(db, "alva")

    # Written, not published: the mentor sees it, the family does not (nor its agreements).
    saved = mentor.client.put(
        f"/api/pupils/{alva.id}/summary",
        headers={"x-csrftoken": mentor.token},
        json={"version": 0, "held_on": YESTERDAY, "measures_school": "Extra lästräning."},
    )
    assert saved.status_code == 200, saved.text
    made = mentor.post(
        f"/api/pupils/{alva.id}/agreements",
        json={"text": "Läsa tio minuter varje kväll", "party": "pupil", "due_on": DUE},
    )
    assert made.status_code == 201, made.text
    seen = mentor.get(f"/api/plans/{plan.id}").json()
    assert seen["summary"]["measures_school"] == "Extra lästräning."
    assert seen["summary"]["published_at"] is None
    assert [a["text"] for a in seen["agreements"]] == ["Läsa tio minuter varje kväll"]
    assert [(e["state"], e["by"]) for e in seen["events"]] == [("held", "Karin Lind")]
    assert mentor.get(f"/api/pupils/{alva.id}/plans").json()[0]["agreements"] == 1
    page = mentor.get(f"/plans/{plan.id}")
    assert page.status_code == 200 and "Inte publicerad" in page.text
    assert page.headers["cache-control"] == "no-store"
    for who in (pupil, anna):
        record = who.get(f"/api/plans/{plan.id}")
        assert record.status_code == 200, record.text
        assert record.json()["summary"] is None and record.json()["agreements"] == []
        listed = who.get(f"/api/pupils/{alva.id}/plans").json()
        assert [(p["plan_id"], p["agreements"]) for p in listed] == [(plan.id, 0)]
        page = who.get(f"/plans/{plan.id}")
        assert page.status_code == 200
        assert "Extra lästräning" not in page.text and "tio minuter" not in page.text
        assert "Ingen skriftlig plan har publicerats" in page.text

    # Published: the family reads the summary and who has signed what.
    published = mentor.post(f"/api/pupils/{alva.id}/summary/publish", json={})
    assert published.status_code == 200, published.text
    agreement = made.json()["id"]
    assert sign(pupil, agreement).status_code == 201
    assert sign(anna, agreement).status_code == 201
    record = anna.get(f"/api/plans/{plan.id}").json()
    assert record["summary"]["measures_school"] == "Extra lästräning."
    signers = {s["name"]: s for s in record["agreements"][0]["signers"]}
    assert signers["Alva Nilsson"]["verified"] is True
    assert signers["Per Nilsson"]["signed_at"] is None
    assert (record["pupil"], record["school"], record["group"]) == (
        "Alva Nilsson",
        "Demoskolan",
        "4A",
    )
    page = anna.get(f"/plans/{plan.id}").text
    assert "Extra lästräning." in page and "Läsa tio minuter varje kväll" in page
    assert "underskrivet av Alva Nilsson" in page and "underskrivet av Anna Nilsson" in page
    assert "väntar på Per Nilsson" in page and "väntar på Karin Lind" in page
    assert "Samtal hållet" in page and "av Karin Lind" in page
    assert f'href="/pupils/{alva.id}/plans"' in page
    english = anna.get(f"/plans/{plan.id}", headers={"accept-language": "en"}).text
    assert "signed by Alva Nilsson" in english and "waiting for Per Nilsson" in english

    # Never a staff-only note nor the talk draft, for anyone.
    for who in (mentor, pupil, anna):
        for url in (
            f"/plans/{plan.id}",
            f"/api/plans/{plan.id}",
            f"/pupils/{alva.id}/plans",
            f"/api/pupils/{alva.id}/plans",
        ):
            response = who.get(url)
            assert response.status_code == 200, (url, response.text)
            assert NOTE not in response.text and DRAFT not in response.text, url

    # The mentor's reads are in the read log; the pupil's own are not.
    reads = db.exec(select(ReadLog.reader_id).where(ReadLog.pupil_id == alva.id)).all()
    assert demo_person(db, "mentor-4a").id in reads and alva.id not in reads


def test_preparations_as_each_reader_may_see_them(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    plan = plan_of(db, "alva")
    prepare(db, pupil_key="alva", author_key="alva", audience=Audience.PUPIL, text="Alvas svar")
    prepare(
        db,
        pupil_key="alva",
        author_key="guardian-anna",
        audience=Audience.GUARDIAN,
        text="Annas svar, bara mitt",
    )
    prepare(
        db,
        pupil_key="alva",
        author_key="guardian-per",
        audience=Audience.GUARDIAN,
        text="Pers svar, delat",
        shared=True,
    )

    def answers(key: str) -> set[str]:
        record = signed_in(key).get(f"/api/plans/{plan.id}")
        assert record.status_code == 200, record.text
        return {a["text"] for p in record.json()["preparations"] for a in p["answers"]}

    assert answers("mentor-4a") == {"Alvas svar", "Annas svar, bara mitt", "Pers svar, delat"}
    assert answers("teacher-ek") == {"Alvas svar", "Annas svar, bara mitt", "Pers svar, delat"}
    assert answers("alva") == {"Alvas svar"}
    assert answers("guardian-anna") == {"Annas svar, bara mitt", "Pers svar, delat"}
    assert answers("guardian-per") == {"Pers svar, delat"}
    page = signed_in("guardian-per").get(f"/plans/{plan.id}").text
    assert "Pers svar, delat" in page and "Annas svar" not in page


def test_last_terms_archived_plan_with_its_rating_history(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    hugo = demo_person(db, "hugo")
    old = last_terms_plan(db, "hugo")
    now = plan_of(db, "hugo")
    for key in ("hugo", "mentor-4a", "teacher-hassan"):
        who = signed_in(key)
        listed = who.get(f"/api/pupils/{hugo.id}/plans")
        assert listed.status_code == 200, listed.text
        assert [(p["plan_id"], p["state"]) for p in listed.json()] == [
            (now.id, "preparing"),
            (old.id, "archived"),
        ]
        page = who.get(f"/pupils/{hugo.id}/plans")
        assert page.status_code == 200 and "Tidigare terminer" in page.text
        assert f'href="/plans/{old.id}"' in page.text and ">Stängd</strong>" in page.text
        record = who.get(f"/api/plans/{old.id}").json()
        assert record["state"] == "archived" and record["summary"] is None
        assert [(g["area"], [r["level"] for r in g["ratings"]]) for g in record["goals"]] == [
            ("Matematik", [4]),
            ("Engelska", [2]),
        ]
        page = who.get(f"/plans/{old.id}")
        assert page.status_code == 200
        assert "Jag kan läsa en enkel bok på engelska." in page.text
        assert (
            "Jag kan det" in page.text and "På väg" in page.text and ">Stängd</strong>" in page.text
        )


def test_a_plan_of_another_pupil_is_not_found(db: Session, settings: Settings) -> None:
    hugo, alva = demo_person(db, "hugo"), demo_person(db, "alva")
    assert hugo.id is not None and alva.id is not None
    old = last_terms_plan(db, "hugo")
    assert old.id is not None
    viewer = Viewer(
        person_id=alva.id,
        given_name=alva.given_name,
        family_name=alva.family_name,
        passkey_id=None,
        is_pupil=True,
    )
    alva_herself = Access(viewer=viewer, pupil_id=alva.id, relation=Relation.SELF)
    with pytest.raises(NotFound):
        history.plan_record(db, access=alva_herself, plan_id=old.id, settings=settings)


@pytest.mark.parametrize(
    ("key", "pupil_key"),
    [
        ("elias", "alva"),  # a pupil of the same group
        ("noah", "hugo"),  # a pupil of the same group, an archived plan
        ("guardian-lina", "alva"),  # another child's guardian
        ("guardian-mikael", "maja"),  # restricted
        ("mentor-6d", "alva"),
        ("teacher-6d", "hugo"),
        ("mentor-8b", "alva"),
        ("principal-2", "alva"),  # another school's principal
    ],
)
def test_outsiders_get_404(
    db: Session, signed_in: Callable[[str], Visitor], key: str, pupil_key: str
) -> None:
    pupil = demo_person(db, pupil_key)
    plans = db.exec(select(Plan.id).where(Plan.pupil_id == pupil.id)).all()
    who = signed_in(key)
    for url in (f"/pupils/{pupil.id}/plans", f"/api/pupils/{pupil.id}/plans"):
        assert who.get(url).status_code == 404, url
    for plan_id in plans:
        for url in (f"/plans/{plan_id}", f"/api/plans/{plan_id}"):
            response = who.get(url)
            assert response.status_code == 404, url
            assert pupil.given_name not in response.text
    assert who.get("/api/plans/999999").status_code == 404
    assert who.get(f"/api/plans/{2**31}").status_code in (400, 404)


def test_the_principal_of_the_school_gives_a_reason_first(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    plan = plan_of(db, "alva")
    principal = signed_in("principal")
    refused = principal.get(f"/api/plans/{plan.id}")
    assert refused.status_code == 403 and refused.json()["reason"] == "reason_needed"
    listed = principal.get(f"/api/pupils/{alva.id}/plans")
    assert listed.status_code == 403 and listed.json()["reason"] == "reason_needed"
    page = principal.get(f"/plans/{plan.id}")
    assert page.status_code == 303 and page.headers["location"] == f"/pupils/{alva.id}/reason"
    reason = "Vårdnadshavare har bett om ett möte om stödet i matematik."
    given = principal.post(f"/api/pupils/{alva.id}/read-reasons", json={"reason": reason})
    assert given.status_code == 201, given.text
    assert principal.get(f"/api/plans/{plan.id}").status_code == 200
    assert principal.get(f"/plans/{plan.id}").status_code == 200
    assert db.exec(select(TalkDraft)).all() == []


def test_earlier_terms_are_the_past_newest_first_and_never_a_term_to_come(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """Issue 24, item 5: a plan in a term that begins after today (the mentor has opened
    next term early) is not an "earlier term"; the rest are listed newest first."""
    hugo = demo_person(db, "hugo")
    assert hugo.id is not None
    now = plan_of(db, "hugo")
    term = db.get(Term, now.term_id)
    assert term is not None and term.id is not None
    later = Term(
        school_id=term.school_id,
        code="HT2099",
        starts_on=term.ends_on + timedelta(days=60),
        ends_on=term.ends_on + timedelta(days=180),
    )
    db.add(later)
    db.commit()
    assert later.id is not None
    future = Plan(pupil_id=hugo.id, term_id=later.id)
    db.add(future)
    db.commit()
    before = last_terms_plan(db, "hugo")
    for who in (signed_in("hugo"), signed_in("mentor-4a")):
        listed = who.get(f"/api/pupils/{hugo.id}/plans").json()
        assert [p["plan_id"] for p in listed] == [now.id, before.id]
        page = who.get(f"/pupils/{hugo.id}/plans").text
        assert f"/plans/{future.id}" not in page
        assert page.index(f'"/plans/{now.id}"') < page.index(f'"/plans/{before.id}"')
