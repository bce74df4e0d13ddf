"""The plan pages: the pupil's home with her goals, a plan seen by a guardian or teacher,
recording a self-assessment (plain form or htmx), and the same as JSON."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.openapi import ResponseSpec
from litestar.params import FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel import Session

from backend.auth.access import GUARDIAN, SELF, STAFF, reads_of, relation, visible_pupils
from backend.auth.service import audit
from backend.auth.sessions import Viewer
from backend.models import Person
from backend.plans import service
from backend.plans.schemas import (
    PlanPublic,
    SelfAssessmentCreate,
    SelfAssessmentForm,
    SelfAssessmentPublic,
)
from backend.web import ErrorMessage, RowId

READ = {
    400: ResponseSpec(ErrorMessage, description="Not a valid request"),
    401: ResponseSpec(ErrorMessage, description="Not signed in, or the session has ended"),
    404: ResponseSpec(ErrorMessage, description="No such plan or goal, or not yours to see"),
}


def today() -> date:
    return date.today()  # noqa: DTZ011  (the school's day, in the server's time zone)


def readable_plan(db: Session, viewer: Viewer, pupil_id: int) -> tuple[str, PlanPublic | None]:
    """The plan, if the viewer may read it; reads by staff are logged for pupil and guardian."""
    kind = relation(db, viewer_id=viewer.person_id, pupil_id=pupil_id)
    if kind is None:
        raise NotFoundException()
    if kind in STAFF:
        audit(db, kind="read", actor_id=viewer.person_id, pupil_id=pupil_id, detail="plan")
        db.commit()
    return kind, service.plan_of(db, pupil_id=pupil_id, today=today())


class PlanController(Controller):
    @get("/", include_in_schema=False, sync_to_thread=True)
    def home(
        self,
        db: NamedDependency[Session],
        viewer: NamedDependency[Viewer],
        welcome: FromQuery[bool] = False,
        saved: FromQuery[int | None] = None,
    ) -> Template:
        if relation(db, viewer_id=viewer.person_id, pupil_id=viewer.person_id) == SELF:
            return own_plan(db, viewer, welcome=welcome, saved=saved)
        pupils = visible_pupils(db, viewer_id=viewer.person_id)
        return Template(
            template_name="plans/pupils.html",
            context={"viewer": viewer, "nav": "home", "pupils": pupils, "welcome": welcome},
        )

    @get("/pupils/{pupil_id:int}", include_in_schema=False, sync_to_thread=True)
    def pupil(
        self,
        db: NamedDependency[Session],
        viewer: NamedDependency[Viewer],
        pupil_id: RowId,
    ) -> Response[Any]:
        kind, plan = readable_plan(db, viewer, pupil_id)
        if kind == SELF:
            return Redirect("/", status_code=303)
        return page_plan(
            viewer=viewer,
            plan=plan,
            pupil=db.get(Person, pupil_id),
            writable=False,
            reads=reads_of(db, pupil_id=pupil_id) if kind == GUARDIAN else None,
        )

    @post("/goals/{goal_id:int}/self-assessments", include_in_schema=False, sync_to_thread=True)
    def assess(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        viewer: NamedDependency[Viewer],
        goal_id: RowId,
        data: URLEncodedBody[SelfAssessmentForm],
    ) -> Response[Any]:
        if service.goal_of_pupil(db, pupil_id=viewer.person_id, goal_id=goal_id) is None:
            raise NotFoundException()
        htmx = bool(request.headers.get("hx-request"))
        try:
            level, comment = service.check_self_assessment(level=data.level, comment=data.comment)
        except service.FormError as error:
            return own_plan(
                db,
                viewer,
                errors={goal_id: error.errors},
                form=data,
                status_code=422,
                partial_goal=goal_id if htmx else None,
            )
        service.record_self_assessment(
            db, pupil_id=viewer.person_id, goal_id=goal_id, level=level, comment=comment
        )
        if not htmx:
            return Redirect(f"/?saved={goal_id}#goal-{goal_id}", status_code=303)
        return own_plan(db, viewer, saved=goal_id, partial_goal=goal_id)

    @get(
        "/api/plan",
        sync_to_thread=True,
        summary="The signed-in pupil's plan this term",
        responses=READ,
    )
    def plan_json(
        self, db: NamedDependency[Session], viewer: NamedDependency[Viewer]
    ) -> PlanPublic:
        if relation(db, viewer_id=viewer.person_id, pupil_id=viewer.person_id) != SELF:
            raise NotFoundException()
        plan = service.plan_of(db, pupil_id=viewer.person_id, today=today())
        if plan is None:
            raise NotFoundException()
        return plan

    @get(
        "/api/pupils/{pupil_id:int}/plan",
        sync_to_thread=True,
        summary="A pupil's plan this term, for the pupil, a guardian, a teacher or mentor",
        responses=READ,
    )
    def pupil_plan_json(
        self, db: NamedDependency[Session], viewer: NamedDependency[Viewer], pupil_id: RowId
    ) -> PlanPublic:
        _kind, plan = readable_plan(db, viewer, pupil_id)
        if plan is None:
            raise NotFoundException()
        return plan

    @post(
        "/api/goals/{goal_id:int}/self-assessments",
        sync_to_thread=True,
        summary="Record the signed-in pupil's self-assessment of a goal",
        responses=READ,
    )
    def assess_json(
        self,
        db: NamedDependency[Session],
        viewer: NamedDependency[Viewer],
        goal_id: RowId,
        data: JSONBody[SelfAssessmentCreate],
    ) -> SelfAssessmentPublic:
        rating = service.record_self_assessment(
            db,
            pupil_id=viewer.person_id,
            goal_id=goal_id,
            level=data.level,
            comment=data.comment.strip(),
        )
        if rating is None or rating.id is None:
            raise NotFoundException()
        return SelfAssessmentPublic(
            id=rating.id, level=rating.level, comment=rating.comment, created_at=rating.created_at
        )


def own_plan(db: Session, viewer: Viewer, **context: Any) -> Template:
    """The signed-in pupil's own plan, which she may rate."""
    plan = service.plan_of(db, pupil_id=viewer.person_id, today=today())
    partial = context.get("partial_goal") is not None
    reads = None if partial else reads_of(db, pupil_id=viewer.person_id)
    return page_plan(viewer=viewer, plan=plan, pupil=None, writable=True, reads=reads, **context)


def page_plan(
    *,
    viewer: Viewer,
    plan: PlanPublic | None,
    pupil: Person | None,
    writable: bool,
    status_code: int = 200,
    partial_goal: int | None = None,
    **context: Any,
) -> Template:
    """The plan page, or, for htmx, one goal's card."""
    goal = next((g for g in plan.goals if g.id == partial_goal), None) if plan else None
    return Template(
        template_name="plans/_goal.html" if goal else "plans/plan.html",
        status_code=status_code,
        headers={"vary": "HX-Request"},
        context={
            "viewer": viewer,
            "plan": plan,
            "pupil": pupil,
            "writable": writable,
            "goal": goal,
            "levels": service.LEVEL_WORDS,
            "nav": "home",
            "errors": {},
            "form": None,
            "saved": None,
            "reads": None,
            **context,
        },
    )
