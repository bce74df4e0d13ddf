"""Sessions, and each person's own passkeys. A session is a random token in an HttpOnly
cookie; only its hash is stored, so a copy of the database signs nobody in."""

from __future__ import annotations

import secrets
from datetime import timedelta

import msgspec
from sqlalchemy import bindparam, delete
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from backend.auth.service import AuthError, audit, digest
from backend.models import LoginSession, PasskeyCredential, Person, utcnow


class Viewer(msgspec.Struct, frozen=True, kw_only=True):
    person_id: int
    given_name: str
    family_name: str
    passkey_id: int | None  # the passkey that started this session


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
    audit(session, kind="signed_in", actor_id=person_id)
    session.commit()
    return token


_VIEWER = (
    core_select(
        col(Person.id),
        col(Person.given_name),
        col(Person.family_name),
        col(LoginSession.credential_id),
    )
    .select_from(LoginSession)
    .join(Person, col(Person.id) == LoginSession.person_id)
    .where(
        col(LoginSession.token_hash) == bindparam("token_hash"),
        col(LoginSession.expires_at) > bindparam("now"),
    )
)


def viewer_for(session: Session, *, token: str) -> Viewer | None:
    """On every request, so built once and read as columns (DESIGN: hot reads may use Core)."""
    row = session.execute(_VIEWER, {"token_hash": digest(token), "now": utcnow()}).first()
    if row is None:
        return None
    return Viewer(person_id=row[0], given_name=row[1], family_name=row[2], passkey_id=row[3])


def end_session(session: Session, *, token: str) -> None:
    session.execute(delete(LoginSession).where(col(LoginSession.token_hash) == digest(token)))
    session.commit()


# Managing one's passkeys -----------------------------------------------------------------


def passkeys_of(session: Session, *, person_id: int) -> list[PasskeyCredential]:
    return list(
        session.exec(
            select(PasskeyCredential)
            .where(PasskeyCredential.person_id == person_id)
            .order_by(col(PasskeyCredential.created_at))
        ).all()
    )


def _own_passkey(session: Session, *, person_id: int, passkey_id: int) -> PasskeyCredential:
    passkey = session.get(PasskeyCredential, passkey_id)
    if passkey is None or passkey.person_id != person_id:
        raise AuthError("not_found")
    return passkey


def rename_passkey(session: Session, *, person_id: int, passkey_id: int, nickname: str) -> None:
    passkey = _own_passkey(session, person_id=person_id, passkey_id=passkey_id)
    passkey.nickname = nickname.strip()[:60]
    session.add(passkey)
    session.commit()


def remove_passkey(session: Session, *, person_id: int, passkey_id: int) -> None:
    """The sessions the passkey started end with it (ON DELETE CASCADE, done explicitly too
    for databases where the cascade is off)."""
    passkey = _own_passkey(session, person_id=person_id, passkey_id=passkey_id)
    session.execute(delete(LoginSession).where(col(LoginSession.credential_id) == passkey_id))
    session.delete(passkey)
    audit(session, kind="passkey_removed", actor_id=person_id, detail=f"passkey {passkey_id}")
    session.commit()
