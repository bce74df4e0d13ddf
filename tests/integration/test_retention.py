"""Retention per school (issue 10, part 4; backend/retention/): each school's own periods
come before the installation's; a pupil of two schools keeps an entry until both periods
have passed; an archived plan goes only when its pupil has left, with all that hangs off
it, and a dry run changes nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time, timedelta
from typing import Any

import msgspec
from litestar.testing import TestClient
from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from backend import periodic
from backend.app import create_app
from backend.db import make_engine
from backend.models import (
    Agreement,
    AuditEvent,
    Goal,
    Group,
    GroupPupil,
    Note,
    PeriodicLease,
    Plan,
    PlanState,
    ReadLog,
    Reply,
    School,
    SelfAssessment,
    Term,
    utcnow,
)
from backend.retention.service import sweep
from backend.settings import Settings
from tests.integration.conftest import demo_person


def school_of(db: Session, key: str) -> School:
    pupil = demo_person(db, key)
    found = db.exec(
        select(School)
        .join(Group, col(Group.school_id) == School.id)
        .join(GroupPupil, col(GroupPupil.group_id) == Group.id)
        .where(GroupPupil.pupil_id == pupil.id)
    ).first()
    assert found is not None, f"{key} is in no school"
    return found


def reads(db: Session, key: str) -> list[int]:
    """The ages in days of the read log entries about her."""
    now = utcnow()
    db.expire_all()
    return sorted(
        (now - r.at).days
        for r in db.exec(select(ReadLog).where(ReadLog.pupil_id == demo_person(db, key).id))
    )


def count(db: Session, table: Any, *where: Any) -> int:
    db.expire_all()
    return int(db.exec(select(func.count()).select_from(table).where(*where)).one())


def test_each_school_keeps_the_read_log_and_audit_entries_for_its_own_period(
    db: Session, settings: Settings
) -> None:
    the_read_log_and_audit_entries(db, settings)


def the_read_log_and_audit_entries(db: Session, settings: Settings) -> None:
    alva, maja = demo_person(db, "alva"), demo_person(db, "maja")
    first = school_of(db, "alva")
    # Maja moves to a group of the other school.
    second = db.exec(select(School).where(School.id != first.id)).first()
    assert second is not None
    group = Group(school_id=second.id, name="1A")
    db.add(group)
    db.flush()
    db.execute(delete(GroupPupil).where(col(GroupPupil.pupil_id) == maja.id))
    db.add(GroupPupil(group_id=group.id, pupil_id=maja.id))
    reader = demo_person(db, "mentor-4a")
    now = utcnow()
    for pupil in (alva, maja):
        for days in (400, 40, 10):
            at = now - timedelta(days=days)
            db.add(ReadLog(at=at, reader_id=reader.id, pupil_id=pupil.id, kind="plan"))
            db.add(AuditEvent(at=at, actor_id=reader.id, pupil_id=pupil.id, kind="signed_in"))
    for days in (400, 40):  # about nobody: the installation's period
        db.add(AuditEvent(at=now - timedelta(days=days), actor_id=reader.id, kind="signed_in"))
    first.retention_read_log_days = 30  # Alva's school: a month
    first.retention_audit_days = 0  # kept for ever, whatever the installation says
    db.add(first)
    db.commit()
    mine = msgspec.structs.replace(settings, retention_read_log_days=365, retention_audit_days=60)

    before = (reads(db, "alva"), reads(db, "maja"), count(db, AuditEvent))
    dry = sweep(db, settings=mine, now=utcnow(), apply=False)
    db.rollback()
    assert (reads(db, "alva"), reads(db, "maja"), count(db, AuditEvent)) == before
    lines = [line.line(apply=False) for line in dry]
    assert f"read log entries ({first.name}): would remove 2 older than 30 days" in "\n".join(
        lines
    ), lines

    sweep(db, settings=mine, now=utcnow(), apply=True)
    db.commit()
    assert reads(db, "alva") == [10]  # her school's month
    assert reads(db, "maja") == [10, 40]  # the installation's year
    # Audit: Alva's school keeps for ever; Maja's and nobody's follow the 60 days.
    assert count(db, AuditEvent, AuditEvent.pupil_id == alva.id) == 3
    assert count(db, AuditEvent, AuditEvent.pupil_id == maja.id) == 2
    assert count(db, AuditEvent, col(AuditEvent.pupil_id).is_(None), AuditEvent.at < now) == 1

    # Alva joins a group of the other school too: her entries follow the longer period.
    db.add(GroupPupil(group_id=group.id, pupil_id=alva.id))
    db.add(ReadLog(at=now - timedelta(days=40), reader_id=reader.id, pupil_id=alva.id, kind="x"))
    db.commit()
    sweep(db, settings=mine, now=utcnow(), apply=True)
    db.commit()
    assert reads(db, "alva") == [10, 40]


def test_an_archived_plan_goes_years_after_its_term_only_when_the_pupil_has_left(
    db: Session, settings: Settings
) -> None:
    an_archived_plan(db, settings)


def an_archived_plan(db: Session, settings: Settings) -> None:
    liam, ella = demo_person(db, "liam"), demo_person(db, "ella")
    school = school_of(db, "liam")
    last = db.exec(
        select(Plan, Term)
        .join(Term, col(Term.id) == Plan.term_id)
        .where(Plan.pupil_id == liam.id, Plan.state == PlanState.ARCHIVED)
    ).one()
    plan, term = last
    plan_id, term_id = plan.id, term.id
    # Last term ended three years ago, and Liam has moved away since.
    term.starts_on -= timedelta(days=3 * 365)
    term.ends_on -= timedelta(days=3 * 365)
    db.add(term)
    old_goal = db.exec(select(Goal).where(Goal.plan_id == plan.id)).first()
    assert old_goal is not None
    rating = db.exec(select(SelfAssessment).where(SelfAssessment.goal_id == old_goal.id)).first()
    assert rating is not None
    db.add(Reply(self_assessment_id=rating.id, author_name="Sara Ek", text="Bra"))
    db.add(
        Agreement(
            plan_id=plan.id, text="Läsa", party="pupil", due_on=term.ends_on, created_by_id=None
        )
    )
    mentor = demo_person(db, "mentor-4a")
    written = datetime.combine(term.ends_on - timedelta(days=10), time(12), tzinfo=UTC)
    old_note = Note(pupil_id=liam.id, author_id=mentor.id, text="Gammal", created_at=written)
    new_note = Note(pupil_id=liam.id, author_id=mentor.id, text="Ny")
    db.add(old_note)
    db.add(new_note)
    # His goal this term was carried over from last term's.
    now_goal = db.exec(
        select(Goal)
        .join(Plan, col(Plan.id) == Goal.plan_id)
        .where(Plan.pupil_id == liam.id, Plan.id != plan.id)
    ).first()
    assert now_goal is not None
    now_goal.carried_from_id = old_goal.id
    db.add(now_goal)
    school.retention_plan_years = 2
    db.add(school)
    db.commit()
    plans, goals = count(db, Plan), count(db, Goal)

    # While he is in a group here, nothing of his goes.
    assert [
        r.count
        for r in sweep(db, settings=settings, now=utcnow(), apply=True)
        if "plans" in r.what and r.period
    ] == [0]
    db.commit()
    assert count(db, Plan) == plans

    db.execute(delete(GroupPupil).where(col(GroupPupil.pupil_id) == liam.id))
    db.commit()
    done = sweep(db, settings=settings, now=utcnow(), apply=True)
    db.commit()
    assert [r.count for r in done if "plans" in r.what and r.period] == [1]
    assert db.get(Plan, plan_id) is None
    assert count(db, Plan) == plans - 1
    assert count(db, Goal) == goals - 2  # last term's two goals
    assert count(db, Goal, Goal.plan_id == plan_id) == 0
    assert count(db, Agreement, Agreement.plan_id == plan_id) == 0
    assert count(db, Reply, Reply.text == "Bra") == 0
    assert count(db, Note, Note.pupil_id == liam.id) == 1  # the note written since stays
    db.expire_all()
    kept = db.get(Goal, now_goal.id)
    assert kept is not None and kept.carried_from_id is None
    # Ella, who stayed, keeps her plan of that term.
    assert count(db, Plan, Plan.pupil_id == ella.id, Plan.term_id == term_id) == 1


def test_the_app_removes_what_is_past_its_period_when_it_starts(
    db: Session, settings: Settings
) -> None:
    """Retention is periodic work (backend/periodic.py), as closing ended terms is: at the
    app's start-up and then hourly, with an audit entry when something went."""
    alva = demo_person(db, "alva")
    reader = demo_person(db, "mentor-4a")
    now = utcnow()
    for days in (400, 10):
        db.add(
            ReadLog(
                at=now - timedelta(days=days), reader_id=reader.id, pupil_id=alva.id, kind="plan"
            )
        )
    db.commit()
    audits = count(db, AuditEvent, AuditEvent.kind == "gallra")

    with TestClient(create_app(settings)) as client:  # no period set: nothing goes
        assert client.get("/healthz").status_code == 200
    assert 400 in reads(db, "alva")
    assert count(db, AuditEvent, AuditEvent.kind == "gallra") == audits

    school = school_of(db, "alva")
    school.retention_read_log_days = 30
    db.add(school)
    db.commit()
    with TestClient(create_app(settings)) as client:  # within the hour: the lease is taken
        assert client.get("/healthz").status_code == 200
    assert 400 in reads(db, "alva")
    lease = db.get(PeriodicLease, periodic.LEASE)
    assert lease is not None
    lease.until = 0  # an hour later
    db.add(lease)
    db.commit()
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
    assert reads(db, "alva") and all(days < 30 for days in reads(db, "alva"))
    assert count(db, AuditEvent, AuditEvent.kind == "gallra") == audits + 1


def test_a_failing_pass_does_not_stop_the_others(
    db: Session, settings: Settings, monkeypatch: Any
) -> None:
    def broken(session: Session, settings: Settings) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(periodic, "PASSES", (broken, *periodic.PASSES))
    alva = demo_person(db, "alva")
    db.add(
        ReadLog(
            at=utcnow() - timedelta(days=400),
            reader_id=demo_person(db, "liam").id,
            pupil_id=alva.id,
            kind="plan",
        )
    )
    school = school_of(db, "alva")
    school.retention_read_log_days = 30
    db.add(school)
    db.commit()
    assert any(days >= 30 for days in reads(db, "alva"))
    engine = make_engine(settings.database_url)
    try:
        assert periodic.run_passes(engine, settings) == 1
    finally:
        engine.dispose()
    assert all(days < 30 for days in reads(db, "alva"))


def test_of_many_processes_one_runs_the_hours_passes(settings: Settings) -> None:
    one_takes_the_lease(settings.database_url)


def one_takes_the_lease(url: str) -> None:
    """The lease: eight racing takers (threads with an engine each, as processes would
    have), one wins; within the hour nobody takes it again; when it has run out, one does."""
    engines = [make_engine(url) for _ in range(8)]
    now = int(utcnow().timestamp())
    try:
        with ThreadPoolExecutor(8) as pool:
            won = list(pool.map(lambda e: periodic.take_lease(e, now=now), engines))
        assert won.count(True) == 1
        assert not periodic.take_lease(engines[0], now=now + 60)
        assert periodic.take_lease(engines[1], now=now + 3600)
    finally:
        for engine in engines:
            engine.dispose()
