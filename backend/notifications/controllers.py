"""Notifications for every signed-in person (a list of daily digests, read when she opens
it; the header shows the unread count), and the mentor's reminder to her group's families,
as pages and JSON."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from sqlmodel import Session

from backend.access import FOR_GROUP, SIGNED_IN, GroupAccess, Relation
from backend.errors import Forbidden, refusals
from backend.i18n import N_
from backend.notifications import service
from backend.notifications.schemas import NotificationsPublic, RemindersPublic
from backend.viewer import Viewer
from backend.web import Page, is_head

READ = refusals({})
REMIND = refusals({403: "Not the group's mentor", 404: "No such group, or not one of the viewer's"})


def _mentor(access: GroupAccess) -> None:
    if access.group.relation is not Relation.MENTOR:
        raise Forbidden("not_mentor", N_("Only the group's mentor can send reminders."))


def _remind(db: Session, state: State, access: GroupAccess) -> int:
    _mentor(access)
    return service.remind_group(
        db,
        group_id=access.group.id,
        sender_id=access.staff.viewer.person_id,
        today=state.settings.today(),
    )


class NotificationController(Controller):
    @get("/notifications", include_in_schema=False, sync_to_thread=False, dependencies=SIGNED_IN)
    def page(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        access: NamedDependency[Viewer],
    ) -> Template:
        """The list as it was, new ones marked; reading it marks them read."""
        found = service.notifications_of(db, person_id=access.person_id)
        if found.unread and not is_head(request.scope):
            service.mark_read(db, person_id=access.person_id)
        return Page(
            "notifications/list.html",
            context={
                "viewer": msgspec.structs.replace(access, unread=0),
                "nav": "notifications",
                "found": found,
            },
        )

    @get(
        "/api/notifications",
        sync_to_thread=False,
        summary="The signed-in person's notifications: one digest a day, newest first, each "
        "item worded in her language",
        responses=READ,
        dependencies=SIGNED_IN,
    )
    def list_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[Viewer]
    ) -> NotificationsPublic:
        return service.notifications_of(db, person_id=access.person_id)

    @post(
        "/api/notifications/read",
        sync_to_thread=False,
        summary="Mark all of the signed-in person's notifications read",
        responses=READ,
        dependencies=SIGNED_IN,
    )
    def read_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[Viewer]
    ) -> Response[NotificationsPublic]:
        service.mark_read(db, person_id=access.person_id)
        return Response(service.notifications_of(db, person_id=access.person_id), status_code=200)

    @post(
        "/groups/{group_id:int}/reminders",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_GROUP,
    )
    def remind(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[GroupAccess]
    ) -> Redirect:
        reached = _remind(db, state, access)
        return Redirect(f"/groups/{access.group.id}?reminded={reached}#reminded", status_code=303)

    @post(
        "/api/groups/{group_id:int}/reminders",
        sync_to_thread=False,
        summary="The mentor reminds the families of her group who have not prepared or "
        "booked a time (at most one digest a person a day)",
        responses=REMIND,
        dependencies=FOR_GROUP,
    )
    def remind_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[GroupAccess]
    ) -> Response[RemindersPublic]:
        return Response(RemindersPublic(reached=_remind(db, state, access)), status_code=200)
