"""History at any length (issue 23, item 8): a goal rated 1,000 times, with 200 replies to
its ratings, is read a page at a time (the newest 50 first, then each older 50), on the
term's record page, as its htmx partial and as JSON; never as one page of 500 KB."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import insert
from sqlmodel import Session, col, select

from backend.models import Goal, Plan, Reply, SelfAssessment, utcnow
from tests.integration.conftest import Visitor, demo_person

RATINGS = 1000
MESSAGES = 200
BOUND = 60_000  # bytes: a page of 50 ratings on the record, with the rest of the plan


def comment(i: int) -> str:
    return f"Betyg nummer {i}: det går framåt."


def seed(db: Session) -> tuple[int, int, int]:
    """Alva's first goal this term rated 1,000 times, a comment each, a minute apart, and
    200 teachers' replies to the newest ones; (pupil, plan, goal)."""
    alva, ek = demo_person(db, "alva"), demo_person(db, "teacher-ek")
    plan = db.exec(
        select(Plan).where(Plan.pupil_id == alva.id).order_by(col(Plan.id).desc())
    ).first()
    assert plan is not None and plan.id is not None and alva.id is not None
    goal = db.exec(select(Goal).where(Goal.plan_id == plan.id).order_by(col(Goal.position)))
    goal_id = goal.first().id  # type: ignore[union-attr]
    assert goal_id is not None
    start = utcnow() - timedelta(days=30)
    db.connection().execute(
        insert(SelfAssessment),
        [
            {
                "goal_id": goal_id,
                "level": 1 + i % 4,
                "comment": comment(i),
                "created_at": start + timedelta(minutes=i),
            }
            for i in range(RATINGS)
        ],
    )
    ids = db.exec(
        select(SelfAssessment.id)
        .where(SelfAssessment.goal_id == goal_id)
        .order_by(col(SelfAssessment.id))
    ).all()
    db.connection().execute(
        insert(Reply),
        [
            {
                "self_assessment_id": ids[-1 - i % 100],
                "author_id": ek.id,
                "author_name": "",
                "text": f"Svar nummer {i}: bra jobbat, fortsätt så!",
                "created_at": utcnow(),
            }
            for i in range(MESSAGES)
        ],
    )
    db.commit()
    return alva.id, plan.id, goal_id


def numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"Betyg nummer (\d+):", html)]


def test_a_goal_rated_a_thousand_times_is_read_a_page_at_a_time(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    _alva, plan, goal = seed(db)
    for key in ("alva", "mentor-4a"):
        who = signed_in(key)
        page = who.get(f"/plans/{plan}")
        assert page.status_code == 200, page.text
        assert len(page.content) < BOUND, len(page.content)
        assert numbers(page.text) == list(range(999, 949, -1))  # the newest 50, newest first
        older = re.search(rf'<a href="([^"#]+)#goal-{goal}" hx-get="([^"]+)"', page.text)
        assert older, "a link to the older ratings"
        url = older.group(1).replace("&amp;", "&")
        assert re.search(r'class="hint">[^<]*\b1000\b', page.text)  # how many in all

        # Without JavaScript: the record again, with the goal's next 50 (the 51st–100th).
        second = who.get(url)
        assert second.status_code == 200 and len(second.content) < BOUND
        assert numbers(second.text) == list(range(949, 899, -1))
        # With htmx: the page of ratings alone, with the link to the one after.
        partial = who.get(url, headers={"hx-request": "true"})
        assert partial.status_code == 200 and "<h1" not in partial.text
        assert numbers(partial.text) == list(range(949, 899, -1))
        assert f'id="older-{goal}"' in partial.text

    # The same as JSON, a cursor at a time, to the very first rating.
    mentor = signed_in("mentor-4a")
    seen: list[str] = []
    before: int | None = None
    while True:
        query = {"limit": 200} | ({"before": before} if before else {})
        answer = mentor.get(f"/api/goals/{goal}/ratings", params=query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["total"] == RATINGS and len(body["ratings"]) <= 200
        assert len(answer.content) < BOUND
        seen += [r["comment"] for r in body["ratings"]]
        before = body["before"]
        if before is None:
            break
    assert seen == [comment(i) for i in range(RATINGS - 1, -1, -1)]
    first = mentor.get(f"/api/goals/{goal}/ratings").json()
    assert len(first["ratings"]) == 50 and first["before"] is not None
    assert mentor.get(f"/api/goals/{goal}/ratings", params={"limit": 201}).status_code == 400
    outsider = signed_in("mentor-6d")
    assert outsider.get(f"/api/goals/{goal}/ratings").status_code == 404


def test_the_json_plan_holds_the_newest_ratings_and_how_many_there_are(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """/api/plan and /api/pupils/{id}/plan: each goal's newest 50 ratings with their
    replies, and `ratings_total`; the older ones come from /api/goals/{id}/ratings."""
    alva, _plan, goal = seed(db)
    for who, url in (
        (signed_in("alva"), "/api/plan"),
        (signed_in("mentor-4a"), f"/api/pupils/{alva}/plan"),
    ):
        answer = who.get(url)
        assert answer.status_code == 200, answer.text
        assert len(answer.content) < BOUND, len(answer.content)
        [rated] = [g for g in answer.json()["goals"] if g["id"] == goal]
        assert rated["ratings_total"] == RATINGS
        got = [r["comment"] for r in rated["self_assessments"]]
        assert got == [comment(i) for i in range(RATINGS - 50, RATINGS)]  # oldest first
        replies = sum(len(r["replies"]) for r in rated["self_assessments"])
        assert replies == 100  # the 200 replies went to the newest 100 ratings, two each


def test_the_json_record_of_a_term_holds_the_newest_ratings(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """/api/plans/{id}: each goal's newest 50 ratings, its id and `ratings_total`."""
    _alva, plan, goal = seed(db)
    answer = signed_in("mentor-4a").get(f"/api/plans/{plan}")
    assert answer.status_code == 200, answer.text
    assert len(answer.content) < BOUND, len(answer.content)
    [rated] = [g for g in answer.json()["goals"] if g["id"] == goal]
    assert rated["ratings_total"] == RATINGS
    assert [r["comment"] for r in rated["ratings"]] == [comment(i) for i in range(950, 1000)]
