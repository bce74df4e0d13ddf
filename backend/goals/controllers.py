"""Goals on the pupil's plan, as pages: staff write goals (plain forms, post/redirect/get,
a confirmation step without JavaScript), the mentor answers the pupil's proposals, and
staff carry last term's unreached goals over. Who may write which goal is the service's
rule; the policies here only say who is linked to the pupil. The same as JSON is in
api.py."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel import Session

from backend.access import STAFF, Access, for_pupil, for_record
from backend.access import Record as R
from backend.errors import Conflict, FormError, NotFound
from backend.goals import carry_over as carry_over_service
from backend.goals import proposals, service
from backend.goals.schemas import ConfirmForm, DecisionForm, GoalForm, MoveForm
from backend.models import Goal, GoalProposal, Person
from backend.plans.service import plan_this_term
from backend.readlog import ReadKind
from backend.web import Page, RowId, form_int, see_other

WRITERS = STAFF  # staff linked to the pupil; which goals each may write: service.Rights


def today_of(state: State) -> Any:
    return state.settings.today()


def back(request: Request[Any, Any, Any], pupil_id: int, fragment: str) -> Redirect:
    """To the pupil's plan, at what was just written (post/redirect/get)."""
    return see_other(request, "home.pupil_page", fragment=fragment, pupil_id=pupil_id)


class GoalController(Controller):
    include_in_schema = False

    # ---- Staff write goals -------------------------------------------------------------

    @get(
        "/pupils/{pupil_id:int}/goals/new",
        sync_to_thread=False,
        dependencies=for_pupil(ReadKind.PLAN, WRITERS),
        name="goals.new_goal",
    )
    def new_goal(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> Template:
        return _goal_page(db, access, today=today_of(state), goal=None, form=GoalForm())

    @post(
        "/pupils/{pupil_id:int}/goals",
        sync_to_thread=False,
        dependencies=for_pupil(None, WRITERS),
        name="goals.create_goal",
    )
    def create_goal(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: URLEncodedBody[GoalForm],
    ) -> Response[Any]:
        try:
            area, text, how = service.check_goal(area=data.area, text=data.text, how=data.how)
        except FormError as error:
            return _goal_page(
                db, access, today=today_of(state), goal=None, form=data, errors=error.errors
            )
        goal = service.create_goal(
            db, access=access, today=today_of(state), area=area, text=text, how=how
        )
        return back(request, access.pupil_id, f"goal-{goal.id}")

    @get(
        "/goals/{goal_id:int}/edit",
        sync_to_thread=False,
        dependencies=for_record(R.GOAL, ReadKind.PLAN, WRITERS),
        name="goals.edit_goal",
    )
    def edit_goal(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
    ) -> Template:
        goal = service.goal_to_write(db, access=access, goal_id=goal_id, today=today_of(state))
        form = GoalForm(area=goal.area, text=goal.text, how=goal.how, version=str(goal.version))
        return _goal_page(db, access, today=today_of(state), goal=goal, form=form)

    @post(
        "/goals/{goal_id:int}/edit",
        sync_to_thread=False,
        dependencies=for_record(R.GOAL, None, WRITERS),
        name="goals.save_goal",
    )
    def save_goal(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
        data: URLEncodedBody[GoalForm],
    ) -> Response[Any]:
        today = today_of(state)
        goal = service.goal_to_write(db, access=access, goal_id=goal_id, today=today)
        try:
            area, text, how = service.check_goal(area=data.area, text=data.text, how=data.how)
        except FormError as error:
            return _goal_page(db, access, today=today, goal=goal, form=data, errors=error.errors)
        version = form_int(data.version)
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
        return back(request, access.pupil_id, f"goal-{goal_id}")

    @post(
        "/goals/{goal_id:int}/move",
        sync_to_thread=False,
        dependencies=for_record(R.GOAL, None, WRITERS),
        name="goals.move_goal",
    )
    def move_goal(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
        data: URLEncodedBody[MoveForm],
    ) -> Redirect:
        service.move_goal(
            db, access=access, goal_id=goal_id, today=today_of(state), direction=data.direction
        )
        return back(request, access.pupil_id, f"goal-{goal_id}")

    @get(
        "/goals/{goal_id:int}/retire",
        sync_to_thread=False,
        dependencies=for_record(R.GOAL, ReadKind.PLAN, WRITERS),
        name="goals.confirm_retire",
    )
    def confirm_retire(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
    ) -> Template:
        goal = service.goal_to_write(db, access=access, goal_id=goal_id, today=today_of(state))
        ratings = service.ratings_count(db, goal_id=goal_id)
        return pupil_page("retire", db, access, goal=goal, ratings=ratings)

    @post(
        "/goals/{goal_id:int}/retire",
        sync_to_thread=False,
        dependencies=for_record(R.GOAL, None, WRITERS),
        name="goals.retire_goal",
    )
    def retire_goal(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
        data: URLEncodedBody[ConfirmForm],
    ) -> Redirect:
        """Only from the confirmation page; anything else is sent there first."""
        if data.confirm != "yes":
            return see_other(request, "goals.confirm_retire", goal_id=goal_id)
        service.retire_goal(db, access=access, goal_id=goal_id, today=today_of(state))
        return back(request, access.pupil_id, "earlier-goals")

    # ---- The pupil's proposals, answered by her mentor --------------------------------

    @get(
        "/goal-proposals/{proposal_id:int}",
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
        sync_to_thread=False,
        dependencies=for_record(R.PROPOSAL, None, WRITERS),
        name="goals.decide",
    )
    def decide(
        self,
        *,
        request: Request[Any, Any, Any],
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
        return back(request, access.pupil_id, f"goal-{done.goal_id}" if accept else "proposals")

    # ---- Last term's goals, carried over ---------------------------------------------

    @post(
        "/goals/{goal_id:int}/carry-over",
        sync_to_thread=False,
        dependencies=for_record(R.GOAL, None, STAFF),
        name="goals.carry_over",
    )
    def carry_over(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
    ) -> Redirect:
        goal = carry_over_service.carry_over(
            db, access=access, goal_id=goal_id, today=today_of(state)
        )
        return back(request, access.pupil_id, f"goal-{goal.id}")


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
    plan = plan_this_term(db, pupil_id=access.pupil_id, today=today)
    return fields_page(
        "edit",
        db,
        access,
        plan_id=plan[0].id if plan else None,
        form=form,
        errors=errors,
        status=409 if conflict else None,
        goal=goal,
        conflict=conflict,
        version=conflict.version if conflict else form.version,
    )


def pupil_page(
    name: str, db: Session, access: Access, *, status: int = 200, **context: Any
) -> Template:
    """A goals page about one pupil, under the home tab."""
    pupil = db.get(Person, access.pupil_id)
    return Page(
        f"goals/{name}.html",
        status_code=status,
        context={"viewer": access.viewer, "nav": "home", "pupil": pupil, **context},
    )


def fields_page(
    name: str,
    db: Session,
    access: Access,
    *,
    plan_id: int | None,
    form: Any,
    errors: dict[str, str] | None = None,
    status: int | None = None,
    **context: Any,
) -> Template:
    """A page with a goal's fields (a goal, or a proposal to answer): the areas the viewer's
    rights offer, and 422 with the errors in place."""
    rights = service.writer(db, access=access)
    return pupil_page(
        name,
        db,
        access,
        status=status or (422 if errors else 200),
        form=form,
        errors=errors or {},
        rights=rights,
        choices=service.area_choices(db, access=access, rights=rights, plan_id=plan_id),
        **context,
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
