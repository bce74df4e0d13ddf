"""Goals written by staff on the pupil's plan, and the pupil's own proposals with the
mentor's answer: pages with plain forms (post/redirect/get, a confirmation step without
JavaScript) and the same as JSON. Who may write which goal is the service's rule; the
policies here only say who is linked to the pupil."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlmodel import Session

from backend.access import OWN, STAFF, Access, Relation, for_pupil, for_record
from backend.access import Record as R
from backend.errors import Conflict, ErrorMessage, Invalid, NotFound
from backend.goals import service
from backend.goals.schemas import (
    ConfirmForm,
    DecisionCreate,
    DecisionForm,
    GoalCreate,
    GoalForm,
    GoalSavedPublic,
    GoalUpdate,
    MoveForm,
    ProposalCreate,
    ProposalPublic,
)
from backend.models import Goal, GoalProposal, Person
from backend.plans.controllers import plan_page
from backend.plans.service import FormError
from backend.readlog import ReadKind
from backend.web import Page, RowId

WRITERS = STAFF  # staff linked to the pupil; which goals each may write: service.Rights
PROPOSAL_READERS = frozenset({Relation.SELF, Relation.MENTOR})

_REFUSED = {
    401: ResponseSpec(ErrorMessage, description="Not signed in, or the session has ended"),
    403: ResponseSpec(ErrorMessage, description="Linked to the pupil, but not allowed this"),
    404: ResponseSpec(ErrorMessage, description="No such pupil, goal or proposal, or not yours"),
    422: ResponseSpec(ErrorMessage, description="Not a valid goal, proposal or answer"),
}
WRITE = {
    **_REFUSED,
    409: ResponseSpec(
        ErrorMessage,
        description="Stale version, retired goal or closed plan: `current` is the record now",
    ),
}
READ = {k: v for k, v in _REFUSED.items() if k != 422}


def _today(state: State) -> Any:
    return state.settings.today()


def _back(pupil_id: int, anchor: str = "") -> Redirect:
    return Redirect(f"/pupils/{pupil_id}{anchor}", status_code=303)


class GoalController(Controller):
    # ---- Pages: staff write goals -------------------------------------------------------

    @get(
        "/pupils/{pupil_id:int}/goals/new",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_pupil(ReadKind.PLAN, WRITERS),
    )
    def new_goal(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> Template:
        return _goal_page(db, access, today=_today(state), goal=None, form=GoalForm())

    @post(
        "/pupils/{pupil_id:int}/goals",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_pupil(None, WRITERS),
    )
    def create_goal(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: URLEncodedBody[GoalForm],
    ) -> Response[Any]:
        try:
            area, text, how = service.check_goal(area=data.area, text=data.text, how=data.how)
        except FormError as error:
            return _goal_page(
                db, access, today=_today(state), goal=None, form=data, errors=error.errors
            )
        goal = service.create_goal(
            db, access=access, today=_today(state), area=area, text=text, how=how
        )
        return _back(access.pupil_id, f"#goal-{goal.id}")

    @get(
        "/goals/{goal_id:int}/edit",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_record(R.GOAL, ReadKind.PLAN, WRITERS),
    )
    def edit_goal(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
    ) -> Template:
        goal = service.goal_to_write(db, access=access, goal_id=goal_id, today=_today(state))
        form = GoalForm(area=goal.area, text=goal.text, how=goal.how, version=str(goal.version))
        return _goal_page(db, access, today=_today(state), goal=goal, form=form)

    @post(
        "/goals/{goal_id:int}/edit",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_record(R.GOAL, None, WRITERS),
    )
    def save_goal(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
        data: URLEncodedBody[GoalForm],
    ) -> Response[Any]:
        today = _today(state)
        goal = service.goal_to_write(db, access=access, goal_id=goal_id, today=today)
        try:
            area, text, how = service.check_goal(area=data.area, text=data.text, how=data.how)
        except FormError as error:
            return _goal_page(db, access, today=today, goal=goal, form=data, errors=error.errors)
        version = int(data.version) if data.version.isdigit() else 0
        try:
            service.update_goal(
                db,
                access=access,
                goal_id=goal_id,
                today=today,
                version=version,
                area=area,
                text=text,
                how=how,
            )
        except Conflict as conflict:
            if conflict.reason != "stale_version":
                raise
            # Her words stay in the fields; the saved ones are shown beside them, and the
            # form now carries the current version: saving again is a choice she makes.
            return _goal_page(db, access, today=today, goal=goal, form=data, conflict=goal)
        return _back(access.pupil_id, f"#goal-{goal_id}")

    @post(
        "/goals/{goal_id:int}/move",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_record(R.GOAL, None, WRITERS),
    )
    def move_goal(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
        data: URLEncodedBody[MoveForm],
    ) -> Redirect:
        service.move_goal(
            db, access=access, goal_id=goal_id, today=_today(state), direction=data.direction
        )
        return _back(access.pupil_id, f"#goal-{goal_id}")

    @get(
        "/goals/{goal_id:int}/retire",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_record(R.GOAL, ReadKind.PLAN, WRITERS),
    )
    def confirm_retire(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
    ) -> Template:
        goal = service.goal_to_write(db, access=access, goal_id=goal_id, today=_today(state))
        return Page(
            "goals/retire.html",
            context={
                "viewer": access.viewer,
                "nav": "home",
                "pupil": db.get(Person, access.pupil_id),
                "goal": goal,
                "ratings": service.ratings_count(db, goal_id=goal_id),
            },
        )

    @post(
        "/goals/{goal_id:int}/retire",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_record(R.GOAL, None, WRITERS),
    )
    def retire_goal(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
        data: URLEncodedBody[ConfirmForm],
    ) -> Redirect:
        """Only from the confirmation page; anything else is sent there first."""
        if data.confirm != "yes":
            return Redirect(f"/goals/{goal_id}/retire", status_code=303)
        service.retire_goal(db, access=access, goal_id=goal_id, today=_today(state))
        return _back(access.pupil_id, "#earlier-goals")

    # ---- Pages: the pupil proposes, the mentor answers --------------------------------

    @post("/plan/goal-proposals", include_in_schema=False, sync_to_thread=False, dependencies=OWN)
    def propose(
        self,
        *,
        request: HTMXRequest,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: URLEncodedBody[GoalForm],
    ) -> Response[Any]:
        try:
            area, text, how = service.check_goal(area=data.area, text=data.text, how=data.how)
            service.propose(
                db, pupil_id=access.pupil_id, today=_today(state), area=area, text=text, how=how
            )
        except FormError as error:
            errors = error.errors
        except Invalid as refusal:
            errors = {"text": refusal.message}
        else:
            return Redirect("/#my-proposals", status_code=303)
        return plan_page(
            request,
            db,
            state.settings,
            access,
            status_code=422,
            proposal_errors=errors,
            proposal_form=data,
        )

    @get(
        "/goal-proposals/{proposal_id:int}",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_record(R.PROPOSAL, ReadKind.PLAN, WRITERS),
    )
    def proposal(
        self, *, db: NamedDependency[Session], access: NamedDependency[Access], proposal_id: RowId
    ) -> Template:
        found = service.proposal_to_decide(db, access=access, proposal_id=proposal_id)
        form = DecisionForm(area=found.area, text=found.text, how=found.how)
        return _proposal_page(db, access, proposal=found, form=form)

    @post(
        "/goal-proposals/{proposal_id:int}/decision",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_record(R.PROPOSAL, None, WRITERS),
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
        found = service.proposal_to_decide(db, access=access, proposal_id=proposal_id)
        try:
            if data.decision == "decline":
                reason = service.check_reason(data.reason)
                service.decide(
                    db,
                    access=access,
                    proposal_id=proposal_id,
                    today=_today(state),
                    accept=False,
                    reason=reason,
                )
                return _back(access.pupil_id, "#proposals")
            if data.decision != "accept":
                raise NotFound()
            edits: dict[str, str] = {}
            if data.edited:
                area, text, how = service.check_goal(area=data.area, text=data.text, how=data.how)
                edits = {"area": area, "text": text, "how": how}
            done = service.decide(
                db,
                access=access,
                proposal_id=proposal_id,
                today=_today(state),
                accept=True,
                **edits,
            )
        except FormError as error:
            return _proposal_page(db, access, proposal=found, form=data, errors=error.errors)
        return _back(access.pupil_id, f"#goal-{done.goal_id}")

    # ---- JSON ---------------------------------------------------------------------------

    @post(
        "/api/pupils/{pupil_id:int}/goals",
        sync_to_thread=False,
        summary="Write a goal in the pupil's plan this term (mentor; teacher in her subject)",
        responses=WRITE,
        dependencies=for_pupil(None, WRITERS),
    )
    def create_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: JSONBody[GoalCreate],
    ) -> GoalSavedPublic:
        try:
            area, text, how = service.check_goal(area=data.area, text=data.text, how=data.how)
        except FormError as error:
            raise service.invalid(error) from error
        return service.create_goal(
            db, access=access, today=_today(state), area=area, text=text, how=how
        )

    @patch(
        "/api/goals/{goal_id:int}",
        sync_to_thread=False,
        summary="Change a goal's area, text, how or place, with the version it is based on",
        responses=WRITE,
        dependencies=for_record(R.GOAL, None, WRITERS),
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
        if data.area is not None or data.text is not None or data.how is not None:
            goal = db.get(Goal, goal_id)
            assert goal is not None  # the policy found it
            try:
                area, text, how = service.check_goal(
                    area=goal.area if data.area is None else data.area,
                    text=goal.text if data.text is None else data.text,
                    how=goal.how if data.how is None else data.how,
                )
            except FormError as error:
                raise service.invalid(error) from error
            checked = {"area": area, "text": text, "how": how}
            fields = {k: checked[k] if v is not None else None for k, v in fields.items()}
        return service.update_goal(
            db,
            access=access,
            goal_id=goal_id,
            today=_today(state),
            version=data.version,
            position=data.position,
            **fields,
        )

    @post(
        "/api/goals/{goal_id:int}/retire",
        sync_to_thread=False,
        status_code=200,
        summary="Retire a goal: it leaves the plan in force and keeps its ratings",
        responses=WRITE,
        dependencies=for_record(R.GOAL, None, WRITERS),
    )
    def retire_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
    ) -> GoalSavedPublic:
        return service.retire_goal(db, access=access, goal_id=goal_id, today=_today(state))

    @post(
        "/api/plan/goal-proposals",
        sync_to_thread=False,
        summary="The signed-in pupil proposes a goal of her own",
        responses=WRITE,
        dependencies=OWN,
    )
    def propose_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: JSONBody[ProposalCreate],
    ) -> ProposalPublic:
        try:
            area, text, how = service.check_goal(area=data.area, text=data.text, how=data.how)
        except FormError as error:
            raise service.invalid(error) from error
        return service.propose(
            db, pupil_id=access.pupil_id, today=_today(state), area=area, text=text, how=how
        )

    @get(
        "/api/plan/goal-proposals",
        sync_to_thread=False,
        summary="The signed-in pupil's own proposals this term and their answers",
        responses=READ,
        dependencies=OWN,
    )
    def own_proposals_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> list[ProposalPublic]:
        return service.pupil_proposals(db, pupil_id=access.pupil_id, today=_today(state))

    @get(
        "/api/pupils/{pupil_id:int}/goal-proposals",
        sync_to_thread=False,
        summary="A pupil's proposals this term, for the pupil and her mentor",
        responses=READ,
        dependencies=for_pupil(ReadKind.PLAN, PROPOSAL_READERS),
    )
    def proposals_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> list[ProposalPublic]:
        return service.pupil_proposals(db, pupil_id=access.pupil_id, today=_today(state))

    @post(
        "/api/goal-proposals/{proposal_id:int}/decision",
        sync_to_thread=False,
        status_code=200,
        summary="The mentor accepts a proposal (as is or edited) or declines it with a reason",
        responses=WRITE,
        dependencies=for_record(R.PROPOSAL, None, WRITERS),
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
        found = service.proposal_to_decide(db, access=access, proposal_id=proposal_id)
        edits: dict[str, str] = {}
        reason = ""
        try:
            if data.accept:
                area, text, how = service.check_goal(
                    area=found.area if data.area is None else data.area,
                    text=found.text if data.text is None else data.text,
                    how=found.how if data.how is None else data.how,
                )
                edits = {"area": area, "text": text, "how": how}
            else:
                reason = service.check_reason(data.reason)
        except FormError as error:
            raise service.invalid(error) from error
        return service.decide(
            db,
            access=access,
            proposal_id=proposal_id,
            today=_today(state),
            accept=data.accept,
            reason=reason,
            **edits,
        )


def _goal_page(
    db: Session,
    access: Access,
    *,
    today: Any,
    goal: Goal | None,
    form: GoalForm,
    errors: dict[str, str] | None = None,
    conflict: Goal | None = None,
) -> Template:
    """The new-goal and edit page; 422 with the errors in place, 409 with both texts."""
    rights = service.writer(db, access=access)
    plan = service.current_plan(db, pupil_id=access.pupil_id, today=today)
    choices = service.area_choices(
        db, pupil_id=access.pupil_id, rights=rights, plan_id=plan[0] if plan else None
    )
    status = 409 if conflict else 422 if errors else 200
    return Page(
        "goals/edit.html",
        status_code=status,
        context={
            "viewer": access.viewer,
            "nav": "home",
            "pupil": db.get(Person, access.pupil_id),
            "goal": goal,
            "form": form,
            "version": conflict.version if conflict else form.version,
            "errors": errors or {},
            "conflict": conflict,
            "rights": rights,
            "choices": choices,
        },
    )


def _proposal_page(
    db: Session,
    access: Access,
    *,
    proposal: GoalProposal,
    form: DecisionForm,
    errors: dict[str, str] | None = None,
) -> Template:
    rights = service.writer(db, access=access)
    return Page(
        "goals/proposal.html",
        status_code=422 if errors else 200,
        context={
            "viewer": access.viewer,
            "nav": "home",
            "pupil": db.get(Person, access.pupil_id),
            "proposal": proposal,
            "form": form,
            "errors": errors or {},
            "choices": service.area_choices(
                db, pupil_id=access.pupil_id, rights=rights, plan_id=proposal.plan_id
            ),
        },
    )
