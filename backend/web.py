"""What every request shares: language, security headers, the signed-in viewer, page or
partial rendering, and errors in the user's language."""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import msgspec
from litestar import Request, Response
from litestar.datastructures import MutableScopeHeaders, State
from litestar.di import NamedDependency
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.params import PathParameter
from litestar.response import Redirect, Template
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import Engine
from sqlmodel import Session

from backend import i18n
from backend.auth.sessions import Viewer, viewer_for
from backend.i18n import _

SESSION_COOKIE = "iup_session"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


# Our ids are SQL INTEGER: a larger number in a URL is refused before it reaches the database.
RowId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]


class ErrorMessage(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What a JSON endpoint answers when it refuses: a sentence for the person."""

    message: str
    reason: str | None = None


def cookies_of(scope: Scope) -> dict[str, str]:
    raw = "; ".join(v.decode("latin-1") for k, v in scope["headers"] if k == b"cookie")
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


def locale_of(scope: Scope) -> str:
    accept = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"accept-language"), "")
    return i18n.negotiate(accept, cookies_of(scope).get("lang"))


def locale_middleware(app: ASGIApp) -> ASGIApp:
    """Sets the language for the request; strings are translated when they are shown."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        token = i18n.current.set(locale_of(scope))
        try:
            await app(scope, receive, send)
        finally:
            i18n.current.reset(token)

    return middleware


async def security_headers(message: Message, scope: Scope) -> None:
    """Runs for every response, 404s and refused CSRF included. A response that sets no
    Cache-Control gets `no-store`, so a personal page is never cached."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        for name, value in SECURITY_HEADERS.items():
            headers.setdefault(name, value)
        headers.setdefault("cache-control", "no-store")
        headers.setdefault("content-language", i18n.current.get())


def provide_db(state: State) -> Iterator[Session]:
    engine: Engine = state.engine
    with Session(engine, expire_on_commit=False) as session:
        yield session


def current_viewer(request: Request[Any, Any, Any], db: NamedDependency[Session]) -> Viewer:
    """The signed-in person, or 401. Every route that touches personal data depends on it."""
    token = request.cookies.get(SESSION_COOKIE)
    viewer = viewer_for(db, token=token) if token else None
    if viewer is None:
        raise NotAuthorizedException(detail="not signed in")
    return viewer


def safe_next(value: str | None) -> str:
    """Only our own paths: a `next` of //host or https://host would send people away."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


def wants_json(request: Request[Any, Any, Any]) -> bool:
    return (
        request.url.path.startswith(("/api/", "/auth/"))
        or request.url.path.endswith(("/options", "/verify"))
        or "application/json" in request.headers.get("content-type", "")
    )


def error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Errors in the user's language; a missing session sends a page to the sign-in.
    Also reached from outside the route's middleware (unknown path, refused CSRF token)."""
    i18n.current.set(locale_of(request.scope))
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers = exc.headers if isinstance(exc, HTTPException) else None  # e.g. Allow on a 405
    if isinstance(exc, NotAuthorizedException):
        message = _("You are not signed in, or your session has ended. Sign in again.")
        # Back to the page itself; its query only held one-off notices (?saved=, ?welcome=).
        back = urlsplit(request.headers.get("hx-current-url", "")).path
        ended = "expired=1&" if SESSION_COOKIE in request.cookies else ""  # not a first visit
        target = f"/login?{ended}next=" + quote(back or request.url.path, safe="/")
        if wants_json(request):
            return Response(ErrorMessage(message=message), status_code=401)
        if request.headers.get("hx-request"):
            return Response("", status_code=401, headers={"hx-redirect": target})
        if request.method == "GET":
            return Redirect(target, status_code=303)
    elif isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        message = _(
            "The form was too old to send. Reload the page and send it again "
            "— what you wrote is kept on this device."
        )
    elif isinstance(exc, PermissionDeniedException):
        message = _("You do not have access to this page.")
    elif isinstance(exc, NotFoundException):
        message = _(
            "We could not find that page. It may have been moved, or you may not have access to it."
        )
    elif isinstance(exc, ValidationException):
        message = _("Something in what was sent was not right. Go back and check it.")
    elif status < 500:
        message = _("The request could not be handled.")
    else:
        message = _("Something went wrong on our side. Try again in a moment.")
    if wants_json(request):
        return Response(ErrorMessage(message=message), status_code=status, headers=headers)
    return Template(
        template_name="error.html",
        status_code=status,
        headers=headers,
        context={"message": message, "status": status},
    )
