"""The pages that show several domains at once: the start page for every role (the pupil's
plan, a guardian's children, the staff's groups and schools), a pupil's plan as her guardian
or teacher sees it, and the forms on the plan page (a self-assessment, a goal proposal),
which answer with the plan page again when the input needs fixing."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from sqlmodel import Session

from backend.access import (
    OWN,
    SIGNED_IN,
    Access,
    for_pupil,
    organisations_of,
    own,
    staff_of,
    visible_pupils,
)
from backend.errors import FormError, Invalid
from backend.goals import proposals
from backend.goals import service as goals
from backend.goals.schemas import GoalForm
from backend.groups import service as groups_service
from backend.home.page import plan_page
from backend.plans import service
from backend.plans.schemas import SelfAssessmentForm
from backend.readlog import ReadKind
from backend.stats import service as stats_service
from backend.viewer import Viewer
from backend.web import Page, RowId, see_other


class HomeController(Controller):
    include_in_schema = False

    @get("/", sync_to_thread=False, dependencies=SIGNED_IN, name="home.home")
    def home(
        self,
        *,
        request: HTMXRequest,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Viewer],
        welcome: FromQuery[bool] = False,
        saved: FromQuery[int | None] = None,
    ) -> Response[Any]:
        if access.is_pupil:
            mine = own(access)
            return plan_page(request, db, state.settings, mine, welcome=welcome, saved=saved)
        pupils = visible_pupils(db, viewer_id=access.person_id)
        staff = staff_of(db, viewer=access)
        is_staff = bool(staff.groups or staff.school_ids)
        if not is_staff and len(pupils) == 1 and pupils[0].group is None:  # a guardian
            query = {"welcome": 1} if welcome else None
            return see_other(request, "home.pupil_page", query=query, pupil_id=pupils[0].id)
        groups = groups_service.groups_with_pupils(db, staff=staff) if is_staff else []
        return Page(
            "plans/pupils.html",
            context={
                "viewer": access,
                "nav": "home",
                "pupils": [p for p in pupils if p.group is None],  # her children
                "welcome": welcome,
                # Staff: her groups, what is new in them, her schools (the staff start page).
                "groups": groups,
                "unread": groups_service.unread_total(groups),
                "schools": stats_service.school_names(db, school_ids=staff.school_ids),
                # An organiser: the figures across her organisation's schools.
                "organisations": organisations_of(db, viewer=access),
            },
        )

    @get(
        "/pupils/{pupil_id:int}",
        sync_to_thread=False,
        dependencies=for_pupil(ReadKind.PLAN),
        name="home.pupil_page",
    )
    def pupil_page(
        self,
        *,
        request: HTMXRequest,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        welcome: FromQuery[bool] = False,
    ) -> Response[Any]:
        if access.is_self:
            return see_other(request, "home.home")
        return plan_page(request, db, state.settings, access, welcome=welcome)

    @get(
        "/goals/{goal_id:int}",
        sync_to_thread=False,
        dependencies=OWN,
        name="home.goal",
    )
    def goal(
        self,
        *,
        request: HTMXRequest,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
    ) -> Template:
        """One goal opened to be rated: its card for htmx, else the plan with it open. The
        other cards stay closed (DESIGN: compact cards that open one thing at a time). An
        archived plan's goal is not opened to be rated (409)."""
        service.goal_to_rate(db, pupil_id=access.pupil_id, goal_id=goal_id)
        return plan_page(request, db, state.settings, access, goal_id=goal_id, open=goal_id)

    @post(
        "/goals/{goal_id:int}/self-assessments",
        sync_to_thread=False,
        dependencies=OWN,
        name="home.assess",
    )
    def assess(
        self,
        *,
        request: HTMXRequest,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
        data: URLEncodedBody[SelfAssessmentForm],
    ) -> Response[Any]:
        service.goal_to_rate(db, pupil_id=access.pupil_id, goal_id=goal_id)
        try:
            level, comment = service.check_self_assessment(level=data.level, comment=data.comment)
        except FormError as error:
            return plan_page(
                request,
                db,
                state.settings,
                access,
                errors={goal_id: error.errors},
                form=data,
                status_code=422,
                goal_id=goal_id,
                open=goal_id,
            )
        service.record_self_assessment(
            db,
            pupil_id=access.pupil_id,
            goal_id=goal_id,
            level=level,
            comment=comment,
            key=service.checked_key(data.key),
        )
        if not request.htmx:
            query = {"saved": goal_id}
            return see_other(request, "home.home", query=query, fragment=f"goal-{goal_id}-saved")
        return plan_page(request, db, state.settings, access, saved=goal_id, goal_id=goal_id)

    @post(
        "/plan/goal-proposals",
        sync_to_thread=False,
        dependencies=OWN,
        name="home.propose",
    )
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
            area, text, how = goals.check_goal(area=data.area, text=data.text, how=data.how)
            proposals.propose(
                db,
                pupil_id=access.pupil_id,
                today=state.settings.today(),
                area=area,
                text=text,
                how=how,
            )
        except FormError as error:
            errors = error.errors
        except Invalid as refusal:
            errors = {"text": refusal.message}
        else:
            return see_other(request, "home.home", query={"proposed": 1}, fragment="done")
        return plan_page(
            request,
            db,
            state.settings,
            access,
            status_code=422,
            proposal_errors=errors,
            proposal_form=data,
        )
