"""The pupil's own goals: she proposes one, her mentor accepts it (as proposed or with his
changes, and it becomes a goal last in the plan) or declines it with a short reason, which
she reads. Only the mentor answers; an answered proposal stays as it was answered."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from sqlalchemy import func
from sqlmodel import Session, select

from backend.access import Access, Relation
from backend.errors import Conflict, Forbidden, Invalid, NotFound
from backend.goals import queries, service
from backend.goals.schemas import ProposalPublic
from backend.i18n import N_
from backend.models import GoalProposal, ProposalState, utcnow
from backend.plans.schemas import PlanPublic
from backend.plans.service import plan_this_term, refuse_archived_plan

PENDING_MAX = 5  # proposals waiting at once: enough for a pupil, not a flood for the mentor

MENTOR_ONLY = N_("Only the mentor answers the pupil's proposals.")
DECIDED = N_("This proposal has already been answered.")
TOO_MANY = N_("You have five proposals waiting for an answer. Wait until your mentor has answered.")


def public(proposal: GoalProposal) -> ProposalPublic:
    return msgspec.convert(proposal, ProposalPublic, from_attributes=True)


def proposals_of(
    session: Session, *, plan_id: int, pending_only: bool = False
) -> list[ProposalPublic]:
    """The plan's proposals, newest first (one query)."""
    rows = queries.PROPOSALS.rows(session, {"plan_id": plan_id})
    found = [ProposalPublic(**row._asdict()) for row in rows]
    return [p for p in found if p.state == "pending"] if pending_only else found


def pupil_proposals(session: Session, *, access: Access, today: date) -> list[ProposalPublic]:
    """Her proposals this term, for the pupil and her mentor."""
    found = plan_this_term(session, pupil_id=access.pupil_id, today=today)
    if found is None:
        return []
    plan, _term = found
    return proposals_of(session, plan_id=int(plan.id or 0))


def propose(
    session: Session, *, pupil_id: int, today: date, area: str, text: str, how: str
) -> ProposalPublic:
    """The pupil's own goal, waiting for the mentor. At most PENDING_MAX wait at once."""
    plan_id = service.writable_plan(session, pupil_id=pupil_id, today=today)
    waiting = session.exec(
        select(func.count())
        .select_from(GoalProposal)
        .where(GoalProposal.plan_id == plan_id, GoalProposal.state == ProposalState.PENDING)
    ).one()
    if waiting >= PENDING_MAX:
        raise Invalid("too_many_pending", TOO_MANY)
    proposal = GoalProposal(plan_id=plan_id, area=area, text=text, how=how)
    session.add(proposal)
    session.commit()
    return public(proposal)


def to_decide(session: Session, *, access: Access, proposal_id: int) -> GoalProposal:
    """A pending proposal, for the pupil's mentor: 403 for a teacher, 409 once answered or
    when its plan is archived."""
    if access.relation is not Relation.MENTOR:
        raise Forbidden(message=MENTOR_ONLY)
    proposal = session.get(GoalProposal, proposal_id)
    if proposal is None:
        raise NotFound()
    refuse_archived_plan(session, plan_id=proposal.plan_id)
    if proposal.state != ProposalState.PENDING:
        refusal = Conflict(msgspec.to_builtins(public(proposal)), reason="decided")
        refusal.message = DECIDED
        raise refusal
    return proposal


def decide(
    session: Session,
    *,
    access: Access,
    proposal_id: int,
    today: date,
    accept: bool,
    reason: str = "",
    area: str | None = None,
    text: str | None = None,
    how: str | None = None,
) -> ProposalPublic:
    """Accepting makes the goal (last in the plan), as proposed or with the mentor's
    changes; declining needs a short reason, which the pupil reads. Checked values only."""
    proposal = to_decide(session, access=access, proposal_id=proposal_id)
    if accept:
        goal = service.add_goal(
            session,
            access=access,
            today=today,
            area=proposal.area if area is None else area,
            text=proposal.text if text is None else text,
            how=proposal.how if how is None else how,
        )
        proposal.goal_id = goal.id
        proposal.state = ProposalState.ACCEPTED
    else:
        proposal.state = ProposalState.DECLINED
        proposal.reason = reason
    proposal.decided_by_id = access.viewer.person_id
    proposal.decided_at = utcnow()
    session.add(proposal)
    session.commit()
    return public(proposal)


def check_answer(
    proposal: GoalProposal,
    *,
    accept: bool,
    reason: str = "",
    area: str | None = None,
    text: str | None = None,
    how: str | None = None,
) -> dict[str, str]:
    """The mentor's answer checked, as decide's keywords: to accept, the goal's words (a
    field left out keeps the proposal's); to decline, the reason. FormError names each
    field that is wrong."""
    if not accept:
        return {"reason": service.check_reason(reason)}
    area, text, how = service.check_changes(proposal, area=area, text=text, how=how)
    return {"area": area, "text": text, "how": how}


def plan_context(
    session: Session, *, access: Access, plan: PlanPublic | None, partial: bool
) -> dict[str, Any]:
    """What the plan page shows of this domain: the viewer's rights on the goals, the
    pupil's proposals (to her all of them, to the mentor those waiting)."""
    rights = None if access.is_self else service.rights_of(session, access=access)
    proposals = []
    if plan is not None and not partial and (access.is_self or (rights and rights.mentor)):
        proposals = proposals_of(session, plan_id=plan.id, pending_only=not access.is_self)
    return {"rights": rights, "proposals": proposals}
