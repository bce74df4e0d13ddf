"""Carrying a pupil's goals over: last term's goals she has not reached, offered to her
plan this term, and one carried over as a new goal that points back to it."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from backend.access import Access
from backend.errors import Conflict, Forbidden, NotFound
from backend.goals import service as goals
from backend.goals.schemas import CarryOverPublic, GoalSavedPublic
from backend.i18n import N_
from backend.models import Goal, Plan, SelfAssessment, Term
from backend.plans.service import plan_this_term

REACHED = 4  # a goal rated at the top level is reached; below it, it is offered again

ALREADY_CARRIED = N_("This goal has already been carried over, or it is not offered.")


def _previous_plan(session: Session, *, pupil_id: int, plan_id: int) -> int | None:
    """The pupil's plan in the latest term of her school before the current plan's term."""
    term = session.exec(
        select(Term).join(Plan, col(Plan.term_id) == Term.id).where(Plan.id == plan_id)
    ).one()
    earlier = session.exec(
        select(Term.id)
        .where(Term.school_id == term.school_id, Term.starts_on < term.starts_on)
        .order_by(col(Term.starts_on).desc())
        .limit(1)
    ).first()
    if earlier is None:
        return None
    return session.exec(
        select(Plan.id).where(Plan.pupil_id == pupil_id, Plan.term_id == earlier)
    ).first()


def offered(session: Session, *, access: Access, today: date) -> list[CarryOverPublic]:
    """Last term's goals not reached (latest rating below 4, or never rated), not retired,
    and not carried into the current plan yet; `writable` for whoever may write each."""
    found = plan_this_term(session, pupil_id=access.pupil_id, today=today)
    if found is None:
        return []
    plan_id = int(found[0].id or 0)
    previous = _previous_plan(session, pupil_id=access.pupil_id, plan_id=plan_id)
    if previous is None:
        return []
    code = session.exec(
        select(Term.code).join(Plan, col(Plan.term_id) == Term.id).where(Plan.id == previous)
    ).one()
    carried = set(
        session.exec(
            select(Goal.carried_from_id).where(
                Goal.plan_id == plan_id, col(Goal.carried_from_id).is_not(None)
            )
        )
    )
    candidates = session.exec(
        select(Goal)
        .where(Goal.plan_id == previous, col(Goal.retired_at).is_(None))
        .order_by(col(Goal.position), col(Goal.id))
    ).all()
    latest: dict[int, int] = {}
    ratings = session.exec(
        select(SelfAssessment.goal_id, SelfAssessment.level)
        .where(col(SelfAssessment.goal_id).in_([g.id for g in candidates]))
        .order_by(col(SelfAssessment.created_at), col(SelfAssessment.id))
    )
    for goal_id, level in ratings:
        latest[goal_id] = level
    rights = goals.rights_of(session, access=access)
    return [
        CarryOverPublic(
            id=goal.id,
            term=code,
            area=goal.area,
            text=goal.text,
            how=goal.how,
            level=latest.get(goal.id),
            writable=rights is not None and rights.may(goal.area),
        )
        for goal in candidates
        if goal.id is not None and goal.id not in carried and latest.get(goal.id, 0) < REACHED
    ]


def carry_over(session: Session, *, access: Access, goal_id: int, today: date) -> GoalSavedPublic:
    """The goal's area, text and how as a new goal last in the current plan, pointing back
    to it. 403 outside the viewer's subjects; 409 when it is not offered (reached, retired,
    not last term's, or carried over already)."""
    rights = goals.writer(session, access=access)
    goal = session.get(Goal, goal_id)
    if goal is None:
        raise NotFound()
    if not rights.may(goal.area):
        raise Forbidden(message=goals.NOT_YOUR_SUBJECT)
    if all(o.id != goal_id for o in offered(session, access=access, today=today)):
        refusal = Conflict(goals.current(goal), reason="not_offered")
        refusal.message = ALREADY_CARRIED
        raise refusal
    new = goals.add_goal(
        session, access=access, today=today, area=goal.area, text=goal.text, how=goal.how
    )
    new.carried_from_id = goal_id
    session.add(new)
    session.commit()
    return goals.public(new)
