"""Goals as JSON: staff write goals, the pupil proposes her own and her mentor answers,
staff carry last term's unreached goals over. The pages are in controllers.py; both call
the same services."""

from __future__ import annotations

from litestar import Controller, Response, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlmodel import Session

from backend.access import OWN, STAFF, Access, Relation, for_pupil, for_record
from backend.access import Record as R
from backend.errors import refusals
from backend.goals import carry_over as carry_over_service
from backend.goals import proposals, service
from backend.goals.controllers import WRITERS, today_of
from backend.goals.schemas import (
    CarryOverPublic,
    DecisionCreate,
    GoalCreate,
    GoalSavedPublic,
    GoalUpdate,
    ProposalCreate,
    ProposalPublic,
)
from backend.models import Goal
from backend.readlog import ReadKind
from backend.web import RowId

_REFUSED = {
    403: "Linked to the pupil, but not allowed this",
    404: "No such pupil, goal or proposal, or not yours",
    422: "Not a valid goal, proposal or answer",
}
WRITE = refusals(
    _REFUSED
    | {409: "Stale version or retired goal (`current` is the record now), or `archived` plan"}
)
READ = refusals({k: v for k, v in _REFUSED.items() if k != 422})
CARRY = refusals(
    {
        403: "Linked to the pupil, but the goal is not in her subjects",
        404: "No such goal, or its pupil is not hers",
        409: "Not offered: reached, retired, not last term's, or carried over already",
    }
)
READERS = frozenset({Relation.SELF, Relation.MENTOR})  # of a pupil's proposals


class GoalApiController(Controller):
    path = "/api"
    tags = ("goals",)

    @post(
        "/pupils/{pupil_id:int}/goals",
        sync_to_thread=False,
        summary="Write a goal in the pupil's plan this term (mentor; teacher in her subject)",
        responses=WRITE,
        dependencies=for_pupil(None, WRITERS),
        name="goals.create_json",
    )
    def create_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: JSONBody[GoalCreate],
    ) -> GoalSavedPublic:
        with service.as_invalid():
            area, text, how = service.check_goal(area=data.area, text=data.text, how=data.how)
        return service.create_goal(
            db, access=access, today=today_of(state), area=area, text=text, how=how
        )

    @patch(
        "/goals/{goal_id:int}",
        sync_to_thread=False,
        summary="Change a goal's area, text, how or place, with the version it is based on",
        responses=WRITE,
        dependencies=for_record(R.GOAL, None, WRITERS),
        name="goals.update_json",
    )
    def update_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
        data: JSONBody[GoalUpdate],
    ) -> GoalSavedPublic:
        fields: dict[str, str | None] = {"area": data.area, "text": data.text, "how": data.how}
        if any(value is not None for value in fields.values()):
            goal = db.get(Goal, goal_id)
            assert goal is not None  # the policy found it
            with service.as_invalid():
                checked = service.check_changes(goal, **fields)
            # Only what was sent is changed: the rest stays as it is, to the letter.
            fields = {
                key: new if fields[key] is not None else None
                for key, new in zip(fields, checked, strict=True)
            }
        return service.update_goal(
            db,
            access=access,
            goal_id=goal_id,
            today=today_of(state),
            version=data.version,
            position=data.position,
            **fields,
        )

    @post(
        "/goals/{goal_id:int}/retire",
        sync_to_thread=False,
        status_code=200,
        summary="Retire a goal: it leaves the plan in force and keeps its ratings",
        responses=WRITE,
        dependencies=for_record(R.GOAL, None, WRITERS),
        name="goals.retire_json",
    )
    def retire_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
    ) -> GoalSavedPublic:
        return service.retire_goal(db, access=access, goal_id=goal_id, today=today_of(state))

    @post(
        "/plan/goal-proposals",
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
        "/plan/goal-proposals",
        sync_to_thread=False,
        summary="The signed-in pupil's own proposals this term and their answers",
        responses=READ,
        dependencies=OWN,
        name="goals.own_proposals_json",
    )
    def own_proposals_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> list[ProposalPublic]:
        return proposals.pupil_proposals(db, access=access, today=today_of(state))

    @get(
        "/pupils/{pupil_id:int}/goal-proposals",
        sync_to_thread=False,
        summary="A pupil's proposals this term, for the pupil and her mentor",
        responses=READ,
        dependencies=for_pupil(ReadKind.PLAN, READERS),
        name="goals.proposals_json",
    )
    def proposals_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> list[ProposalPublic]:
        return proposals.pupil_proposals(db, access=access, today=today_of(state))

    @post(
        "/goal-proposals/{proposal_id:int}/decision",
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

    @post(
        "/goals/{goal_id:int}/carry-over",
        sync_to_thread=False,
        summary="Carry last term's unreached goal over into the pupil's plan this term "
        "(the mentor any, a teacher her subjects)",
        responses=CARRY,
        dependencies=for_record(R.GOAL, None, STAFF),
        name="goals.carry_over_json",
    )
    def carry_over_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
    ) -> Response[GoalSavedPublic]:
        goal = carry_over_service.carry_over(
            db, access=access, goal_id=goal_id, today=today_of(state)
        )
        return Response(goal, status_code=201)

    @get(
        "/pupils/{pupil_id:int}/carry-over",
        sync_to_thread=False,
        summary="Last term's goals not reached, offered to the pupil's plan this term (staff)",
        responses=refusals({404: "No such pupil, or not one of her mentor's or teachers'"}),
        dependencies=for_pupil(ReadKind.PLAN, STAFF),
        name="goals.offered_json",
    )
    def offered_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> list[CarryOverPublic]:
        return carry_over_service.offered(db, access=access, today=today_of(state))
