"""Importing another school's exchange document (issue 10, part 2; docs/exchange.md,
"Import"): the round trip from one installation to another keeps every signature
verifiable against the sender's relying party; a changed text fails; a second import and
a malformed document store nothing; outsiders are refused."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from backend.access import Relation
from backend.db import make_engine
from backend.errors import Refusal
from backend.exchange import service
from backend.exchange.importing import _school, import_document, sender_key
from backend.exchange.schemas import ExchangeDocument
from backend.exchange.schemas import School as ExchangeSchool
from backend.home.history import plans_of
from backend.models import (
    Agreement,
    Answer,
    AuditEvent,
    Goal,
    Person,
    Plan,
    Preparation,
    Question,
    Reply,
    School,
    SelfAssessment,
    Signature,
    Term,
)
from backend.names import Namer
from backend.plans.service import plan_of
from backend.settings import Settings
from tests.integration.conftest import Visitor, demo_person
from tests.integration.test_agreements import OUTSIDERS, sign, write_plan
from tests.integration.test_cli import iup


def comparable(document: ExchangeDocument, *, rp_id: str) -> list[Any]:
    """The terms of one relying party, whole but for local ids (inside `canonical`)."""
    terms = []
    for term in msgspec.to_builtins(document.terms):
        if term["school"]["rp_id"] != rp_id:
            continue
        for agreement in term["agreements"]:
            agreement.pop("canonical")
        terms.append(term)
    return terms


def teacher_replies_and_the_family_prepares(db: Session, pupil: Person) -> None:
    """A reply by her teacher to her latest rating, and answers by her and by a guardian."""
    found = plan_of(db, pupil_id=int(pupil.id or 0), today=date.today(), namer=Namer.everyone())  # noqa: DTZ011
    assert found is not None
    plan = db.get(Plan, found.id)
    assert plan is not None
    goal = db.exec(select(Goal).where(Goal.plan_id == plan.id)).first()
    assert goal is not None
    rating = SelfAssessment(goal_id=int(goal.id or 0), level=3, comment="Nästan")
    db.add(rating)
    db.flush()
    db.add(
        Reply(
            self_assessment_id=int(rating.id or 0),
            author_id=demo_person(db, "teacher-ek").id,
            text="Bra jobbat!",
        )
    )
    for author, audience in (("alva", "pupil"), ("guardian-anna", "guardian")):
        question = db.exec(
            select(Question).where(Question.term_id == plan.term_id, Question.audience == audience)
        ).first()
        assert question is not None
        prep = Preparation(
            plan_id=int(plan.id or 0), author_id=demo_person(db, author).id, audience=audience
        )
        db.add(prep)
        db.flush()
        db.add(
            Answer(
                preparation_id=int(prep.id or 0),
                question_id=int(question.id or 0),
                text=f"Svar av {author}",
            )
        )
    db.commit()


def count(session: Session, table: Any) -> int:
    session.expire_all()
    return int(session.exec(select(func.count()).select_from(table)).one())


def test_a_signed_plan_and_an_archived_term_go_to_another_school_and_verify_there(
    db: Session,
    settings: Settings,
    other: Settings,
    other_db: Session,
    signed_in: Callable[[str], Visitor],
    tmp_path: Path,
) -> None:
    alva = demo_person(db, "alva")
    assert alva.id is not None
    mentor = signed_in("mentor-4a")
    first, _second = write_plan(mentor, alva.id)
    assert sign(signed_in("alva"), first["id"], every=True).status_code == 201
    assert sign(signed_in("guardian-anna"), first["id"]).status_code == 201
    assert sign(mentor, first["id"], every=True).status_code == 201
    teacher_replies_and_the_family_prepares(db, alva)

    for key in ("alva", "hugo"):
        pupil = demo_person(db, key)
        sent = service.export(db, pupil_id=int(pupil.id or 0), settings=settings)
        # The sending school's term began a day ago: later than the receiving school's.
        today = date.today()  # noqa: DTZ011
        sent = msgspec.structs.replace(
            sent,
            terms=[
                msgspec.structs.replace(t, starts_on=today - timedelta(days=1))
                if t.starts_on <= today <= t.ends_on
                else t
                for t in sent.terms
            ],
        )
        path = tmp_path / f"{key}.json"
        path.write_bytes(msgspec.json.encode(sent))

        # Onto the person with the same SS 12000 id at the receiving school.
        result = iup(other, "import", str(path))
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"imported {len(sent.terms)} term(s)")
        here = demo_person(other_db, key)
        back = service.export(other_db, pupil_id=int(here.id or 0), settings=other)
        assert comparable(back, rp_id=settings.rp_id) == comparable(sent, rp_id=settings.rp_id)
        if key == "alva":  # the comparison covers replies, preparations and the story
            now = next(t for t in back.terms if t.agreements)
            assert [r.author for g in now.goals for a in g.self_assessments for r in a.replies]
            assert sorted(p.author for p in now.preparations) == ["Alva Nilsson", "Anna Nilsson"]
            assert now.events and now.events[-1].state == now.state == "held"  # not archived
        stored = other_db.exec(
            select(Plan).where(Plan.pupil_id == here.id, col(Plan.imported_at).is_not(None))
        ).all()
        assert stored and all(p.state == "archived" for p in stored)  # read-only here
        history = plans_of(other_db, pupil_id=int(here.id or 0), relation=Relation.MENTOR)
        brought = [e for e in history if e.imported_at is not None]
        assert {e.school for e in brought} == {t.school.name for t in sent.terms}
        assert {e.plan_id for e in brought} == {p.id for p in stored}
        # Her own plan at the receiving school stays "this term", although the imported
        # term of the same name holds today too.
        mine = plan_of(other_db, pupil_id=int(here.id or 0), today=today, namer=Namer.everyone())
        assert mine is not None and mine.state != "archived"

        # Again: refused, nothing doubled.
        plans, signatures = count(other_db, Plan), count(other_db, Signature)
        again = iup(other, "import", str(path), "--person", str(here.id))
        assert again.exit_code != 0 and "imported before" in again.output
        assert (count(other_db, Plan), count(other_db, Signature)) == (plans, signatures)
        logged = other_db.exec(
            select(AuditEvent).where(
                AuditEvent.pupil_id == here.id, AuditEvent.kind == "plans_imported"
            )
        ).one()
        assert logged.detail.startswith(sent.school.name)

    # Every imported signature verifies at the receiving school, against the sender's.
    result = iup(other, "verify-signatures")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 5 and all(line.startswith("OK ") for line in lines), lines
    assert any("Anna Nilsson (guardian)" in line for line in lines)

    # A changed text of an imported agreement fails.
    imported = other_db.exec(
        select(Agreement)
        .join(Plan, col(Plan.id) == Agreement.plan_id)
        .where(col(Plan.imported_at).is_not(None), Agreement.text == first["text"])
    ).one()
    imported.text = "Något annat"
    other_db.add(imported)
    other_db.commit()
    result = iup(other, "verify-signatures")
    assert result.exit_code != 0
    failed = [line for line in result.output.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 3 and all("differ from what was signed" in f for f in failed)


def test_no_match_is_a_clear_error(settings: Settings, other: Settings, tmp_path: Path) -> None:
    path = tmp_path / "nobody.json"
    document = msgspec.json.decode(
        msgspec.json.encode(
            {
                "format": "iup-exchange/1",
                "exported_at": "2026-11-30T10:00:00+00:00",
                "school": {"name": "Skola A", "unit_code": None},
                "pupil": {"external_id": "nobody", "given_name": "N", "family_name": "N"},
                "terms": [],
            }
        )
    )
    path.write_bytes(msgspec.json.encode(document))
    result = iup(other, "import", str(path))
    assert result.exit_code != 0 and "no person here" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "iup-exchange/9"}')
    result = iup(other, "import", str(bad))
    assert result.exit_code != 0 and "not an iup-exchange/1 document" in result.output


def test_the_api_imports_for_the_pupils_staff_only(
    db: Session,
    other: Settings,
    other_db: Session,
    signed_in: Callable[[str], Visitor],
) -> None:
    hugo_there = demo_person(other_db, "hugo")
    body = msgspec.json.encode(
        service.export(other_db, pupil_id=int(hugo_there.id or 0), settings=other)
    )
    hugo = demo_person(db, "hugo")
    url = f"/api/imports?person_id={hugo.id}"
    plans = count(db, Plan)
    headers = {"content-type": "application/json"}
    for key in (*OUTSIDERS, "hugo"):
        outsider = signed_in(key)
        refused = outsider.post(url, content=body, headers=headers)
        assert refused.status_code in {403, 404}, (key, refused.text)
    mentor = signed_in("mentor-4a")
    malformed = mentor.post(url, content=b'{"format": "iup-exchange/1"}', headers=headers)
    assert malformed.status_code == 422, malformed.text
    assert malformed.json()["reason"] == "malformed_document"
    assert count(db, Plan) == plans

    done = mentor.post(url, content=body, headers=headers)
    assert done.status_code == 201, done.text
    assert done.json()["terms"] and not done.json()["skipped_terms"]
    assert count(db, Plan) == plans + len(done.json()["terms"])
    again = mentor.post(url, content=body, headers=headers)
    assert again.status_code == 409 and again.json()["reason"] == "imported"
    assert count(db, Plan) == plans + len(done.json()["terms"])
    spec = mentor.get("/schema/openapi.json").json()
    assert spec["paths"]["/api/imports"]["post"]["summary"]


def test_the_principal_imports_through_the_api_only_after_giving_a_reason(
    db: Session, other: Settings, other_db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """As on the upload page: without a reason typed within the hour, 403 `reason_needed`
    and nothing stored; with one (which the family sees), the import goes through."""
    hugo_there = demo_person(other_db, "hugo")
    body = msgspec.json.encode(
        service.export(other_db, pupil_id=int(hugo_there.id or 0), settings=other)
    )
    hugo = demo_person(db, "hugo")
    url = f"/api/imports?person_id={hugo.id}"
    headers = {"content-type": "application/json"}
    plans = count(db, Plan)
    principal = signed_in("principal")
    asked = principal.post(url, content=body, headers=headers)
    assert asked.status_code == 403 and asked.json()["reason"] == "reason_needed", asked.text
    assert count(db, Plan) == plans
    reason = {"reason": "Hugo har bytt skola och hans mentor är sjuk."}
    assert principal.post(f"/api/pupils/{hugo.id}/read-reasons", json=reason).status_code < 300
    done = principal.post(url, content=body, headers=headers)
    assert done.status_code == 201, done.text
    assert count(db, Plan) == plans + len(done.json()["terms"])


def test_a_document_without_a_relying_party_never_lands_in_one_of_our_schools(
    db: Session, settings: Settings, tmp_path: Path
) -> None:
    """Another system's document, no signatures and so no relying party, from a school
    that happens to share our school's name: its term is kept under a school of its own."""
    hugo = demo_person(db, "hugo")
    ours = db.exec(select(School).where(School.name == "Demoskolan")).one()
    term = {
        "code": "HT2019", "starts_on": "2019-08-19", "ends_on": "2019-12-20",
        "school": {"name": "Demoskolan", "unit_code": None}, "state": "followed_up",
        "events": [{"state": "followed_up", "by": "Anders Ek", "at": "2019-12-01T10:00:00Z"}],
        "goals": [], "preparations": [], "summary": None, "agreements": [],
    }  # fmt: skip
    document = {
        "format": "iup-exchange/1",
        "exported_at": "2020-01-10T10:00:00Z",
        "school": {"name": "Demoskolan", "unit_code": None},
        "pupil": {"external_id": None, "given_name": "Hugo", "family_name": "Lund"},
        "terms": [term],
    }
    path = tmp_path / "other-system.json"
    path.write_bytes(msgspec.json.encode(document))
    result = iup(settings, "import", str(path), "--person", str(hugo.id))
    assert result.exit_code == 0, result.output
    db.expire_all()
    plan, school = db.exec(
        select(Plan, School)
        .join(Term, col(Term.id) == Plan.term_id)
        .join(School, col(School.id) == Term.school_id)
        .where(Plan.pupil_id == hugo.id, Term.code == "HT2019")
    ).one()
    assert school.id != ours.id and school.name == "Demoskolan"
    assert plan.imported_state == "followed_up" and plan.state == "archived"


def test_the_same_file_twice_at_once_is_imported_once(
    db: Session, settings: Settings, other: Settings
) -> None:
    """A second click or a second tab: two imports of one document for one pupil at the
    same moment, and of another pupil's from the same school. Hers is stored once (the
    other answer is 409 `imported`, not a second copy), his goes through, and the sending
    school and its terms exist once."""
    documents = {
        key: service.export(db, pupil_id=int(demo_person(db, key).id or 0), settings=settings)
        for key in ("alva", "hugo")
    }
    engine = make_engine(other.database_url)
    with Session(engine) as session:
        ids = {key: int(demo_person(session, key).id or 0) for key in documents}
        schools = count(session, School)
    start = threading.Barrier(3)

    def run(key: str) -> str:
        with Session(engine, expire_on_commit=False) as session:
            start.wait()
            try:
                done = import_document(session, document=documents[key], person_id=ids[key],
                                       by_id=None, settings=other)  # fmt: skip
            except Refusal as refusal:
                return f"{key} {refusal.status} {refusal.reason}"
            return f"{key} imported {len(done.terms)}"

    with ThreadPoolExecutor(3) as pool:
        answers = sorted(pool.map(run, ["alva", "alva", "hugo"]))
    terms = {key: len(d.terms) for key, d in documents.items()}
    assert answers == ["alva 409 imported", f"alva imported {terms['alva']}",
                       f"hugo imported {terms['hugo']}"], answers  # fmt: skip
    with Session(engine) as session:
        for key, n in terms.items():
            stored = session.exec(
                select(func.count()).select_from(Plan)
                .where(Plan.pupil_id == ids[key], col(Plan.imported_at).is_not(None))
            ).one()  # fmt: skip
            assert stored == n, key
        assert count(session, School) == schools + 1
    engine.dispose()


def test_a_school_added_by_another_import_meanwhile_is_the_one_used(
    db: Session, settings: Settings
) -> None:
    """The sending school's key is unique: when another process adds the same school between
    this import's lookup and its insert, the insert is refused and this import takes that
    school; the database refuses a second row with the key outright."""
    sent = ExchangeSchool(name="Norrskolan", unit_code="12345678")
    key = sender_key(sent, rp_id="norr.example", origin="https://norr.example")
    engine = make_engine(settings.database_url)

    def meanwhile(session: Session, _context: Any, _instances: Any) -> None:
        with Session(engine) as other:
            other.add(School(name="Norrskolan", unit_code="12345678", sender_key=key))
            other.commit()

    event.listen(db, "before_flush", meanwhile, once=True)
    found = _school(db, sent, rp_id="norr.example", origin="https://norr.example")
    db.commit()
    assert db.exec(select(School.id).where(School.sender_key == key)).all() == [found.id]
    with Session(engine) as again:
        again.add(School(name="Norrskolan igen", sender_key=key))
        with pytest.raises(IntegrityError):
            again.commit()
    engine.dispose()
