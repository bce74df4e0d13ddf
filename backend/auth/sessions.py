"""Sessions, the viewer dependency, and each person's own passkeys. A session is a random
token in an HttpOnly cookie; only its hash is stored, so a copy of the database signs
nobody in."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy import delete, update
from sqlmodel import Session, col

from backend import i18n
from backend.auth import queries
from backend.auth.ceremony import audit, digest
from backend.auth.schemas import PasskeyPublic
from backend.db import SCOPE_KEY as DB_KEY
from backend.db import provide_db
from backend.errors import Invalid, NotFound, NotSignedIn, request_id
from backend.i18n import N_
from backend.models import (
    AuditKind,
    LoginSession,
    PasskeyCredential,
    Person,
    utcnow,
)
from backend.viewer import Viewer
from backend.web import has_control_characters

SESSION_COOKIE = "iup_session"
VIEWER_KEY = "iup.viewer"
log = logging.getLogger("iup")


def current_viewer(request: Request[Any, Any, Any], db: NamedDependency[Session]) -> Viewer:
    """The signed-in person (a dependency every policy but the public one builds on), or
    401: `session_ended` when the browser still had a session that is no longer valid."""
    token = request.cookies.get(SESSION_COOKIE)
    viewer = viewer_for(db, token=token) if token else None
    if viewer is None:
        raise NotSignedIn("session_ended" if token else None)
    return _seen(request, viewer)


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
        token = request.cookies.get(SESSION_COOKIE)
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


def start_session(session: Session, *, person_id: int, passkey_id: int | None, hours: int) -> str:
    """Expired sessions are swept here, so the table holds only live ones."""
    token = secrets.token_urlsafe(32)
    session.execute(delete(LoginSession).where(col(LoginSession.expires_at) < utcnow()))
    session.add(
        LoginSession(
            token_hash=digest(token),
            person_id=person_id,
            credential_id=passkey_id,
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    audit(session, kind=AuditKind.SIGNED_IN, actor_id=person_id)
    session.commit()
    return token


def viewer_for(session: Session, *, token: str) -> Viewer | None:
    """On every request, so built once and read as columns (DESIGN: hot reads may use Core)."""
    row: Any = queries.VIEWER.first(session, {"token_hash": digest(token), "now": utcnow()})
    if row is None:
        return None
    return Viewer(
        person_id=row.id,
        given_name=row.given_name,
        family_name=row.family_name,
        passkey_id=row.credential_id,
        is_pupil=bool(row.is_pupil),
        locale=row.locale,
        unread=int(row.unread or 0),
    )


def end_session(session: Session, *, token: str) -> None:
    session.execute(delete(LoginSession).where(col(LoginSession.token_hash) == digest(token)))
    session.commit()


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
    for databases where the cascade is off). `removed_by_id`: staff handling a lost phone."""
    passkey = _own_passkey(session, person_id=person_id, passkey_id=passkey_id)
    session.execute(delete(LoginSession).where(col(LoginSession.credential_id) == passkey_id))
    session.delete(passkey)
    audit(
        session,
        kind=AuditKind.PASSKEY_REMOVED,
        actor_id=person_id if removed_by_id is None else removed_by_id,
        detail=f"passkey {passkey_id} of person {person_id}",
    )
    session.commit()
