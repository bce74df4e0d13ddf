"""The plan pages: the pupil's home with her goals, a plan seen by a guardian or teacher,
recording a self-assessment (plain form or htmx), and the same as JSON."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import HeaderParameter, JSONBody
from sqlmodel import Session

from backend import readlog
from backend.access import (
    FAMILY,
    OWN,
    SIGNED_IN,
    Access,
    PupilEntry,
    Reader,
    for_pupil,
    readers_of,
    visible_pupils,
)
from backend.errors import ARCHIVED_409, BadRequest, refusals
from backend.plans import service
from backend.plans.schemas import (
    PlanPublic,
    SelfAssessmentCreate,
    SelfAssessmentPublic,
)
from backend.readlog import ReadKind
from backend.viewer import Viewer
from backend.web import RowId

_READ = {400: "Not a valid request", 404: "No such plan or goal, or not yours to see"}
READ = refusals(_READ)
WRITE = {
    **refusals(_READ | {422: "Not a valid rating", 409: ARCHIVED_409}),
    200: ResponseSpec(
        SelfAssessmentPublic,
        description="The save was sent again with the same Idempotency-Key: stored once",
    ),
}


class PlanApiController(Controller):
    path = "/api"
    tags = ("plans",)

    @get(
        "/plan",
        sync_to_thread=False,
        summary="The signed-in pupil's plan this term",
        responses=READ,
        dependencies=OWN,
        name="plans.plan_json",
    )
    def plan_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> PlanPublic:
        return service.plan_seen(db, access=access, today=state.settings.today())

    @get(
        "/pupils/{pupil_id:int}/read-log",
        sync_to_thread=False,
        summary="Who has read the pupil's data, and why: for the pupil and her guardians",
        description=(
            "Newest first, once per reader, kind and school day. A guardian sees the staff's "
            "reads and her own, not another guardian's."
        ),
        responses=READ,
        dependencies=for_pupil(None, FAMILY),
        name="plans.read_log_json",
    )
    def read_log_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> list[readlog.ReadPublic]:
        return readlog.reads_of(
            db,
            pupil_id=access.pupil_id,
            zone=state.settings.zone,
            viewer_id=access.viewer.person_id,
            namer=access.namer,
        )

    @get(
        "/plan/readers",
        sync_to_thread=False,
        summary="Who reads what the signed-in pupil writes: guardians, mentors, teachers",
        responses=READ,
        dependencies=OWN,
        name="plans.readers_json",
    )
    def readers_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[Access]
    ) -> list[Reader]:
        return readers_of(db, pupil_id=access.pupil_id, namer=access.namer)

    @get(
        "/pupils",
        sync_to_thread=False,
        summary="The pupils whose plans the signed-in adult may read, by group",
        responses=READ,
        dependencies=SIGNED_IN,
        name="plans.pupils_json",
    )
    def pupils_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[Viewer]
    ) -> list[PupilEntry]:
        return visible_pupils(db, viewer_id=access.person_id)

    @get(
        "/pupils/{pupil_id:int}/plan",
        sync_to_thread=False,
        summary="A pupil's plan this term, for the pupil, a guardian, a teacher or mentor",
        responses=READ,
        dependencies=for_pupil(ReadKind.PLAN),
        name="plans.pupil_plan_json",
    )
    def pupil_plan_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> PlanPublic:
        return service.plan_seen(db, access=access, today=state.settings.today())

    @post(
        "/goals/{goal_id:int}/self-assessments",
        sync_to_thread=False,
        summary="Record the signed-in pupil's self-assessment of a goal",
        description=(
            "Send an `Idempotency-Key` header (up to 64 letters, digits, `-` or `_`) to make "
            "a retry safe: the same key for the same goal is stored once, and the retry "
            "answers 200 with the rating stored the first time."
        ),
        responses=WRITE,
        dependencies=OWN,
        name="plans.assess_json",
    )
    def assess_json(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        goal_id: RowId,
        data: JSONBody[SelfAssessmentCreate],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key")] = None,
    ) -> Response[SelfAssessmentPublic]:
        if idempotency_key is not None and service.checked_key(idempotency_key) is None:
            raise BadRequest("idempotency_key")
        rating, created = service.record_self_assessment(
            db,
            pupil_id=access.pupil_id,
            goal_id=goal_id,
            level=data.level,
            comment=data.comment.strip(),
            key=idempotency_key,
        )
        return Response(rating, status_code=201 if created else 200)
