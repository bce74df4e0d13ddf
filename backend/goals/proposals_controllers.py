"""The pupil's own proposals and the mentor's answer: the pupil proposes from her plan page,
the mentor answers from his view of the plan (accept as proposed in one press, or open the
proposal to change or decline it), and the same as JSON."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody, URLEncodedBody
from litestar.response import Template
from sqlmodel import Session

from backend.access import OWN, Access, Relation, for_pupil, for_record
from backend.access import Record as R
from backend.errors import FormError, NotFound
from backend.goals import proposals, service
from backend.goals.controllers import READ, WRITE, WRITERS, back, fields_page, today_of
from backend.goals.schemas import (
    DecisionCreate,
    DecisionForm,
    ProposalCreate,
    ProposalPublic,
)
from backend.models import GoalProposal
from backend.readlog import ReadKind
from backend.web import RowId

READERS = frozenset({Relation.SELF, Relation.MENTOR})


class ProposalController(Controller):
    @get(
        "/goal-proposals/{proposal_id:int}",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_record(R.PROPOSAL, ReadKind.PLAN, WRITERS),
        name="goals.proposal",
    )
    def proposal(
        self, *, db: NamedDependency[Session], access: NamedDependency[Access], proposal_id: RowId
    ) -> Template:
        found = proposals.to_decide(db, access=access, proposal_id=proposal_id)
        form = DecisionForm(area=found.area, text=found.text, how=found.how)
        return _proposal_page(db, access, proposal=found, form=form)

    @post(
        "/goal-proposals/{proposal_id:int}/decision",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_record(R.PROPOSAL, None, WRITERS),
        name="goals.decide",
    )
    def decide(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        proposal_id: RowId,
        data: URLEncodedBody[DecisionForm],
    ) -> Response[Any]:
        """The plan's "Accept as proposed" sends the decision alone; the proposal's page
        sends its fields too (`edited`), as the mentor left them."""
        found = proposals.to_decide(db, access=access, proposal_id=proposal_id)
        if data.decision not in {"accept", "decline"}:
            raise NotFound()
        accept = data.decision == "accept"
        edits = {"area": data.area, "text": data.text, "how": data.how} if data.edited else {}
        try:
            answer = proposals.check_answer(found, accept=accept, reason=data.reason, **edits)
        except FormError as error:
            return _proposal_page(db, access, proposal=found, form=data, errors=error.errors)
        done = proposals.decide(
            db,
            access=access,
            proposal_id=proposal_id,
            today=today_of(state),
            accept=accept,
            **answer,
        )
        return back(access.pupil_id, f"#goal-{done.goal_id}" if accept else "#proposals")

    # ---- JSON ---------------------------------------------------------------------------

    @post(
        "/api/plan/goal-proposals",
        sync_to_thread=False,
        summary="The signed-in pupil proposes a goal of her own",
        responses=WRITE,
        dependencies=OWN,
        name="goals.propose_json",
    )
    def propose_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: JSONBody[ProposalCreate],
    ) -> ProposalPublic:
        with service.as_invalid():
            area, text, how = service.check_goal(area=data.area, text=data.text, how=data.how)
        return proposals.propose(
            db, pupil_id=access.pupil_id, today=today_of(state), area=area, text=text, how=how
        )

    @get(
        "/api/plan/goal-proposals",
        sync_to_thread=False,
        summary="The signed-in pupil's own proposals this term and their answers",
        responses=READ,
        dependencies=OWN,
        name="goals.own_proposals_json",
    )
    def own_proposals_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> list[ProposalPublic]:
        return proposals.pupil_proposals(db, pupil_id=access.pupil_id, today=today_of(state))

    @get(
        "/api/pupils/{pupil_id:int}/goal-proposals",
        sync_to_thread=False,
        summary="A pupil's proposals this term, for the pupil and her mentor",
        responses=READ,
        dependencies=for_pupil(ReadKind.PLAN, READERS),
        name="goals.proposals_json",
    )
    def proposals_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> list[ProposalPublic]:
        return proposals.pupil_proposals(db, pupil_id=access.pupil_id, today=today_of(state))

    @post(
        "/api/goal-proposals/{proposal_id:int}/decision",
        sync_to_thread=False,
        status_code=200,
        summary="The mentor accepts a proposal (as is or edited) or declines it with a reason",
        responses=WRITE,
        dependencies=for_record(R.PROPOSAL, None, WRITERS),
        name="goals.decide_json",
    )
    def decide_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        proposal_id: RowId,
        data: JSONBody[DecisionCreate],
    ) -> ProposalPublic:
        found = proposals.to_decide(db, access=access, proposal_id=proposal_id)
        with service.as_invalid():
            answer = proposals.check_answer(
                found,
                accept=data.accept,
                reason=data.reason,
                area=data.area,
                text=data.text,
                how=data.how,
            )
        return proposals.decide(
            db,
            access=access,
            proposal_id=proposal_id,
            today=today_of(state),
            accept=data.accept,
            **answer,
        )


def _proposal_page(
    db: Session,
    access: Access,
    *,
    proposal: GoalProposal,
    form: DecisionForm,
    errors: dict[str, str] | None = None,
) -> Template:
    return fields_page(
        "proposal",
        db,
        access,
        plan_id=proposal.plan_id,
        form=form,
        errors=errors,
        proposal=proposal,
    )
