"""The pupil's plan for a term, her goals and her self-assessments."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from backend.i18n import N_
from backend.models import Goal, Plan, SelfAssessment, Term
from backend.plans.schemas import LEVELS, GoalPublic, PlanPublic, SelfAssessmentPublic

COMMENT_MAX = 1000
LEVEL_WORDS = {1: N_("Not yet"), 2: N_("On my way"), 3: N_("Almost there"), 4: N_("I can do it")}


class FormError(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors  # field -> message id (untranslated)


def current_term(session: Session, *, today: date) -> Term | None:
    """The term that holds today; between terms, the latest one that has started."""
    return session.exec(
        select(Term)
        .where(col(Term.starts_on) <= today)
        .order_by((col(Term.ends_on) >= today).desc(), col(Term.starts_on).desc())
        .limit(1)
    ).first()


def plan_of(session: Session, *, pupil_id: int, today: date) -> PlanPublic | None:
    term = current_term(session, today=today)
    if term is None:
        return None
    plan = session.exec(
        select(Plan).where(Plan.pupil_id == pupil_id, Plan.term_id == term.id)
    ).first()
    if plan is None or plan.id is None:
        return None
    goals = session.exec(
        select(Goal).where(Goal.plan_id == plan.id).order_by(col(Goal.position), col(Goal.id))
    ).all()
    ratings: dict[int, list[SelfAssessmentPublic]] = {g.id: [] for g in goals if g.id}
    for row in session.exec(
        select(SelfAssessment)
        .where(col(SelfAssessment.goal_id).in_(list(ratings)))
        .order_by(col(SelfAssessment.created_at), col(SelfAssessment.id))
    ).all():
        ratings[row.goal_id].append(
            SelfAssessmentPublic(
                id=row.id or 0, level=row.level, comment=row.comment, created_at=row.created_at
            )
        )
    return PlanPublic(
        id=plan.id,
        pupil_id=pupil_id,
        term=term.code,
        state=plan.state,
        goals=[
            GoalPublic(
                id=g.id or 0, area=g.area, text=g.text, self_assessments=ratings.get(g.id or 0, [])
            )
            for g in goals
        ],
    )


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
        errors["comment"] = N_("The comment is too long. Keep it under 1000 characters.")
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
