"""Notifications for every signed-in person (a list of daily digests, read when she opens
it; the header shows the unread count), as pages and JSON."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template
from sqlmodel import Session

from backend.access import SIGNED_IN
from backend.errors import refusals
from backend.notifications import service
from backend.notifications.schemas import NotificationsPublic
from backend.viewer import Viewer
from backend.web import Page, is_head

READ = refusals({})


class NotificationController(Controller):
    include_in_schema = False

    @get(
        "/notifications",
        sync_to_thread=False,
        dependencies=SIGNED_IN,
        name="notifications.page",
    )
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


class NotificationApiController(Controller):
    path = "/api"
    tags = ("notifications",)

    @get(
        "/notifications",
        sync_to_thread=False,
        summary="The signed-in person's notifications: one digest a day, newest first, each "
        "item worded in her language",
        responses=READ,
        dependencies=SIGNED_IN,
        name="notifications.list_json",
    )
    def list_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[Viewer]
    ) -> NotificationsPublic:
        return service.notifications_of(db, person_id=access.person_id)

    @post(
        "/notifications/read",
        sync_to_thread=False,
        summary="Mark all of the signed-in person's notifications read",
        responses=READ,
        dependencies=SIGNED_IN,
        name="notifications.read_json",
    )
    def read_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[Viewer]
    ) -> Response[NotificationsPublic]:
        service.mark_read(db, person_id=access.person_id)
        return Response(service.notifications_of(db, person_id=access.person_id), status_code=200)
