"""The pupil's first journey through the HTTP API, with a software authenticator."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlmodel import Session, select

from backend.models import Goal, Plan, SelfAssessment
from tests.integration.conftest import Visitor, demo_person


def goal_ids(db: Session, key: str) -> list[int]:
    pupil = demo_person(db, key)
    rows = db.exec(select(Goal).join(Plan).where(Plan.pupil_id == pupil.id)).all()
    return [g.id for g in rows if g.id is not None]


def test_enrol_sign_out_sign_in_and_self_assess(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = signed_in("alva")
    home = alva.get("/?welcome=1")
    assert home.status_code == 200
    assert "Mina mål" in home.text and "multiplikationstabellerna" in home.text
    assert home.headers["cache-control"] == "no-store"

    out = alva.form("/logout", {})
    assert out.status_code == 303 and out.headers["location"] == "/login?signed_out=1"
    assert alva.get("/").status_code == 303

    response = alva.sign_in()
    assert response.status_code == 201 and response.json() == {"redirect": "/"}
    goal = goal_ids(db, "alva")[0]
    saved = alva.form(f"/goals/{goal}/self-assessments", {"level": "2", "comment": "Sjuans tabell"})
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/?saved={goal}#goal-{goal}"
    again = alva.form(f"/goals/{goal}/self-assessments", {"level": "3", "comment": ""})
    assert again.status_code == 303
    page = alva.get(f"/?saved={goal}").text
    assert "Sjuans tabell" in page and "På väg" in page and "Nästan" in page
    assert f'data-draft-saved="sa-{goal}"' in page
    assert re.search(r'<polyline class="chart__line"', page)
    levels = db.exec(select(SelfAssessment.level).where(SelfAssessment.goal_id == goal)).all()
    assert sorted(levels) == [2, 3], "every rating is kept"


def test_htmx_answers_with_the_goal_card_only(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = signed_in("alva")
    goal = goal_ids(db, "alva")[1]
    response = alva.post(
        f"/goals/{goal}/self-assessments",
        data={"level": "4", "comment": "Läste klart"},
        headers={"hx-request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<article class="goal card" id="goal-{goal}"')
    assert "<html" not in response.text and "Läste klart" in response.text
    assert response.headers["vary"].split(",")[0] == "HX-Request"  # then Accept-Encoding


def test_a_missing_level_is_explained_and_the_comment_kept(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = signed_in("alva")
    goal = goal_ids(db, "alva")[0]
    response = alva.form(f"/goals/{goal}/self-assessments", {"comment": "Mitt utkast"})
    assert response.status_code == 422
    assert "Välj" in response.text and "Mitt utkast" in response.text
    assert 'class="error-summary"' in response.text
    htmx = alva.post(
        f"/goals/{goal}/self-assessments",
        data={"level": "9", "comment": "x"},
        headers={"hx-request": "true"},
    )
    assert htmx.status_code == 422 and "<html" not in htmx.text
    assert db.exec(select(SelfAssessment).where(SelfAssessment.goal_id == goal)).first() is None


def test_json_api_records_and_reads(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    omar = signed_in("omar")
    goal = goal_ids(db, "omar")[0]
    created = omar.post(f"/api/goals/{goal}/self-assessments", json={"level": 3, "comment": "ok"})
    assert created.status_code == 201 and created.json()["level"] == 3
    plan = omar.get("/api/plan").json()
    assert plan["term"].startswith(("HT", "VT"))
    assert [g["self_assessments"][0]["comment"] for g in plan["goals"] if g["id"] == goal] == ["ok"]
    bad = omar.post(f"/api/goals/{goal}/self-assessments", json={"level": 7})
    assert bad.status_code == 400 and "message" in bad.json()
    assert omar.post(f"/api/goals/{goal}/self-assessments", json={"level": 0}).status_code == 400
