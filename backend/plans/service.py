"""The pupil's plan for a term, her goals and her self-assessments."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from backend.db import Query
from backend.errors import Archived, FormError, NotFound
from backend.i18n import N_
from backend.models import Goal, Person, Plan, PlanState, Reply, SelfAssessment, Term
from backend.names import Namer
from backend.plans.schemas import (
    COMMENT_MAX,
    GoalPublic,
    PlanPublic,
    ReplyPublic,
    SelfAssessmentPublic,
)
from backend.terms import current
from backend.web import has_control_characters

LEVEL_WORDS = {1: N_("Not yet"), 2: N_("On my way"), 3: N_("Almost there"), 4: N_("I can do it")}


_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")

# Hot reads are built once, with bind parameters, and run on the session's connection:
# building a statement, or the ORM's machinery around it, costs more than running it.
_CURRENT_TERM = current.of_pupil(bindparam("pupil_id"))
_PLAN = Query(
    core_select(
        col(Term.code),
        col(Plan.id),
        col(Plan.state),
        col(Goal.id),
        col(Goal.area),
        col(Goal.text),
        col(Goal.how),
        col(Goal.version),
        col(Goal.retired_at),
        col(SelfAssessment.id),
        col(SelfAssessment.level),
        col(SelfAssessment.comment),
        col(SelfAssessment.created_at),
    )
    .select_from(Plan)
    .join(Term, col(Term.id) == Plan.term_id)
    .outerjoin(Goal, col(Goal.plan_id) == Plan.id)
    .outerjoin(SelfAssessment, col(SelfAssessment.goal_id) == Goal.id)
    .where(col(Plan.pupil_id) == bindparam("pupil_id"), col(Plan.term_id) == _CURRENT_TERM)
    .order_by(
        col(Goal.position), col(Goal.id), col(SelfAssessment.created_at), col(SelfAssessment.id)
    )
)
# Replies with their authors' names, oldest first: the plan's below, and a teacher's list
# of reflections (which ones it narrows to by itself). An imported reply's author is a name.
REPLY_ROWS = (
    core_select(
        col(Reply.self_assessment_id),
        col(Reply.id),
        col(Person.given_name),
        col(Person.family_name),
        col(Reply.text),
        col(Reply.created_at),
        col(Reply.author_id),
        col(Person.security_marking),
        col(Reply.author_name),  # an imported reply's author: a name only
    )
    .outerjoin(Person, col(Person.id) == Reply.author_id)
    .order_by(col(Reply.created_at), col(Reply.id))
)
_REPLIES = Query(
    REPLY_ROWS.join(SelfAssessment, col(SelfAssessment.id) == Reply.self_assessment_id)
    .join(Goal, col(Goal.id) == SelfAssessment.goal_id)
    .where(col(Goal.plan_id) == bindparam("plan_id"))
)
_GOAL_OF_PUPIL = Query(
    core_select(col(Plan.id), col(Plan.state))
    .join(Goal, col(Goal.plan_id) == Plan.id)
    .where(
        col(Goal.id) == bindparam("goal_id"),
        col(Plan.pupil_id) == bindparam("pupil_id"),
        col(Goal.retired_at).is_(None),
    )
)
_PLAN_STATE = Query(core_select(col(Plan.state)).where(col(Plan.id) == bindparam("plan_id")))
_PLAN_IN_TERM = Query(
    core_select(col(Plan.id), col(Plan.state)).where(
        col(Plan.pupil_id) == bindparam("pupil_id"), col(Plan.term_id) == bindparam("term_id")
    )
)
_BY_KEY = Query(
    core_select(
        col(SelfAssessment.id),
        col(SelfAssessment.level),
        col(SelfAssessment.comment),
        col(SelfAssessment.created_at),
    ).where(
        col(SelfAssessment.goal_id) == bindparam("goal_id"),
        col(SelfAssessment.idempotency_key) == bindparam("key"),
    )
)


def plan_this_term(session: Session, *, pupil_id: int, today: date) -> tuple[Plan, Term] | None:
    """The pupil's plan this term, with its term: the one answer to "which plan" for every
    domain. This term is her school's (terms/current.py); a plan imported from an earlier
    school is history, never this term's, whatever its dates."""
    row = session.execute(
        core_select(Plan, Term)
        .join(Term, col(Term.id) == Plan.term_id)
        .where(col(Plan.pupil_id) == pupil_id, col(Plan.term_id) == _CURRENT_TERM),
        {"pupil_id": pupil_id, "today": today},
    ).first()
    return (row[0], row[1]) if row else None


def plan_of(session: Session, *, pupil_id: int, today: date, namer: Namer) -> PlanPublic | None:
    """The pupil's plan for the term that holds today (between terms, the latest begun),
    with its goals (retired ones apart), every rating and the replies to them (their
    authors named as `namer` allows): two queries."""
    rows = _PLAN.rows(session, {"pupil_id": pupil_id, "today": today})
    plan: PlanPublic | None = None
    goals: dict[int, GoalPublic] = {}
    ratings: dict[int, SelfAssessmentPublic] = {}
    for (
        term,
        plan_id,
        state,
        goal_id,
        area,
        text,
        how,
        version,
        retired_at,
        rating_id,
        level,
        comment,
        created_at,
    ) in rows:
        if plan is None:
            plan = PlanPublic(id=plan_id, pupil_id=pupil_id, term=term, state=state, goals=[])
        if goal_id is None:
            continue
        goal = goals.get(goal_id)
        if goal is None:
            goal = goals[goal_id] = GoalPublic(
                id=goal_id,
                area=area,
                text=text,
                how=how,
                version=version,
                retired_at=retired_at,
                self_assessments=[],
            )
            (plan.goals if retired_at is None else plan.retired).append(goal)
        if rating_id is not None:
            rating = ratings[rating_id] = SelfAssessmentPublic(
                id=rating_id, level=level, comment=comment, created_at=created_at
            )
            goal.self_assessments.append(rating)
    if plan is not None and ratings:
        for (
            rating_id,
            reply_id,
            given,
            family,
            text,
            at,
            author_id,
            marking,
            named,
        ) in _REPLIES.rows(session, {"plan_id": plan.id}):
            author = named or namer.name(
                person_id=author_id, given=given, family=family, marking=marking, role="teacher"
            )
            ratings[rating_id].replies.append(
                ReplyPublic(id=reply_id, author=author, text=text, created_at=at)
            )
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
    row = _PLAN_STATE.first(session, {"plan_id": plan_id})
    if row is not None:
        refuse_archived(str(row[0]), plan_id)


def refuse_archived_term(session: Session, *, pupil_id: int, term_id: int) -> None:
    """refuse_archived for the pupil's plan in a term (a talk booking belongs to a term)."""
    row = _PLAN_IN_TERM.first(session, {"pupil_id": pupil_id, "term_id": term_id})
    if row is not None:
        refuse_archived(str(row[1]), int(row[0]))


def goal_to_rate(session: Session, *, pupil_id: int, goal_id: int) -> int:
    """The goal's plan, if the pupil may rate the goal: 404 when it is not hers (or
    retired), 409 `archived` when its plan is archived."""
    row = _GOAL_OF_PUPIL.first(session, {"goal_id": goal_id, "pupil_id": pupil_id})
    if row is None:
        raise NotFound()
    refuse_archived(str(row[1]), int(row[0]))
    return int(row[0])


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
    row = _BY_KEY.first(session, {"goal_id": goal_id, "key": key})
    if row is None:
        return None
    return SelfAssessmentPublic(id=row[0], level=row[1], comment=row[2], created_at=row[3])
