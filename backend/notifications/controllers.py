"""Notifications for every signed-in person (a list of daily digests, read when she opens
it; the header shows the unread count), as pages and JSON."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, URLEncodedBody
from litestar.response import Template
from sqlmodel import Session

from backend import web
from backend.access import SIGNED_IN
from backend.errors import refusals
from backend.notifications import push, service
from backend.notifications.schemas import (
    NotificationsPublic,
    PushChoicesPublic,
    PushChoicesUpdate,
    PushKeyPublic,
    PushSubscriptionCreate,
    PushSubscriptionDelete,
)
from backend.viewer import Viewer
from backend.web import Page, is_head

READ = refusals({})
WRITE = refusals({422: "not a browser's push subscription, or an unknown choice"})
GONE = refusals({404: "no such subscription of yours"})


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

    @post(
        "/notifications/push",
        sync_to_thread=False,
        dependencies=SIGNED_IN,
        name="notifications.push_choices_form",
    )
    def push_choices_form(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        access: NamedDependency[Viewer],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Response[Any]:
        """Her account page's form: a box `on-<choice>` for each sort of news she wants."""
        on = [key.removeprefix("on-") for key in data if key.startswith("on-")]
        service.choose_push(db, person_id=access.person_id, on=on)
        return web.see_other(request, "auth.account", query={"saved": 1}, fragment="push")


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


class PushApiController(Controller):
    """Web Push: the key a browser subscribes with, her browsers' subscriptions, and which
    sorts of news reach her by push (notifications/push.py)."""

    path = "/api/push"
    tags = ("notifications",)
    dependencies = SIGNED_IN

    @get(
        "/key",
        sync_to_thread=False,
        summary="The VAPID public key (base64url, the form pushManager.subscribe takes as "
        "applicationServerKey)",
        responses=READ,
        name="notifications.push_key",
    )
    def push_key(
        self, *, request: Request[Any, Any, Any], access: NamedDependency[Viewer]
    ) -> PushKeyPublic:
        """Asked for by a signed-in person only: no one else has a use for it."""
        return PushKeyPublic(key=push.public_key(request.app.state.settings))

    @post(
        "/subscriptions",
        sync_to_thread=False,
        status_code=201,
        summary="Turn push on for this browser: its PushSubscription as JSON (endpoint, "
        "keys.p256dh, keys.auth), kept for me and the passkey and session I am signed in with",
        responses={**WRITE, **GONE},
        name="notifications.push_subscribe",
    )
    def push_subscribe(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        access: NamedDependency[Viewer],
        data: JSONBody[PushSubscriptionCreate],
    ) -> PushChoicesPublic:
        push.subscribe(
            db,
            person_id=access.person_id,
            passkey_id=access.passkey_id,
            session_id=access.session_id,
            endpoint=data.endpoint,
            p256dh=data.keys.p256dh,
            auth=data.keys.auth,
            settings=request.app.state.settings,
            confirm=data.confirm,
        )
        return service.push_choices_of(db, person_id=access.person_id)

    @delete(
        "/subscriptions",
        sync_to_thread=False,
        status_code=200,
        summary="Turn push off for a browser of mine, by its endpoint",
        responses=GONE,
        name="notifications.push_unsubscribe",
    )
    def push_unsubscribe(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Viewer],
        data: JSONBody[PushSubscriptionDelete],
    ) -> PushChoicesPublic:
        push.unsubscribe(db, person_id=access.person_id, endpoint=data.endpoint)
        return service.push_choices_of(db, person_id=access.person_id)

    @get(
        "/choices",
        sync_to_thread=False,
        summary="Which sorts of news reach me by push (all until I turn some off), and on "
        "how many of my browsers push is on",
        responses=READ,
        name="notifications.push_choices",
    )
    def push_choices(
        self, *, db: NamedDependency[Session], access: NamedDependency[Viewer]
    ) -> PushChoicesPublic:
        return service.push_choices_of(db, person_id=access.person_id)

    @put(
        "/choices",
        sync_to_thread=False,
        summary="Choose which sorts of news reach me by push: `on` lists their keys",
        responses=WRITE,
        name="notifications.push_choose",
    )
    def push_choose(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Viewer],
        data: JSONBody[PushChoicesUpdate],
    ) -> PushChoicesPublic:
        return service.choose_push(db, person_id=access.person_id, on=data.on)
