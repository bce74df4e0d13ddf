"""One room for every refusal and failure (DESIGN, HTTP API): a small hierarchy of refusals
with stable reasons, and one handler that answers JSON to the API and a page to people,
logs each refusal's reason, and logs every 5xx with its traceback and the request id that
the error page shows."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, ClassVar, Protocol
from urllib.parse import quote, urlsplit

import msgspec
from litestar import Request, Response
from litestar.datastructures import UploadFile
from litestar.enums import MediaType, RequestEncodingType
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.response import Redirect, Template
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

from backend.i18n import N_, _, template_gettext

log = logging.getLogger("iup")
request_id: ContextVar[str] = ContextVar("request_id", default="-")


class ErrorMessage(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What the API answers when it refuses: a stable reason and a sentence for the person."""

    reason: str
    message: str
    request_id: str | None = None  # on 5xx: quote it to the school's IT staff
    current: dict[str, Any] | None = None  # on 409: the record as it is now, to compare
    params: dict[str, str] | None = None  # the texts put into `message` (e.g. two names)


class Refusal(Exception):
    """A request we refuse on purpose. `reason` is stable (tests and clients match on it);
    `message` is an untranslated message id, translated where it is shown (`say`), with
    `params` put into it after translation."""

    status: int = 400
    default_reason: ClassVar[str] = "bad_request"
    default_message: ClassVar[str] = N_(
        "Something in what was sent was not right. Go back and check it."
    )

    def __init__(
        self,
        reason: str | None = None,
        message: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        location: str | None = None,
        params: dict[str, str] | None = None,
    ) -> None:
        self.reason = reason or self.default_reason
        self.message = message or self.default_message
        self.params = params or {}
        self.headers = headers or {}
        self.location = location  # a page that helps (a form to give a reason): people go there
        super().__init__(self.reason)


def say(refusal: Refusal) -> str:
    """The refusal's message in the reader's language, with its params put in (each
    isolated in a right-to-left sentence, as in templates)."""
    if refusal.params:
        return template_gettext(refusal.message, **refusal.params)
    return _(refusal.message)


class BadRequest(Refusal):
    pass


class NotSignedIn(Refusal):
    status = 401
    default_reason = "not_signed_in"
    default_message = N_("You are not signed in, or your session has ended. Sign in again.")


class Forbidden(Refusal):
    status = 403
    default_reason = "forbidden"
    default_message = N_("You do not have access to this page.")


class NotFound(Refusal):
    """Also what someone outside a pupil's links gets: never a hint that the pupil exists."""

    status = 404
    default_reason = "not_found"
    default_message = N_(
        "We could not find that page. It may have been moved, or you may not have access to it."
    )


class Invalid(Refusal):
    status = 422
    default_reason = "invalid"


class TooLarge(Refusal):
    """More than the route takes in (Litestar's 413 for a body past its limit, too)."""

    status = 413
    default_reason = "too_large"
    default_message = N_("What was sent is too large. Send a smaller file or a shorter text.")


class Conflict(Refusal):
    """A save based on an older version (DESIGN: nothing is silently overwritten). Carries
    the record as it is now, so the person can compare it with what she wrote."""

    status = 409
    default_reason = "stale_version"
    default_message = N_(
        "Someone else changed this while you were writing. Compare the two texts and save again."
    )

    def __init__(self, current: dict[str, Any], reason: str | None = None) -> None:
        super().__init__(reason)
        self.current = current


class Archived(Conflict):
    """A write to a plan whose term is closed: archived plans are read-only history
    (DESIGN, "A term, step by step", step 7). Every write route refuses them with this."""

    default_reason = "archived"
    default_message = N_(
        "This plan is archived: its term is closed, so it can be read but no longer changed."
    )

    def __init__(self, plan_id: int) -> None:
        super().__init__({"plan_id": plan_id, "state": "archived"}, reason="archived")


class FormError(Exception):
    """What is wrong in a form, field by field (message ids, untranslated): a page shows each
    beside its field; the API answers the first as a 422 (`invalid_<field>`)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors

    def invalid(self) -> Invalid:
        field, message = next(iter(self.errors.items()))
        return Invalid(f"invalid_{field}", message)


class TooManyRequests(Refusal):
    status = 429
    default_reason = "too_many_requests"
    default_message = N_("Too many tries in a short time. Wait a moment and try again.")

    def __init__(self, reason: str, *, retry_after: int) -> None:
        super().__init__(reason, headers={"retry-after": str(max(1, retry_after))})


# The 409 of every write to a plan (OpenAPI): `refusals(... | {409: ARCHIVED_409})`.
ARCHIVED_409 = "The plan is archived (reason `archived`): its term is closed, it is read-only"


def refusals(described: dict[int, str], *, session: bool = True) -> dict[int, ResponseSpec]:
    """A route's refusals for the OpenAPI document, each answered with `ErrorMessage`: 401
    for every route that needs a session, and the statuses the route describes."""
    signed_out = {401: "Not signed in, or the session has ended"} if session else {}
    return {
        status: ResponseSpec(ErrorMessage, description=text)
        for status, text in (signed_out | described).items()
    }


CSRF_MESSAGE = N_(
    "The form was too old to send. Reload the page and send it again "
    "— what you wrote is kept on this device."
)


def as_refusal(exc: Exception) -> Refusal | None:
    """Litestar's own exceptions (unknown route, refused CSRF token, invalid body) as our
    refusals; None for a failure (a bug, a database that is down)."""
    if isinstance(exc, Refusal):
        return exc
    if not isinstance(exc, HTTPException) or exc.status_code >= 500:
        return None
    headers = dict(exc.headers or {})  # e.g. Allow on a 405
    if isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        return Forbidden("csrf", CSRF_MESSAGE, headers=headers)
    if exc.status_code == 413:
        return TooLarge(headers=headers)
    for theirs, ours in (
        (NotAuthorizedException, NotSignedIn),
        (PermissionDeniedException, Forbidden),
        (NotFoundException, NotFound),
    ):
        if isinstance(exc, theirs):
            return ours(headers=headers)
    refusal = Refusal(
        "invalid_request" if exc.status_code == 400 else f"http_{exc.status_code}",
        N_("The request could not be handled.") if exc.status_code != 400 else None,
        headers=headers,
    )
    refusal.status = exc.status_code
    return refusal


def wants_json(request: Request[Any, Any, Any]) -> bool:
    """The API answers JSON: a route in the OpenAPI document is an API route, a page route is
    not. Without a route (an unknown path), the Accept header decides: a browser asks for
    text/html, an API client for JSON or anything."""
    handler = request.scope.get("route_handler")
    if isinstance(handler, HTTPRouteHandler):
        return bool(handler.resolve_include_in_schema())
    return "text/html" not in request.headers.get("accept", "")


HEADINGS = {
    404: N_("Not found"),
    403: N_("No access"),
}
NOT_POSSIBLE = N_("Not possible")
FAILURE = N_("Something went wrong on our side. Try again in a moment.")
WENT_WRONG = N_("Something went wrong")


def heading(status: int, reason: str) -> str:
    """The error page's <h1>, and its <title>. A form sent too late (CSRF) is not a matter
    of access: its message says to send it again."""
    if status >= 500:
        return _(WENT_WRONG)
    words = NOT_POSSIBLE if reason == "csrf" else HEADINGS.get(status, NOT_POSSIBLE)
    return _(words)


class FindViewer(Protocol):
    """Who is signed in, if anyone, without ever raising (auth.sessions.peek_viewer; passed
    in by app.py, since the viewer's room builds on this one)."""

    def __call__(self, request: Request[Any, Any, Any], *, look_up: bool = ...) -> Any: ...


Handler = Callable[[Request[Any, Any, Any], Exception], Response[Any]]


def handler(find_viewer: FindViewer) -> Handler:
    """The one exception handler (registered for Exception in app.py). An error page keeps
    the header and menu of the person signed in: after a failure only when she was already
    known, since looking her up needs the database that may be what failed."""

    def handle_with_viewer(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        return handle(request, exc, find_viewer=find_viewer)

    return handle_with_viewer


def close_uploads(request: Request[Any, Any, Any]) -> None:
    """Litestar closes a form's files when its route ran; a form refused before that (a
    CSRF token that does not match) would keep its temporary files until collected."""
    form = ScopeState.from_scope(request.scope).form
    if form is Empty:
        return
    for value in form.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, UploadFile):
                item.file.close()


def _held(request: Request[Any, Any, Any]) -> list[tuple[str, str]] | None:
    """A plain form's fields, when its save met an ended session: Litestar's CSRF check has
    read the form already (it reads a form that has no CSRF header). None for htmx and for
    anything but a POST."""
    if request.method != "POST" or request.headers.get("hx-request"):
        return None
    form = ScopeState.from_scope(request.scope).form
    if form is Empty or not isinstance(form, dict):
        return None
    return [
        (name, item)
        for name, value in form.items()
        if name != "_csrf_token"
        for item in (value if isinstance(value, list) else [value])
        if isinstance(item, str)
    ]


def _sign_in_again(request: Request[Any, Any, Any]) -> Template:
    """Her save is held on the page, not lost: she signs in there, and the page sends the
    form again with the new session's token; the save's own answer takes her on. A file
    cannot be held (a browser does not give it to a page): she is told to choose it again."""
    form = ScopeState.from_scope(request.scope).form
    files = isinstance(form, dict) and any(
        isinstance(item, UploadFile)
        for value in form.values()
        for item in (value if isinstance(value, list) else [value])
    )
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Template(
        template_name="sign_in_again.html",
        media_type=MediaType.HTML,
        status_code=401,
        context={
            "action": target,
            "fields": _held(request),
            "file": files,
            "viewer": None,
            "nav": None,
        },
    )


def _sent_on(request: Request[Any, Any, Any], refusal: Refusal) -> Response[Any] | None:
    """A page that helps instead of an error page: sign-in for someone not signed in, back
    to this page afterwards; or a GET's refusal `location` (a form to give a reason)."""
    if isinstance(refusal, NotSignedIn) and request.method == "POST":
        if (
            request.headers.get("hx-request")
            and request.content_type[0] == RequestEncodingType.URL_ENCODED
        ):
            # htmx sent a form: its script posts it again as a plain form, to the page below.
            return Response("", status_code=401, headers={"x-iup-held": "1"})
        if _held(request) is not None:
            return _sign_in_again(request)
    if isinstance(refusal, NotSignedIn):
        # Back to the page itself; its query only held one-off notices (?saved=, ?welcome=).
        back = urlsplit(request.headers.get("hx-current-url", "")).path
        ended = "expired=1&" if refusal.reason == "session_ended" else ""
        login = request.app.route_reverse("auth.login_page")
        status = 401
        target = f"{login}?{ended}next=" + quote(back or request.url.path, safe="/")
    elif refusal.location and request.method == "GET":
        status, target = refusal.status, refusal.location
    else:
        return None
    if request.headers.get("hx-request"):
        return Response("", status_code=status, headers={"hx-redirect": target})
    if request.method == "GET":
        return Redirect(target, status_code=303)
    return None


def handle(
    request: Request[Any, Any, Any], exc: Exception, *, find_viewer: FindViewer | None = None
) -> Response[Any]:
    close_uploads(request)
    refusal = as_refusal(exc)
    rid = request_id.get()
    route = request.scope.get("path_template") or "(no route)"
    if refusal is None:
        log.error("failure %s %s id=%s", request.method, route, rid, exc_info=exc)
        status, reason = 500, "server_error"
        headers: dict[str, str] = {}
    else:
        log.info(
            "refused %s %s %d %s id=%s", request.method, route, refusal.status, refusal.reason, rid
        )
        status, reason, headers = refusal.status, refusal.reason, refusal.headers
    json = wants_json(request)
    elsewhere = None if json or refusal is None else _sent_on(request, refusal)
    if elsewhere is not None:
        return elsewhere
    viewer = None
    if find_viewer is not None and not isinstance(refusal, NotSignedIn):
        viewer = find_viewer(request, look_up=status < 500)  # also switches to her language
    message = _(FAILURE) if refusal is None else say(refusal)
    if json:
        body = ErrorMessage(
            reason=reason,
            message=message,
            request_id=rid if status >= 500 else None,
            current=refusal.current if isinstance(refusal, Conflict) else None,
            params=(refusal.params or None) if refusal is not None else None,
        )
        return Response(body, status_code=status, headers=headers)
    return Template(
        template_name="error.html",
        media_type=MediaType.HTML,
        status_code=status,
        headers=headers,
        context={
            "heading": heading(status, reason),
            "message": message,
            "status": status,
            "request_id": rid,
            "viewer": viewer,
            "nav": None,
        },
    )
