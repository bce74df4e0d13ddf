"""Goals written by staff on the pupil's plan: pages with plain forms (post/redirect/get, a
confirmation step without JavaScript) and the same as JSON. Who may write which goal is the
service's rule; the policies here only say who is linked to the pupil. The pupil's proposals
are in proposals_controllers.py, which shares the helpers at the end of this module."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody, URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel import Session

from backend.access import STAFF, Access, for_pupil, for_record
from backend.access import Record as R
from backend.errors import Conflict, FormError, refusals
from backend.goals import service
from backend.goals.schemas import (
    ConfirmForm,
    GoalCreate,
    GoalForm,
    GoalSavedPublic,
    GoalUpdate,
    MoveForm,
)
from backend.models import Goal, Person
from backend.plans.service import plan_this_term
from backend.readlog import ReadKind
from backend.web import Page, RowId, form_int

WRITERS = STAFF  # staff linked to the pupil; which goals each may write: service.Rights

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


def today_of(state: State) -> Any:
    return state.settings.today()


def back(pupil_id: int, anchor: str = "") -> Redirect:
    """To the pupil's plan, at what was just written (post/redirect/get)."""
    return Redirect(f"/pupils/{pupil_id}{anchor}", status_code=303)


class GoalController(Controller):
    # ---- Pages: staff write goals -------------------------------------------------------

    @get(
        "/pupils/{pupil_id:int}/goals/new",
        include_in_schema=False,
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
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_pupil(None, WRITERS),
        name="goals.create_goal",
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
                db, access, today=today_of(state), goal=None, form=data, errors=error.errors
            )
        goal = service.create_goal(
            db, access=access, today=today_of(state), area=area, text=text, how=how
        )
        return back(access.pupil_id, f"#goal-{goal.id}")

    @get(
        "/goals/{goal_id:int}/edit",
        include_in_schema=False,
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
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_record(R.GOAL, None, WRITERS),
        name="goals.save_goal",
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
        return back(access.pupil_id, f"#goal-{goal_id}")

    @post(
        "/goals/{goal_id:int}/move",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_record(R.GOAL, None, WRITERS),
        name="goals.move_goal",
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
            db, access=access, goal_id=goal_id, today=today_of(state), direction=data.direction
        )
        return back(access.pupil_id, f"#goal-{goal_id}")

    @get(
        "/goals/{goal_id:int}/retire",
        include_in_schema=False,
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
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_record(R.GOAL, None, WRITERS),
        name="goals.retire_goal",
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
        service.retire_goal(db, access=access, goal_id=goal_id, today=today_of(state))
        return back(access.pupil_id, "#earlier-goals")

    # ---- JSON ---------------------------------------------------------------------------

    @post(
        "/api/pupils/{pupil_id:int}/goals",
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
        "/api/goals/{goal_id:int}",
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
        "/api/goals/{goal_id:int}/retire",
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
        choices=service.area_choices(db, pupil_id=access.pupil_id, rights=rights, plan_id=plan_id),
        **context,
    )
