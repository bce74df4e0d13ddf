"""The pupil's plan for a term, her goals and her self-assessments."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from backend.access import Access
from backend.errors import Archived, FormError, NotFound
from backend.i18n import N_
from backend.models import Plan, PlanState, SelfAssessment, Term
from backend.names import Namer
from backend.plans import queries
from backend.plans.schemas import (
    COMMENT_MAX,
    GoalPublic,
    PlanPublic,
    ReplyPublic,
    SelfAssessmentPublic,
)
from backend.web import has_control_characters

LEVEL_WORDS = {1: N_("Not yet"), 2: N_("On my way"), 3: N_("Almost there"), 4: N_("I can do it")}


_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


def plan_this_term(session: Session, *, pupil_id: int, today: date) -> tuple[Plan, Term] | None:
    """The pupil's plan this term, with its term: the one answer to "which plan" for every
    domain. This term is her school's (terms/current.py); a plan imported from an earlier
    school is history, never this term's, whatever its dates."""
    row = session.execute(
        core_select(Plan, Term)
        .join(Term, col(Term.id) == Plan.term_id)
        .where(col(Plan.pupil_id) == pupil_id, col(Plan.term_id) == queries.CURRENT_TERM),
        {"pupil_id": pupil_id, "today": today},
    ).first()
    return (row.Plan, row.Term) if row else None


def plan_of(session: Session, *, pupil_id: int, today: date, namer: Namer) -> PlanPublic | None:
    """The pupil's plan for the term that holds today (between terms, the latest begun),
    with its goals (retired ones apart), every rating and the replies to them (their
    authors named as `namer` allows): two queries."""
    plan: PlanPublic | None = None
    goals: dict[int, GoalPublic] = {}
    ratings: dict[int, SelfAssessmentPublic] = {}
    for row in queries.PLAN.rows(session, {"pupil_id": pupil_id, "today": today}):
        if plan is None:
            plan = PlanPublic(
                id=row.plan_id, pupil_id=pupil_id, term=row.term, state=row.state, goals=[]
            )
        if row.goal_id is None:
            continue
        goal = goals.get(row.goal_id)
        if goal is None:
            goal = goals[row.goal_id] = GoalPublic(
                id=row.goal_id,
                area=row.area,
                text=row.text,
                how=row.how,
                version=row.version,
                retired_at=row.retired_at,
                self_assessments=[],
            )
            (plan.goals if row.retired_at is None else plan.retired).append(goal)
        if row.rating_id is not None:
            rating = ratings[row.rating_id] = SelfAssessmentPublic(
                id=row.rating_id, level=row.level, comment=row.comment, created_at=row.created_at
            )
            goal.self_assessments.append(rating)
            goal.ratings_total += 1
    if plan is not None and ratings:
        for reply in queries.REPLIES.rows(session, {"plan_id": plan.id}):
            author = reply.author_name or namer.name(
                person_id=reply.author_id,
                given=reply.given_name,
                family=reply.family_name,
                marking=reply.security_marking,
                role="teacher",
            )
            at = reply.created_at
            ratings[reply.self_assessment_id].replies.append(
                ReplyPublic(id=reply.id, author=author, text=reply.text, created_at=at)
            )
    return plan


# A page of a goal's ratings: the JSON plan and a term's record hold each goal's newest,
# the older ones come a page at a time (GET /api/goals/{goal_id}/ratings, the record's
# "older" link), so a goal rated a thousand times stays small.
RATINGS_PAGE = 50


def plan_seen(session: Session, *, access: Access, today: date) -> PlanPublic:
    """The plan this term as the viewer may see it (names as her relation allows), each
    goal with its newest `RATINGS_PAGE` ratings; 404 when the pupil has none."""
    plan = plan_of(session, pupil_id=access.pupil_id, today=today, namer=access.namer)
    if plan is None:
        raise NotFound()
    for goal in (*plan.goals, *plan.retired):
        del goal.self_assessments[:-RATINGS_PAGE]
    return plan


def month_start(today: date, zone: ZoneInfo) -> datetime:
    """The first of the month at the school: "this month" for the pupil and her mentor."""
    return datetime.combine(today.replace(day=1), time(), tzinfo=zone)


def rated_this_month(plan: PlanPublic, *, today: date, zone: ZoneInfo) -> set[int]:
    """The goals the pupil has rated since the first of the month, at the school."""
    since = month_start(today, zone)
    return {
        g.id
        for g in plan.goals
        if g.self_assessments and g.self_assessments[-1].created_at >= since
    }


def refuse_archived(state: str, plan_id: int) -> None:
    """Archived plans are read-only history (DESIGN, "A term, step by step", step 7): every
    write to one, in any domain, is refused with this 409 `archived` before anything
    changes. `state` is the plan's PlanState."""
    if state == PlanState.ARCHIVED:
        raise Archived(plan_id)


def refuse_archived_plan(session: Session, *, plan_id: int) -> None:
    """refuse_archived for a plan known by its id only (one small query)."""
    row = queries.PLAN_STATE.first(session, {"plan_id": plan_id})
    if row is not None:
        refuse_archived(str(row.state), plan_id)


def refuse_archived_term(session: Session, *, pupil_id: int, term_id: int) -> None:
    """refuse_archived for the pupil's plan in a term (a talk booking belongs to a term)."""
    row = queries.PLAN_IN_TERM.first(session, {"pupil_id": pupil_id, "term_id": term_id})
    if row is not None:
        refuse_archived(str(row.state), int(row.id))


def goal_to_rate(session: Session, *, pupil_id: int, goal_id: int) -> int:
    """The goal's plan, if the pupil may rate the goal: 404 when it is not hers (or
    retired), 409 `archived` when its plan is archived."""
    row = queries.GOAL_OF_PUPIL.first(session, {"goal_id": goal_id, "pupil_id": pupil_id})
    if row is None:
        raise NotFound()
    refuse_archived(str(row.state), int(row.id))
    return int(row.id)


def checked_key(value: str) -> str | None:
    """An idempotency key, if it is one (a form's hidden field, an API header)."""
    return value if _KEY.fullmatch(value) else None


def check_self_assessment(*, level: str, comment: str) -> tuple[int, str]:
    """The form's strings; only the ASCII digits 1–4 are a level."""
    errors: dict[str, str] = {}
    if level.strip() not in {"1", "2", "3", "4"}:
        errors["level"] = N_("Choose how it is going.")
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = N_("The comment is too long. Write at most 1000 characters.")
    elif has_control_characters(comment):
        errors["comment"] = N_(
            "The comment has a sign in it that we cannot save. Write it again without it."
        )
    if errors:
        raise FormError(errors)
    return int(level), comment


def record_self_assessment(
    session: Session, *, pupil_id: int, goal_id: int, level: int, comment: str, key: str | None
) -> tuple[SelfAssessmentPublic, bool]:
    """Adds a rating (earlier ones are kept) and says whether it is new: a save sent again
    with the same key returns the rating stored the first time. 404 when the goal is not
    the pupil's, 409 `archived` when its plan is archived (a retry too)."""
    goal_to_rate(session, pupil_id=pupil_id, goal_id=goal_id)
    if key is not None and (earlier := _by_key(session, goal_id=goal_id, key=key)):
        return earlier, False
    rating = SelfAssessment(goal_id=goal_id, level=level, comment=comment, idempotency_key=key)
    session.add(rating)
    try:
        session.commit()
    except IntegrityError:  # the same key, sent twice at the same moment
        session.rollback()
        earlier = _by_key(session, goal_id=goal_id, key=key or "")
        if earlier is None:
            raise
        return earlier, False
    assert rating.id is not None
    return SelfAssessmentPublic(
        id=rating.id, level=rating.level, comment=rating.comment, created_at=rating.created_at
    ), True


def _by_key(session: Session, *, goal_id: int, key: str) -> SelfAssessmentPublic | None:
    row = queries.BY_KEY.first(session, {"goal_id": goal_id, "key": key})
    if row is None:
        return None
    return SelfAssessmentPublic(
        id=row.id, level=row.level, comment=row.comment, created_at=row.created_at
    )
