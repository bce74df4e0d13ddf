"""Sessions, the viewer dependency, and each person's own passkeys. A session is a random
token in an HttpOnly cookie; only its hash is stored, so a copy of the database signs
nobody in."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from hmac import compare_digest
from typing import Any, NamedTuple

from litestar import Request
from litestar.di import NamedDependency
from litestar.middleware.csrf import generate_csrf_token
from litestar.utils.scope.state import ScopeState
from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from backend import i18n
from backend.auth import queries
from backend.auth.ceremony import audit, digest
from backend.auth.schemas import PasskeyPublic
from backend.db import SCOPE_KEY as DB_KEY
from backend.db import provide_db
from backend.errors import CSRF_MESSAGE, Forbidden, Invalid, NotFound, NotSignedIn, request_id
from backend.i18n import N_
from backend.models import (
    AuditKind,
    LoginSession,
    PasskeyCredential,
    Person,
    utcnow,
)
from backend.notifications import push
from backend.settings import Settings
from backend.viewer import Viewer
from backend.web import has_control_characters

SESSION_COOKIE = "iup_session"  # the names over http; under https `Settings.cookie` adds
CSRF_COOKIE = "iup_csrf"  # the __Host- prefix
VIEWER_KEY = "iup.viewer"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Her requests move the idle end on, writing at most once a minute a session.
IDLE_STEP = timedelta(minutes=1)
log = logging.getLogger("iup")


class Started(NamedTuple):
    """A new session: the token of its cookie, and the CSRF token bound to it."""

    token: str
    csrf: str


def current_viewer(request: Request[Any, Any, Any], db: NamedDependency[Session]) -> Viewer:
    """The signed-in person (a dependency every policy but the public one builds on), or
    401: `session_ended` when the browser still had a session that is no longer valid (past
    its absolute or its idle end). A state change is accepted only with the CSRF token set
    at this session's sign-in (403 `csrf`); Litestar's middleware has already checked that
    the form's or header's token is the cookie's."""
    settings: Settings = request.app.state.settings
    token = request.cookies.get(settings.cookie(SESSION_COOKIE))
    now = utcnow()
    row = _live(db, token=token, now=now) if token else None
    if row is None:
        raise NotSignedIn("session_ended" if token else None)
    csrf = request.cookies.get(settings.cookie(CSRF_COOKIE))
    if request.method not in SAFE_METHODS:
        if not compare_digest(digest(csrf or ""), bytes(row.csrf_hash)):
            raise Forbidden("csrf", CSRF_MESSAGE)
    elif csrf is None:
        _rebind(db, row=row, request=request)
    _still_here(db, row=row, now=now)
    return _seen(request, _viewer(row))


def _seen(request: Request[Any, Any, Any], viewer: Viewer) -> Viewer:
    """Kept for the rest of the request (an error page shows her menu), and her stored
    language wins over her browser's from here on (backend/i18n.py, rule 1)."""
    request.scope[VIEWER_KEY] = viewer  # type: ignore[literal-required]
    if lang := i18n.stored(viewer.locale):
        i18n.current.switch(lang)
    return viewer


def peek_viewer(request: Request[Any, Any, Any], *, look_up: bool = True) -> Viewer | None:
    """The signed-in person, if there is one, for a page that does not need her: a public
    page in her language, an error page with her menu. Never raises: a refusal or a failure
    may have happened before the viewer dependency ran, or instead of it; then this looks
    the session up (one indexed read; not with `look_up=False`, e.g. when the database may
    be what failed), and a lookup that fails shows the page without her."""
    seen = request.scope.get(VIEWER_KEY)
    if isinstance(seen, Viewer) or not look_up:
        return seen if isinstance(seen, Viewer) else None
    try:
        token = request.cookies.get(request.app.state.settings.cookie(SESSION_COOKIE))
        if not token:
            return None
        db = request.scope.get(DB_KEY)
        if not isinstance(db, Session):
            db = provide_db(request)
        viewer = viewer_for(db, token=token)
    except Exception:
        log.warning("viewer lookup failed id=%s", request_id.get(), exc_info=True)
        return None
    return _seen(request, viewer) if viewer is not None else None


def store_language(session: Session, *, person_id: int, locale: str) -> None:
    """The language switch, for a signed-in person: it follows her to every device."""
    session.execute(update(Person).where(col(Person.id) == person_id).values(locale=locale))
    session.commit()


# Sessions --------------------------------------------------------------------------------


def start_session(
    session: Session,
    *,
    person_id: int,
    passkey_id: int | None,
    settings: Settings,
    replacing: str | None = None,
) -> Started:
    """A new session and CSRF token, never the ones the browser had (`replacing`, the
    session cookie sent with the sign-in, ends here). Staff get the shorter idle end.
    Ended sessions are swept here, so the table holds only live ones."""
    token = secrets.token_urlsafe(32)
    csrf = generate_csrf_token(secret=settings.secret_key)
    now = utcnow()
    staff = bool(queries.IS_STAFF.first(session, {"person_id": person_id})[0])
    idle = settings.idle_minutes_staff if staff else settings.idle_minutes_family
    expires = now + timedelta(hours=settings.session_hours)
    ended = (col(LoginSession.expires_at) < now) | (col(LoginSession.idle_until) < now)
    if replacing:
        ended |= col(LoginSession.token_hash) == digest(replacing)
    session.execute(delete(LoginSession).where(ended))
    session.add(
        LoginSession(
            token_hash=digest(token),
            person_id=person_id,
            credential_id=passkey_id,
            expires_at=expires,
            idle_until=min(now + timedelta(minutes=idle), expires),
            idle_minutes=idle,
            csrf_hash=digest(csrf),
        )
    )
    audit(session, kind=AuditKind.SIGNED_IN, actor_id=person_id)
    session.commit()
    return Started(token, csrf)


def _live(session: Session, *, token: str, now: datetime) -> Any:
    return queries.VIEWER.first(session, {"token_hash": digest(token), "now": now})


def _viewer(row: Any) -> Viewer:
    return Viewer(
        person_id=row.id,
        given_name=row.given_name,
        family_name=row.family_name,
        passkey_id=row.credential_id,
        session_id=row.session_id,
        is_pupil=bool(row.is_pupil),
        locale=row.locale,
        unread=int(row.unread or 0),
    )


def _rebind(session: Session, *, row: Any, request: Request[Any, Any, Any]) -> None:
    """A browser that lost the CSRF cookie but kept the session's (a cookie cleared by hand,
    a session cookie copied to a new device) gets a new token with this page, made by the
    CSRF middleware, never one it sent; the session accepts that one from now on. A
    planted cookie is not a lost one: it is refused."""
    fresh = ScopeState.from_scope(request.scope).csrf_token
    if not isinstance(fresh, str) or not fresh:
        return
    session.execute(
        update(LoginSession)
        .where(col(LoginSession.id) == row.session_id)
        .values(csrf_hash=digest(fresh))
    )
    session.commit()


def _still_here(session: Session, *, row: Any, now: datetime) -> None:
    """A request moves the idle end on: to her idle time from now, never past the absolute
    end; written only when it moves by a minute or more."""
    idle = timedelta(minutes=row.idle_minutes)
    until = min(now + idle, row.expires_at)
    if until - row.idle_until < IDLE_STEP:
        return
    session.execute(
        update(LoginSession).where(col(LoginSession.id) == row.session_id).values(idle_until=until)
    )
    session.commit()


def viewer_for(session: Session, *, token: str) -> Viewer | None:
    """On every request, so built once and read as columns (DESIGN: hot reads may use Core).
    Only looks: the request that needs her (current_viewer) moves the idle end on."""
    row = _live(session, token=token, now=utcnow())
    return None if row is None else _viewer(row)


def end_session(session: Session, *, token: str) -> None:
    """Sign-out: the session ends, and push to the browsers it turned push on in."""
    ended = session.execute(
        select(col(LoginSession.id)).where(col(LoginSession.token_hash) == digest(token))
    ).scalar_one_or_none()
    if ended is not None:
        push.end_for_session(session, session_id=ended)
    session.execute(delete(LoginSession).where(col(LoginSession.token_hash) == digest(token)))
    session.commit()


def live_sessions(session: Session, *, person_id: int) -> int:
    """Her sessions that have not ended: this browser's and her other devices'."""
    now = utcnow()
    return int(
        session.execute(
            select(func.count())
            .select_from(LoginSession)
            .where(
                col(LoginSession.person_id) == person_id,
                col(LoginSession.expires_at) > now,
                col(LoginSession.idle_until) > now,
            )
        ).scalar_one()
    )


def end_everywhere(session: Session, *, person_id: int) -> int:
    """Sign out everywhere: every session of hers ends, this one too (a phone left at a
    friend's, a computer in the library). Returns how many ended."""
    ended = session.execute(delete(LoginSession).where(col(LoginSession.person_id) == person_id))
    push.end_for_person(session, person_id=person_id)
    audit(session, kind=AuditKind.SIGNED_OUT_EVERYWHERE, actor_id=person_id)
    session.commit()
    return int(getattr(ended, "rowcount", 0) or 0)


# Managing one's passkeys -----------------------------------------------------------------


def passkeys_of(session: Session, *, person_id: int) -> list[PasskeyPublic]:
    return [
        PasskeyPublic(
            id=row.id,
            nickname=row.nickname,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            backed_up=bool(row.backed_up),
        )
        for row in queries.PASSKEYS.rows(session, {"person_id": person_id})
    ]


def _own_passkey(session: Session, *, person_id: int, passkey_id: int) -> PasskeyCredential:
    passkey = session.get(PasskeyCredential, passkey_id)
    if passkey is None or passkey.person_id != person_id:
        raise NotFound()
    return passkey


def rename_passkey(session: Session, *, person_id: int, passkey_id: int, nickname: str) -> None:
    passkey = _own_passkey(session, person_id=person_id, passkey_id=passkey_id)
    if has_control_characters(nickname):
        raise Invalid("nickname", N_("Use letters, digits and punctuation in the name."))
    passkey.nickname = nickname.strip()[:60]
    session.add(passkey)
    session.commit()


def passkey_to_remove(
    session: Session, *, person_id: int, passkey_id: int
) -> tuple[PasskeyPublic, bool]:
    """Her passkey that someone is about to remove (she, or staff for a lost phone), and
    whether it is her last one, for the page that asks first; 404 for one not hers."""
    passkeys = passkeys_of(session, person_id=person_id)
    target = next((p for p in passkeys if p.id == passkey_id), None)
    if target is None:
        raise NotFound()
    return target, len(passkeys) == 1


def remove_passkey(
    session: Session, *, person_id: int, passkey_id: int, removed_by_id: int | None = None
) -> None:
    """The sessions the passkey started end with it (ON DELETE CASCADE, done explicitly too
    for databases where the cascade is off), and so do the push subscriptions it came with.
    `removed_by_id`: staff handling a lost phone."""
    passkey = _own_passkey(session, person_id=person_id, passkey_id=passkey_id)
    session.execute(delete(LoginSession).where(col(LoginSession.credential_id) == passkey_id))
    push.end_for_passkey(session, passkey_id=passkey_id)
    session.delete(passkey)
    audit(
        session,
        kind=AuditKind.PASSKEY_REMOVED,
        actor_id=person_id if removed_by_id is None else removed_by_id,
        detail=f"passkey {passkey_id} of person {person_id}",
    )
    session.commit()
