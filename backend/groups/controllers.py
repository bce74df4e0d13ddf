"""The group at a glance (issue 7, item 4): for a mentor her groups, for a teacher the groups
she teaches. A page that works without JavaScript (sorting and choosing a group are plain
links and a GET form) and the same as JSON."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlmodel import Session

from backend import readlog, web
from backend.access import FOR_GROUP, STAFF_ONLY, GroupAccess, Staff
from backend.errors import NotFound, refusals
from backend.groups import service
from backend.groups.schemas import GroupOverviewPublic, GroupPublic, RemindersPublic
from backend.plans.service import LEVEL_WORDS
from backend.readlog import ReadKind
from backend.web import is_head, render

REMIND = refusals({403: "Not the group's mentor", 404: "No such group, or not one of the viewer's"})
READ = refusals(
    {403: "Not a teacher, mentor or principal", 404: "No such group, or not one of hers"}
)


def _overview(
    request: Request[Any, Any, Any], db: Session, state: State, access: GroupAccess, sort: str
) -> GroupOverviewPublic:
    """The overview, with a read of every pupil shown recorded in the read log."""
    settings = state.settings
    found = service.overview(
        db, access=access, today=settings.today(), zone=settings.zone, sort=sort
    )
    if not is_head(request.scope):
        readlog.record_many(
            db,
            reader_id=access.staff.viewer.person_id,
            pupils={row.id: access.group.relation.value for row in found.rows},
            kind=ReadKind.OVERVIEW,
            zone=settings.zone,
        )
    return found


class GroupController(Controller):
    include_in_schema = False

    @get("/groups", sync_to_thread=False, dependencies=STAFF_ONLY, name="groups.choose")
    def choose(
        self,
        *,
        request: Request[Any, Any, Any],
        access: NamedDependency[Staff],
        group_id: FromQuery[int | None] = None,
    ) -> Redirect:
        """The group filter's GET form lands here and goes on to the group's page."""
        if group_id is None:
            return web.see_other(request, "home.home")
        if access.group(group_id) is None:
            raise NotFound()
        return web.see_other(request, "groups.page", group_id=group_id)

    @get("/groups/{group_id:int}", sync_to_thread=False, dependencies=FOR_GROUP, name="groups.page")
    def page(
        self,
        *,
        request: HTMXRequest,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[GroupAccess],
        sort: FromQuery[str] = "name",
    ) -> Template:
        found = _overview(request, db, state, access, sort)
        return render(
            request,
            "groups/overview.html",
            viewer=access.staff.viewer,
            nav="home",
            overview=found,
            groups=access.staff.groups,
            levels=LEVEL_WORDS,
            sorts=service.SORTS,
            area_sort=service.AREA_SORT,
        )

    @post(
        "/groups/{group_id:int}/reminders",
        sync_to_thread=False,
        dependencies=FOR_GROUP,
        name="groups.remind",
    )
    def remind(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[GroupAccess],
    ) -> Redirect:
        reached = service.remind_group(db, access=access, today=state.settings.today())
        return web.see_other(
            request,
            "groups.page",
            query={"reminded": reached},
            fragment="reminded",
            group_id=access.group.id,
        )


class GroupApiController(Controller):
    path = "/api"
    tags = ("groups",)

    @get(
        "/groups",
        sync_to_thread=False,
        summary="The groups the signed-in teacher or mentor works with",
        responses=READ,
        dependencies=STAFF_ONLY,
        name="groups.groups_json",
    )
    def groups_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[Staff]
    ) -> list[GroupPublic]:
        return [g.group for g in service.groups_with_pupils(db, staff=access)]

    @get(
        "/groups/{group_id:int}/overview",
        sync_to_thread=False,
        summary="The group at a glance: one row per pupil, the latest level per goal area",
        description=(
            "`sort` is `name` (the default), `unread`, `not_rated` or `area:<area>` "
            "(lowest level first). Every pupil shown is a read in her read log."
        ),
        responses=READ,
        dependencies=FOR_GROUP,
        name="groups.overview_json",
    )
    def overview_json(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[GroupAccess],
        sort: FromQuery[str] = "name",
    ) -> Response[GroupOverviewPublic]:
        return Response(_overview(request, db, state, access, sort))

    @post(
        "/groups/{group_id:int}/reminders",
        sync_to_thread=False,
        summary="The mentor reminds the families of her group who have not prepared or "
        "booked a time (at most one digest a person a day)",
        responses=REMIND,
        dependencies=FOR_GROUP,
        name="groups.remind_json",
    )
    def remind_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[GroupAccess]
    ) -> Response[RemindersPublic]:
        reached = service.remind_group(db, access=access, today=state.settings.today())
        return Response(RemindersPublic(reached=reached), status_code=200)
