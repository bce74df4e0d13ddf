"""The school's settings page for its principal, and its JSON twin (issue 10). FOR_SCHOOL
lets only the school's principals in; everybody else gets 404."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, URLEncodedBody
from litestar.response import Template
from sqlmodel import Session

from backend import web
from backend.access import FOR_SCHOOL, Staff
from backend.errors import Conflict, FormError, refusals
from backend.people.guardians import RELATION_WORDS
from backend.roster.source import RELATIONS
from backend.schools import service
from backend.schools.schemas import SchoolSettingsForm, SchoolSettingsPublic, SchoolSettingsUpdate
from backend.web import Page, RowId

_NOT_FOUND = {404: "No such school, or not one she leads"}
READ = refusals(_NOT_FOUND)
WRITE = refusals(
    _NOT_FOUND
    | {
        409: "`stale_version`: another principal saved since `version` was read; `current` "
        "holds the settings as they are now",
        422: "Not a valid setting: the reason names the field",
    }
)


def _form_of(found: SchoolSettingsPublic) -> SchoolSettingsForm:
    def text(value: int | None) -> str:
        return "" if value is None else str(value)

    return SchoolSettingsForm(
        guardian_relations=found.guardian_relations,
        retention_read_log_days=text(found.retention_read_log_days),
        retention_audit_days=text(found.retention_audit_days),
        retention_plan_years=text(found.retention_plan_years),
        version=found.version,
    )


def _page(
    db: Session,
    state: State,
    access: Staff,
    *,
    school_id: int,
    form: SchoolSettingsForm | None = None,
    errors: dict[str, str] | None = None,
    saved: int | None = None,
    conflict: bool = False,
    status: int = 200,
) -> Template:
    found = service.settings_of(db, school_id=school_id, settings=state.settings)
    if conflict and form is not None:  # her choices stay; a save now goes over the new ones
        form = msgspec.structs.replace(form, version=found.version)
    return Page(
        "schools/settings.html",
        status_code=status,
        context={
            "viewer": access.viewer,
            "nav": "home",
            "school": found,
            "form": form or _form_of(found),
            "errors": errors or {},
            "saved": saved,
            "conflict": conflict,
            "relation_types": RELATIONS,
            "relation_words": RELATION_WORDS,
        },
    )


class SchoolSettingsController(Controller):
    """The settings page and its form."""

    include_in_schema = False

    @get(
        "/schools/{school_id:int}/settings",
        sync_to_thread=False,
        dependencies=FOR_SCHOOL,
        name="schools.page",
    )
    def page(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Staff],
        school_id: RowId,
        saved: FromQuery[int | None] = None,
    ) -> Template:
        return _page(db, state, access, school_id=school_id, saved=saved)

    @post(
        "/schools/{school_id:int}/settings",
        sync_to_thread=False,
        dependencies=FOR_SCHOOL,
        name="schools.save",
    )
    def save(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Staff],
        school_id: RowId,
        data: URLEncodedBody[SchoolSettingsForm],
    ) -> Response[Any]:
        try:
            values = service.check_form(data)
        except FormError as error:
            return _page(
                db, state, access, school_id=school_id, form=data, errors=error.errors, status=422
            )
        try:
            done = service.save_settings(
                db,
                school_id=school_id,
                by_id=access.viewer.person_id,
                settings=state.settings,
                **values,
            )
        except Conflict:
            return _page(
                db, state, access, school_id=school_id, form=data, conflict=True, status=409
            )
        return web.see_other(
            request, "schools.page", query={"saved": done.links_changed}, school_id=school_id
        )


class SchoolSettingsApiController(Controller):
    """The same as JSON."""

    path = "/api"
    tags = ("schools",)

    @get(
        "/schools/{school_id:int}/settings",
        sync_to_thread=False,
        summary="The school's settings: guardian relation types that read and sign, retention",
        description=(
            "For the school's principals. A retention period of null is the installation's "
            "IUP_RETENTION_* setting (`defaults`); 0 keeps for ever."
        ),
        responses=READ,
        dependencies=FOR_SCHOOL,
        name="schools.settings_json",
    )
    def settings_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Staff],
        school_id: RowId,
    ) -> SchoolSettingsPublic:
        return service.settings_of(db, school_id=school_id, settings=state.settings)

    @put(
        "/schools/{school_id:int}/settings",
        sync_to_thread=False,
        summary="Change the school's settings; guardian links follow the relation types",
        description=(
            "A change of relation types recomputes the access of the school's pupils' "
            "guardian links, except links with a staff decision and links to pupils with "
            "protected identity (they stay restricted until staff open them). "
            "`links_changed` says how many changed."
        ),
        responses=WRITE,
        dependencies=FOR_SCHOOL,
        name="schools.save_json",
    )
    def save_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Staff],
        school_id: RowId,
        data: JSONBody[SchoolSettingsUpdate],
    ) -> SchoolSettingsPublic:
        try:
            return service.save_settings(
                db,
                school_id=school_id,
                by_id=access.viewer.person_id,
                settings=state.settings,
                guardian_relations=list(data.guardian_relations),
                retention_read_log_days=data.retention_read_log_days,
                retention_audit_days=data.retention_audit_days,
                retention_plan_years=data.retention_plan_years,
                version=data.version,
            )
        except FormError as error:
            raise error.invalid() from error
