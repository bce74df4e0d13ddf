"""HTTP plumbing every room shares: the request's id, language and log line, bounded
parsing of what a client sends (cookies, JSON, `next`, text), security headers, and
rendering a full page or, for htmx, its fragment."""

from __future__ import annotations

import gzip
import itertools
import logging
import re
import secrets
import time
from collections.abc import Mapping
from typing import Annotated, Any, NamedTuple
from urllib.parse import urlencode

import brotli
from litestar import Litestar, Request
from litestar.enums import MediaType
from litestar.params import PathParameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from litestar.types import Message, Receive, Scope, Send

from backend import i18n
from backend.db import close_db
from backend.errors import BadRequest, request_id

log = logging.getLogger("iup.access")

# default-src covers scripts, styles, fonts, fetches, the manifest and workers; what it
# does not cover or should be stricter is named. frame-ancestors replaces X-Frame-Options.
CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
OWN_HEADERS = ("/static/", "/sw.js")  # responses that set their few headers themselves

# Our three cookies take under 300 bytes; a browser sends at most a few KB. A larger Cookie
# header is refused before anything parses it (CVE-2024-7592 made parsing it quadratic).
MAX_COOKIE_HEADER = 8192
MAX_JSON_DEPTH = 32
MAX_NEXT = 512
MAX_BODY = 256 * 1024

# Our ids are SQL INTEGER: a larger number in a URL is refused before it reaches the database.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, PathParameter(ge=1, le=MAX_ROW_ID)]

# Text that people write: no control characters but tab and line breaks, no lone surrogates
# (PostgreSQL refuses NUL and invalid UTF-8; nothing a person types contains them).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]*$"  # for JSON Schema too


# A number typed into a form: ASCII digits only, at most nine (below 2**31, so it fits an
# SQL INTEGER on every database, and int() never meets Python's 4300-digit limit).
FORM_INT_DIGITS = 9


def form_int(value: str, *, default: int = 0) -> int:
    """The whole number in a form field, or `default` for anything else. `str.isdigit()` is
    no test: it says yes to "²" (which int() refuses: a 500) and to "٣" (which int() reads
    as 3), and to five thousand nines (which int() refuses, and no column holds)."""
    text = value.strip()
    if not 0 < len(text) <= FORM_INT_DIGITS or not text.isascii() or not text.isdigit():
        return default
    return int(text)


def has_control_characters(value: str) -> bool:
    return CONTROL.search(value) is not None


def safe_next(value: str | None) -> str:
    """Only our own paths: `//host`, `/\\host`, control characters (a browser drops TAB and
    line breaks, so `/\\t/host` is `//host`) and very long values all fall back to "/"."""
    if (
        not value
        or len(value) > MAX_NEXT
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or has_control_characters(value)
        or any(c in value for c in "\t\r\n")
    ):
        return "/"
    return value


def client_address(scope: Scope, trusted_proxies: frozenset[str]) -> str:
    """Who is asking, for abuse limits: the peer, or the address a trusted proxy in front
    of us saw (the last entry of X-Forwarded-For, the only one the proxy vouches for)."""
    client = scope.get("client")
    peer = client[0] if client else "unknown"
    if peer in trusted_proxies:
        for key, value in scope["headers"]:
            if key == b"x-forwarded-for":
                return value.decode("latin-1").rsplit(",", 1)[-1].strip()[:64] or peer
    return str(peer)


def cookie(header: str, name: str) -> str | None:
    """One cookie's value, by a linear scan of the (bounded) Cookie header."""
    for part in header.split(";"):
        key, sep, value = part.partition("=")
        if sep and key.strip() == name:
            return value.strip()
    return None


class Incoming(NamedTuple):
    """What every request's wrapper reads from the headers, in one pass."""

    cookie_bytes: int
    locale: str
    request_id: str | None
    encoding: str | None  # "br" or "gzip": how the browser takes a compressed answer


_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")


def incoming(scope: Scope) -> Incoming:
    cookies: list[bytes] = []
    accept, rid, encodings = b"", None, b""
    for key, value in scope["headers"]:
        if key == b"cookie":
            cookies.append(value)
        elif key == b"accept-language":
            accept = value[:200]
        elif key == b"accept-encoding":
            encodings = value[:200]
        elif key == b"x-request-id" and _ID.fullmatch(value):
            rid = value.decode()  # set by the proxy in front, when it is a plain token
    size = sum(map(len, cookies))
    header = b"; ".join(cookies).decode("latin-1") if size <= MAX_COOKIE_HEADER else ""
    locale = i18n.negotiate(accept.decode("latin-1"), cookie(header, "lang"))
    return Incoming(size, locale, rid, _encoding(encodings))


def _encoding(accept_encoding: bytes) -> str | None:
    """brotli if the browser takes it (Chromium does, on HTTPS and on localhost), else gzip."""
    taken = set()
    for item in accept_encoding.split(b","):
        name, _, params = item.partition(b";")
        if params.replace(b" ", b"") not in (b"q=0", b"q=0.0", b"q=0.00", b"q=0.000"):
            taken.add(name.strip().lower())
    return "br" if b"br" in taken else "gzip" if b"gzip" in taken else None


# Pages, fragments and JSON are compressed in one piece when they are this large or more.
# (Litestar's CompressionMiddleware cost a page 0.3 ms of CPU, most of it its own machinery;
# compressing a 13 KB page costs 0.04 ms.) Static files come compressed already.
COMPRESS_MIN = 500
_COMPRESSIBLE = (b"text/", b"application/json", b"application/manifest+json")


def _compressing(send: Send, encoding: str) -> Send:
    """Holds the response's start until its body is known; a whole body of a compressible
    type is sent compressed, with its new length and `Vary: Accept-Encoding`. A streamed or
    already encoded response passes as it is."""
    held: Any = None

    async def compress_send(message: Message) -> None:
        nonlocal held
        if message["type"] == "http.response.start":
            held = message
            return
        start, held = held, None
        if start is None:
            await send(message)
            return
        body: bytes = message.get("body", b"")  # type: ignore[assignment]
        headers = list(start.get("headers", []))
        names = {name.lower(): value for name, value in headers}
        if (
            message.get("more_body", False)
            or len(body) < COMPRESS_MIN
            or b"content-encoding" in names
            or not names.get(b"content-type", b"").startswith(_COMPRESSIBLE)
        ):
            await send(start)
            await send(message)
            return
        packed = (
            brotli.compress(body, quality=5)
            if encoding == "br"
            else gzip.compress(body, 6, mtime=0)
        )
        vary = names.get(b"vary")
        headers = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"vary")]
        headers += [
            (b"content-encoding", encoding.encode()),
            (b"content-length", str(len(packed)).encode()),
            (b"vary", vary + b", Accept-Encoding" if vary else b"Accept-Encoding"),
        ]
        start["headers"] = headers
        message["body"] = packed  # type: ignore[typeddict-unknown-key]
        await send(start)
        await send(message)

    return compress_send


# A year; no includeSubDomains: the school's other hosts under its domain are not ours.
HSTS = (b"strict-transport-security", b"max-age=31536000")
_DEFAULT_HEADERS = [
    (name.encode(), value.encode())
    for name, value in {**SECURITY_HEADERS, "cache-control": "no-store"}.items()
]


async def security_headers(message: Message, scope: Scope) -> None:
    """Runs for every response, 404s and refused CSRF included. A response that sets no
    Cache-Control gets `no-store`, so a personal page is never cached. A static file that
    was found, and the worker's script, carry their own few headers (shell.STATIC_HEADERS):
    each costs bytes on every first load. (Raw header pairs: setdefault on Litestar's
    header view scans the list once per header.)"""
    if message["type"] == "http.response.start":
        if message["status"] == 200 and scope["path"].startswith(OWN_HEADERS):
            scope[STATUS_KEY] = 200  # type: ignore[literal-required]  # the log line
            return
        headers: Any = message.setdefault("headers", [])
        present = {name.lower() for name, _value in headers}
        headers.extend(pair for pair in _DEFAULT_HEADERS if pair[0] not in present)
        if b"content-language" not in present:
            headers.append((b"content-language", i18n.current.get().encode()))
        headers.append((b"x-request-id", request_id.get().encode()))
        if scope["app"].state.settings.secure_cookies:  # served over https: only ever so
            headers.append(HSTS)
        scope[STATUS_KEY] = message["status"]  # type: ignore[literal-required]  # the log line


_TOO_LARGE = (
    b"<!doctype html><title>431</title><p>Too many cookies for this site. Clear this site's "
    b"cookies in the browser and try again.</p>"
)


STATUS_KEY = "iup.status"
HEAD_KEY = "iup.head"
_IDS = itertools.count(1)
_PROCESS = secrets.token_hex(3)  # ids: this process's random prefix and a counter


def is_head(scope: Scope) -> bool:
    """A HEAD request, answered as a GET without its body: nothing beyond what a GET does
    happens for it, and a read of a pupil's data is not logged (no data left the server)."""
    return bool(scope.get(HEAD_KEY))


def _without_body(send: Send) -> Send:
    """RFC 9110 §9.3.2: the same status and headers as the GET (Content-Length included),
    no content."""

    async def head_send(message: Message) -> None:
        if message["type"] != "http.response.body":
            await send(message)
        elif not message.get("more_body", False):
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    return head_send


# A body refused as too large is still read (and dropped) up to this much before the answer
# goes out: a proxy in front that is still sending it would otherwise meet a closed
# connection and answer 502 in its own words instead of ours.
DRAIN = 32 * 1024 * 1024


def _draining(receive: Receive, send: Send) -> tuple[Receive, Send]:
    done = False

    async def tracked() -> Any:
        nonlocal done
        message = await receive()
        done = message["type"] == "http.disconnect" or not message.get("more_body", False)
        return message

    async def draining_send(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 413:
            read = 0
            while not done and read <= DRAIN:
                read += len((await tracked()).get("body", b""))
        await send(message)

    return tracked, draining_send


class App(Litestar):
    """Litestar, with what must hold for every request, unknown paths included: an id, the
    language, a bounded Cookie header, HEAD for every GET route, compression, and one log
    line (method, route, status, duration, id; never cookies, names or the path's values)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope["method"]
        if method == "HEAD":  # uptime monitors: every GET route answers HEAD too
            scope["method"] = "GET"
            scope[HEAD_KEY] = True
            send = _without_body(send)
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            receive, send = _draining(receive, send)
        seen = incoming(scope)
        if seen.encoding:  # outside HEAD's wrapper: the length is the compressed body's
            send = _compressing(send, seen.encoding)
        rid = seen.request_id or f"{_PROCESS}{next(_IDS):06x}"
        rid_token = request_id.set(rid)
        locale_token = i18n.current.set(seen.locale)
        try:
            if seen.cookie_bytes > MAX_COOKIE_HEADER:
                await _refuse_cookies(send, rid)
                return
            try:
                await super().__call__(scope, receive, send)
            finally:
                close_db(scope)  # when no response started (a client gone, say)
                log.info(
                    "%s %s %d %.1fms id=%s",
                    method,
                    scope.get("path_template") or "(no route)",
                    scope.get(STATUS_KEY, 0),
                    (time.perf_counter() - started) * 1000,
                    rid,
                )
        finally:
            i18n.current.reset(locale_token)
            request_id.reset(rid_token)


async def _refuse_cookies(send: Send, rid: str) -> None:
    log.info("refused (cookie header) 431 request_header_fields_too_large id=%s", rid)
    headers = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    start: Any = {
        "type": "http.response.start",
        "status": 431,
        "headers": [
            *headers,
            (b"content-type", b"text/html; charset=utf-8"),
            (b"cache-control", b"no-store"),
            (b"x-request-id", rid.encode()),
        ],
    }
    body: Any = {"type": "http.response.body", "body": _TOO_LARGE}
    await send(start)
    await send(body)


class IupRequest(HTMXRequest):
    """Litestar's htmx request (`request.htmx`), with JSON bodies bounded in depth: nesting
    deeper than any of our Structs is refused before it can exhaust the recursion limit."""

    async def json(self) -> Any:
        try:
            value = await super().json()
        except RecursionError as error:
            raise BadRequest("too_deep") from error
        stack = [(value, 1)]
        while stack:
            item, depth = stack.pop()
            if depth > MAX_JSON_DEPTH:
                raise BadRequest("too_deep")
            if isinstance(item, dict):
                stack.extend((v, depth + 1) for v in item.values())
            elif isinstance(item, list):
                stack.extend((v, depth + 1) for v in item)
        return value


class Page(Template):
    """A template response that is HTML: said up front, since Litestar otherwise guesses
    the type from the file name (pathlib and mimetypes) on every response."""

    def __init__(self, template_name: str, **kwargs: Any) -> None:
        kwargs.setdefault("media_type", MediaType.HTML)
        super().__init__(template_name, **kwargs)


def render(
    request: HTMXRequest,
    page: str,
    *,
    partial: str | None = None,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """One URL, two answers (DESIGN, principle 4): the full page, or for an htmx request the
    fragment that the page template includes. Caches keep them apart by `Vary: HX-Request`."""
    return Page(
        partial if partial and request.htmx else page,
        status_code=status_code,
        headers={"vary": "HX-Request"},
        context=context,
    )


def see_other(
    request: Request[Any, Any, Any],
    name: str,
    *,
    query: Mapping[str, Any] | None = None,
    fragment: str = "",
    **path: Any,
) -> Redirect:
    """Post/redirect/get: a 303 to the route named `name` (every route has a name), with its
    path parameters, then `?query` and `#fragment`. No handler spells out a path."""
    url = request.app.route_reverse(name, **path)
    if query:
        url += "?" + urlencode(query)
    if fragment:
        url += "#" + fragment
    return Redirect(url, status_code=303)
