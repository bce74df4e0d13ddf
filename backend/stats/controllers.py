"""The principal (issue 7, item 5): her school's overview as a page with a chart and its
table, as CSV and as JSON; and the reason she types before one pupil's plan opens to her."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from sqlmodel import Session

from backend import web
from backend.access import (
    FOR_ORGANISATION,
    FOR_SCHOOL,
    Access,
    OrganisationAccess,
    Relation,
    Staff,
    for_pupil,
)
from backend.errors import FormError, refusals
from backend.models import Person
from backend.stats import cycle, service
from backend.stats.schemas import (
    REASON_MAX,
    REASON_MIN,
    GroupPupilNames,
    OrganisationCyclePublic,
    ReadReasonCreate,
    ReadReasonPublic,
    ReasonForm,
    SchoolOverviewPublic,
)
from backend.web import RowId, render

READ = refusals({404: "No such school, or not one she leads"})
REASON = refusals(
    {
        403: "Not sent with the page's CSRF token",
        404: "No such pupil, or not at a school she leads",
        422: "No reason, or one too short or too long",
    }
)
# Only the principal gives a reason, and giving it needs none.
GIVES_REASON = for_pupil(None, allow=frozenset({Relation.PRINCIPAL}), reason=False)


def _overview(
    db: Session, state: State, school_id: int, term: str | None = None
) -> tuple[SchoolOverviewPublic, list[GroupPupilNames]]:
    """The overview at the school's date and in its time zone, with `term`'s cycle."""
    settings = state.settings
    return service.school_overview(
        db, school_id=school_id, today=settings.today(), zone=settings.zone, term=term
    )


class StatsController(Controller):
    include_in_schema = False

    @get(
        "/schools/{school_id:int}",
        sync_to_thread=False,
        dependencies=FOR_SCHOOL,
        name="stats.page",
    )
    def page(
        self,
        *,
        request: HTMXRequest,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Staff],
        school_id: RowId,
        term: FromQuery[str | None] = None,
    ) -> Template:
        overview, pupils = _overview(db, state, school_id, term)
        return render(
            request,
            "stats/school.html",
            viewer=access.viewer,
            nav="home",
            overview=overview,
            pupils=pupils,
            cycle_words=cycle.WORDS,
            cycle_shares=cycle.shares(overview.cycle.total) if overview.cycle else [],
        )

    @get(
        "/schools/{school_id:int}/overview.csv",
        sync_to_thread=False,
        dependencies=FOR_SCHOOL,
        name="stats.csv",
    )
    def csv(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Staff],
        school_id: RowId,
        term: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        overview, _pupils = _overview(db, state, school_id, term)
        shown = overview.cycle.term if overview.cycle and overview.cycle.term else overview.term
        name = f"school-{school_id}-{shown or 'overview'}.csv"
        return Response(
            service.overview_csv(overview).encode(),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    @get(
        "/pupils/{pupil_id:int}/reason",
        sync_to_thread=False,
        dependencies=GIVES_REASON,
        name="stats.reason_page",
    )
    def reason_page(
        self,
        *,
        request: HTMXRequest,
        db: NamedDependency[Session],
        access: NamedDependency[Access],
    ) -> Template:
        return _reason_page(request, db, access)

    @post(
        "/pupils/{pupil_id:int}/reason",
        sync_to_thread=False,
        dependencies=GIVES_REASON,
        name="stats.give_reason",
    )
    def give_reason(
        self,
        *,
        request: HTMXRequest,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: URLEncodedBody[ReasonForm],
    ) -> Response[Any]:
        try:
            service.record_reason(db, access=access, reason=data.reason, zone=state.settings.zone)
        except FormError as error:
            return _reason_page(request, db, access, form=data, errors=error.errors)
        return web.see_other(request, "home.pupil_page", pupil_id=access.pupil_id)

    @get(
        "/organisations/{organisation_id:int}",
        sync_to_thread=False,
        dependencies=FOR_ORGANISATION,
        name="stats.organisation_page",
    )
    def organisation_page(
        self,
        *,
        request: HTMXRequest,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[OrganisationAccess],
        term: FromQuery[str | None] = None,
    ) -> Template:
        figures = _organisation(db, state, access, term)
        return render(
            request,
            "stats/organisation.html",
            viewer=access.viewer,
            nav="home",
            figures=figures,
            cycle_words=cycle.WORDS,
            cycle_shares=cycle.shares(figures.total),
        )


def _organisation(
    db: Session, state: State, access: OrganisationAccess, term: str | None
) -> OrganisationCyclePublic:
    settings = state.settings
    return cycle.organisation_cycle(
        db,
        organisation_id=access.organisation_id,
        name=access.name,
        today=settings.today(),
        zone=settings.zone,
        term=term,
    )


class StatsApiController(Controller):
    path = "/api"
    tags = ("stats",)

    @get(
        "/organisations/{organisation_id:int}/overview",
        sync_to_thread=False,
        summary="The organiser's overview: the talk cycle per school and in all",
        description=(
            "Counts of pupils only, never a group or a name. Each school in its own current "
            "term, or every school in the term `term` (e.g. HT2026) names. A count in "
            "`suppressed` is null: it is about fewer than `min_pupils` pupils, or would let "
            "such a count be worked out from the others."
        ),
        responses=refusals({404: "No such organisation, or not one the viewer works for"}),
        dependencies=FOR_ORGANISATION,
        name="stats.organisation_json",
    )
    def organisation_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[OrganisationAccess],
        term: FromQuery[str | None] = None,
    ) -> OrganisationCyclePublic:
        return _organisation(db, state, access, term)

    @get(
        "/schools/{school_id:int}/overview",
        sync_to_thread=False,
        summary="The principal's school overview: per group and school year, this term, "
        "with the talk cycle of this term or of an earlier one (`term`, e.g. HT2026)",
        description=(
            "Any figure about fewer than `min_pupils` pupils is null with `suppressed: true`; "
            "a school year's total is suppressed when any of its groups is."
        ),
        responses=READ,
        dependencies=FOR_SCHOOL,
        name="stats.overview_json",
    )
    def overview_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Staff],
        school_id: RowId,
        term: FromQuery[str | None] = None,
    ) -> SchoolOverviewPublic:
        return _overview(db, state, school_id, term)[0]

    @post(
        "/pupils/{pupil_id:int}/read-reasons",
        sync_to_thread=False,
        summary="A principal's reason to open one pupil's plan",
        description=(
            "The reason is kept in the read log that the pupil and the guardians see; then "
            "`GET /api/pupils/{pupil_id}/plan` answers her until `valid_until`."
        ),
        responses=REASON,
        dependencies=GIVES_REASON,
        name="stats.reason_json",
    )
    def reason_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: JSONBody[ReadReasonCreate],
    ) -> Response[ReadReasonPublic]:
        try:
            given = service.record_reason(
                db, access=access, reason=data.reason, zone=state.settings.zone
            )
        except FormError as error:
            raise error.invalid() from error
        return Response(given, status_code=201)


def _reason_page(
    request: HTMXRequest,
    db: Session,
    access: Access,
    *,
    form: ReasonForm | None = None,
    errors: dict[str, str] | None = None,
) -> Template:
    pupil = db.get(Person, access.pupil_id)
    return render(
        request,
        "stats/reason.html",
        status_code=422 if errors else 200,
        viewer=access.viewer,
        nav="home",
        pupil=pupil,
        form=form,
        errors=errors or {},
        reason_min=REASON_MIN,
        reason_max=REASON_MAX,
    )
