"""The group at a glance and the staff start page (issue 7, item 4)."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, select

from backend.models import Group
from tests.integration.conftest import Visitor, demo_person


def group_id(db: Session, name: str) -> int:
    group = db.exec(select(Group).where(Group.name == name)).one()
    assert group.id is not None
    return group.id


def test_smoke(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    mentor = signed_in("mentor-4a")
    home = mentor.get("/")
    print(home.status_code, home.text[-3000:])
    g = group_id(db, "4A")
    page = mentor.get(f"/groups/{g}")
    print(page.status_code, page.text[-5000:])
    print(mentor.get(f"/api/groups/{g}/overview").json())
    print(mentor.get("/api/groups").json())
    p = signed_in("principal")
    print(p.get("/").text[-2000:])
    school = db.exec(select(Group).where(Group.name == "4A")).one().school_id
    r = p.get(f"/schools/{school}")
    print(r.status_code, r.text[-6000:])
    print(p.get(f"/api/schools/{school}/overview").json())
    print(p.get(f"/schools/{school}/overview.csv").text)
    alva = demo_person(db, "alva")
    r = p.get(f"/pupils/{alva.id}/reason")
    print(r.status_code, r.text[-2000:])
