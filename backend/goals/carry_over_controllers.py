"""Carrying a pupil's unreached goals over from last term (her mentor any, a teacher her
subjects): a button on the pupil's page, its JSON twin, and the goals offered."""

from __future__ import annotations

from datetime import date

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.response import Redirect
from sqlmodel import Session

from backend.access import STAFF, Access, Record, for_pupil, for_record
from backend.errors import refusals
from backend.goals import carry_over as service
from backend.goals.schemas import CarryOverPublic, GoalSavedPublic
from backend.readlog import ReadKind
from backend.web import RowId

CARRY = refusals(
    {
        403: "Linked to the pupil, but the goal is not in her subjects",
        404: "No such goal, or its pupil is not hers",
        409: "Not offered: reached, retired, not last term's, or carried over already",
    }
)


def _today(state: State) -> date:
    return state.settings.today()  # type: ignore[no-any-return]


class CarryOverController(Controller):
    @post(
        "/goals/{goal_id:int}/carry-over",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_record(Record.GOAL, None, STAFF),
        name="goals.carry_over",
    )
    def carry_over(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
    ) -> Redirect:
        goal = service.carry_over(db, access=access, goal_id=goal_id, today=_today(state))
        return Redirect(f"/pupils/{access.pupil_id}#goal-{goal.id}", status_code=303)

    @post(
        "/api/goals/{goal_id:int}/carry-over",
        sync_to_thread=False,
        summary="Carry last term's unreached goal over into the pupil's plan this term "
        "(the mentor any, a teacher her subjects)",
        responses=CARRY,
        dependencies=for_record(Record.GOAL, None, STAFF),
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
        goal = service.carry_over(db, access=access, goal_id=goal_id, today=_today(state))
        return Response(goal, status_code=201)

    @get(
        "/api/pupils/{pupil_id:int}/carry-over",
        sync_to_thread=False,
        summary="Last term's goals not reached, offered to the pupil's plan this term (staff)",
        responses=refusals({404: "No such pupil, or not one of her mentor's or teachers'"}),
        dependencies=for_pupil(ReadKind.PLAN, STAFF),
        name="goals.offered_json",
    )
    def offered_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> list[CarryOverPublic]:
        return service.offered(db, access=access, today=_today(state))
