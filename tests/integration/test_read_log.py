"""Reads that write little (issue 21): the read log lists a read once per reader, kind and
school day, so a read already logged that day is not written again; a principal's read
with a reason always is, and the next school day's read is written again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import Session, col, func, select

from backend import readlog
from backend.models import Group, ReadLog, utcnow
from tests.integration.conftest import Visitor
from tests.integration.test_people import person_id


def rows(db: Session, kind: str) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(ReadLog).where(col(ReadLog.kind) == kind)).one()


def test_a_group_read_again_the_same_day_is_not_written_again(
    db: Session, signed_in: Callable[[str], Visitor], monkeypatch: pytest.MonkeyPatch
) -> None:
    group = db.exec(select(Group).where(Group.name == "5C")).one()
    mentor = signed_in("mentor-4a")  # Karin mentors 5C too
    assert mentor.get(f"/groups/{group.id}").status_code == 200
    once = rows(db, "overview")
    assert once == 5  # a row for each of 5C's pupils
    for _ in range(3):
        assert mentor.get(f"/groups/{group.id}").status_code == 200
        assert mentor.get(f"/api/groups/{group.id}/overview").status_code == 200
    assert rows(db, "overview") == once
    # The next school day: written again.
    tomorrow = utcnow() + timedelta(days=1)
    monkeypatch.setattr(readlog, "utcnow", lambda: tomorrow)
    assert mentor.get(f"/groups/{group.id}").status_code == 200
    assert rows(db, "overview") == 2 * once


def test_a_read_with_a_reason_is_always_written(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    principal = signed_in("principal")
    pupil = person_id(db, "alva")
    reasons = ["Mentorn bad om stöd inför samtalet.", "Föräldern ringde och frågade."]
    for reason in reasons:
        given = principal.post(f"/api/pupils/{pupil}/read-reasons", json={"reason": reason})
        assert given.status_code == 201, given.text
    written = db.exec(select(ReadLog.reason).where(col(ReadLog.reason) != "")).all()
    assert sorted(written) == sorted(reasons)
