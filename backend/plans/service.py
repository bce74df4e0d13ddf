"""The pupil's plan for a term, her goals and her self-assessments."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from backend.i18n import N_
from backend.models import Goal, Plan, SelfAssessment, Term
from backend.plans.schemas import COMMENT_MAX, LEVELS, GoalPublic, PlanPublic, SelfAssessmentPublic

LEVEL_WORDS = {1: N_("Not yet"), 2: N_("On my way"), 3: N_("Almost there"), 4: N_("I can do it")}


class FormError(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors  # field -> message id (untranslated)


# Hot reads are built once, with bind parameters: building a statement costs more than
# running it on SQLite (bench/pages.py).
_CURRENT_TERM = (
    core_select(col(Term.id), col(Term.code))
    .where(col(Term.starts_on) <= bindparam("today"))
    .order_by((col(Term.ends_on) >= bindparam("today")).desc(), col(Term.starts_on).desc())
    .limit(1)
)
_PLAN = (
    core_select(
        col(Plan.id),
        col(Plan.state),
        col(Goal.id),
        col(Goal.area),
        col(Goal.text),
        col(SelfAssessment.id),
        col(SelfAssessment.level),
        col(SelfAssessment.comment),
        col(SelfAssessment.created_at),
    )
    .select_from(Plan)
    .outerjoin(Goal, col(Goal.plan_id) == Plan.id)
    .outerjoin(SelfAssessment, col(SelfAssessment.goal_id) == Goal.id)
    .where(col(Plan.pupil_id) == bindparam("pupil_id"), col(Plan.term_id) == bindparam("term_id"))
    .order_by(
        col(Goal.position), col(Goal.id), col(SelfAssessment.created_at), col(SelfAssessment.id)
    )
)


def current_term(session: Session, *, today: date) -> tuple[int, str] | None:
    """The term that holds today; between terms, the latest one that has started."""
    row = session.execute(_CURRENT_TERM, {"today": today}).first()
    return None if row is None else (row[0], row[1])


def plan_of(session: Session, *, pupil_id: int, today: date) -> PlanPublic | None:
    """The pupil's plan for the current term with its goals and every rating: two queries."""
    term = current_term(session, today=today)
    if term is None:
        return None
    rows: Any = session.execute(_PLAN, {"pupil_id": pupil_id, "term_id": term[0]})  # 9 columns
    plan: PlanPublic | None = None
    goals: dict[int, GoalPublic] = {}
    for (
        plan_id,
        state,
        goal_id,
        area,
        text,
        rating_id,
        level,
        comment,
        created_at,
    ) in rows:
        if plan is None:
            plan = PlanPublic(id=plan_id, pupil_id=pupil_id, term=term[1], state=state, goals=[])
        if goal_id is None:
            continue
        goal = goals.get(goal_id)
        if goal is None:
            goal = goals[goal_id] = GoalPublic(
                id=goal_id, area=area, text=text, self_assessments=[]
            )
            plan.goals.append(goal)
        if rating_id is not None:
            goal.self_assessments.append(
                SelfAssessmentPublic(
                    id=rating_id, level=level, comment=comment, created_at=created_at
                )
            )
    return plan


def goal_of_pupil(session: Session, *, pupil_id: int, goal_id: int) -> Goal | None:
    """The goal, if it is in one of this pupil's plans that can still change."""
    return session.exec(
        select(Goal)
        .join(Plan, col(Plan.id) == Goal.plan_id)
        .where(Goal.id == goal_id, Plan.pupil_id == pupil_id, Plan.state != "archived")
    ).first()


def check_self_assessment(*, level: str, comment: str) -> tuple[int, str]:
    errors: dict[str, str] = {}
    value = int(level) if level.strip().isdigit() else 0
    if value not in LEVELS:
        errors["level"] = N_("Choose how it is going.")
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = N_("The comment is too long. Write at most 1000 characters.")
    if errors:
        raise FormError(errors)
    return value, comment


def record_self_assessment(
    session: Session, *, pupil_id: int, goal_id: int, level: int, comment: str
) -> SelfAssessment | None:
    """Adds a rating; earlier ones are kept. None when the goal is not the pupil's."""
    if goal_of_pupil(session, pupil_id=pupil_id, goal_id=goal_id) is None:
        return None
    rating = SelfAssessment(goal_id=goal_id, level=level, comment=comment)
    session.add(rating)
    session.commit()
    return rating
