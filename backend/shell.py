"""The app shell: hashed static files, the service worker, the manifest, the offline page,
and the health check. Public (no personal data), and all of it cacheable but /healthz."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import msgspec
from litestar import Request, Response, Router, get
from litestar.datastructures import State
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Template

from backend import i18n
from backend.access import PUBLIC
from backend.auth.sessions import peek_viewer
from backend.errors import NotFound
from backend.i18n import _
from backend.web import Page

log = logging.getLogger("iup.access")


class Health(msgspec.Struct):
    status: str
    database: str


@get(
    "/healthz",
    sync_to_thread=False,
    summary="Liveness and database check",
    tags=("shell",),
    dependencies=PUBLIC,
    name="shell.healthz",
)
def healthz(state: State) -> Response[Health]:
    """A connection held only for `SELECT 1`: it answers while the app is busy. Without
    its database the process is no use: 503, so a proxy or a monitor takes it out."""
    try:
        connection = state.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        finally:
            connection.close()
    except Exception:  # whatever the driver raises, the database does not answer
        log.warning("health check: the database does not answer", exc_info=True)
        return Response(Health(status="unavailable", database="unreachable"), status_code=503)
    return Response(Health(status="ok", database="ok"))


# Static files and the worker's script carry only the headers they need (every byte counts on
# a first load): a page's policies (CSP, framing, permissions, opener, referrer) govern
# documents, and CSP also the worker; static files are public, the same for everyone.
# web.security_headers leaves these responses alone.
STATIC_HEADERS = {
    "cache-control": "public, max-age=31536000, immutable",
    "vary": "Accept-Encoding",
    "x-content-type-options": "nosniff",
}
# A worker fetches and imports; frames, forms, images and <base> are no part of it.
WORKER_CSP = "default-src 'self'"
WORKER_HEADERS = {
    "cache-control": "no-cache",
    "content-security-policy": WORKER_CSP,
    "x-content-type-options": "nosniff",
}


@get(
    "/static/{name:path}",
    sync_to_thread=False,
    dependencies=PUBLIC,
    name="shell.static",
)
def static(request: Request[Any, Any, Any], state: State, name: FromPath[str]) -> Response[bytes]:
    asset = state.assets.by_url.get("/static" + name)
    if asset is None:
        raise NotFound()
    accepted = request.headers.get("accept-encoding", "")
    for encoding, body in (("br", asset.brotli), ("gzip", asset.gzipped)):
        if body and encoding in accepted:
            headers = {**STATIC_HEADERS, "content-encoding": encoding}
            return Response(body, media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=STATIC_HEADERS)


# The worker, the manifest and the offline page speak the language of the person and the
# browser asking (backend/i18n.py): fetched with cookies (the manifest link says
# crossorigin="use-credentials"), they look up a signed-in person's stored language, and
# caches keep the languages apart by Vary.
BY_LANGUAGE = "Accept-Language, Cookie"


@get(
    "/sw.js",
    sync_to_thread=False,
    dependencies=PUBLIC,
    name="shell.service_worker",
)
def service_worker(request: Request[Any, Any, Any], state: State) -> Response[bytes]:
    """The worker carries the language its offline page was cached in: after a language
    switch the browser's next update check finds a changed worker, which installs and
    caches the offline page anew, so the page shown offline is in the current language."""
    peek_viewer(request)
    return Response(
        state.assets.service_worker(i18n.current.get()),
        media_type="text/javascript",  # Litestar adds the charset
        headers={**WORKER_HEADERS, "vary": BY_LANGUAGE},
    )


@get(
    "/manifest.webmanifest",
    sync_to_thread=False,
    dependencies=PUBLIC,
    name="shell.manifest",
)
def manifest(request: Request[Any, Any, Any], state: State) -> Response[bytes]:
    peek_viewer(request)
    lang = i18n.current.get()
    body = state.assets.manifest(
        name=_("IUP – my development plan"),
        short_name="IUP",
        description=_("Your goals, your self-assessments and your development talk."),
        lang=lang,
        direction=i18n.direction(lang),
    )
    return Response(
        body,
        media_type="application/manifest+json",
        headers={"cache-control": "no-cache", "vary": BY_LANGUAGE},
    )


@get(
    "/offline",
    sync_to_thread=False,
    dependencies=PUBLIC,
    name="shell.offline",
)
def offline(request: Request[Any, Any, Any]) -> Template:
    """Without the header's menu: offline, its links lead nowhere."""
    peek_viewer(request)
    return Page("offline.html", headers={"cache-control": "no-cache", "vary": BY_LANGUAGE})


STATEMENT_UPDATED = date(2026, 12, 6)  # change it with the statement's content


@get(
    "/accessibility",
    sync_to_thread=False,
    dependencies=PUBLIC,
    name="shell.accessibility",
)
def accessibility(request: Request[Any, Any, Any], state: State) -> Template:
    """The accessibility statement (tillgänglighetsredogörelse, DIGG's model), linked from
    every page's footer; public, so it can be read before signing in."""
    return Page(
        "accessibility.html",
        context={
            "viewer": peek_viewer(request),
            "contact": state.settings.accessibility_contact,
            "updated": STATEMENT_UPDATED,
        },
        headers={"vary": BY_LANGUAGE},
    )


# The app shell's files are no API: only the health check is in the OpenAPI document.
ROUTES: list[HTTPRouteHandler | Router] = [
    healthz,
    Router(
        "/",
        route_handlers=[static, service_worker, manifest, offline, accessibility],
        include_in_schema=False,
    ),
]
