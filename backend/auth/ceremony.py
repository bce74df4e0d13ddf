"""What the ceremonies and codes share: the refusal with its messages, digests, the audit
log, challenges kept server-side, single-use and expiring (webauthn.io), and the JSON
both ends of a ceremony speak (sign-in, enrolment, an agreement's signature)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import msgspec
from sqlalchemy import delete
from sqlmodel import Session, col, select
from webauthn.helpers import base64url_to_bytes, parse_client_data_json
from webauthn.helpers.exceptions import WebAuthnException

from backend.auth import limits
from backend.auth.schemas import CredentialJSON
from backend.errors import Refusal
from backend.i18n import N_
from backend.models import AuditEvent, Challenge, utcnow
from backend.settings import Settings
from backend.web import CONTROL

MESSAGES = {
    "code_unknown": N_(
        "This sign-up link is not valid. Check that you have all of it, or ask "
        "the school for a new one (pupils can ask their mentor)."
    ),
    "code_used": N_(
        "This sign-up link has already been used. If it was not you who used it, "
        "tell the school. You can ask for a new link."
    ),
    "code_expired": N_(
        "This sign-up link is too old. Ask the school for a new one (pupils can ask their mentor)."
    ),
    "code_replaced": N_("This link has been replaced by a newer one. Ask for the newest."),
    "challenge": N_("That took too long, or the request had already been used. Try again."),
    "unknown_passkey": N_(
        "We do not recognise that passkey. It may have been removed. Try "
        "another passkey, or ask the school for a new sign-up link."
    ),
    "verification": N_(
        "The passkey could not be checked. Try again, and unlock your device when it asks."
    ),
    "sign_count": N_(
        "This passkey may have been copied, so we stopped the sign-in. Ask the school for help."
    ),
    "already_registered": N_("That passkey is already saved for you."),
    "malformed": N_("Your browser sent something we could not read. Try again."),
}


class AuthError(Refusal):
    """A refused ceremony or code, with a stable reason and its message (410 for a code
    that was good once)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, MESSAGES.get(reason, MESSAGES["verification"]))
        if reason in {"code_used", "code_expired", "code_replaced"}:
            self.status = 410


def digest(value: bytes | str) -> bytes:
    return hashlib.sha256(value.encode() if isinstance(value, str) else value).digest()


def audit(
    session: Session,
    *,
    kind: str,
    actor_id: int | None,
    pupil_id: int | None = None,
    detail: str = "",
) -> None:
    """Control characters are dropped: details may quote what a client sent."""
    detail = CONTROL.sub("", detail)[:500]
    session.add(AuditEvent(kind=kind, actor_id=actor_id, pupil_id=pupil_id, detail=detail))


def store_challenge(
    session: Session,
    *,
    settings: Settings,
    challenge: bytes,
    purpose: str,
    person_id: int | None = None,
    code_id: int | None = None,
    agreement_ids: str = "",
    nonce: bytes | None = None,
    bundle: bytes | None = None,
) -> None:
    now = utcnow()
    session.execute(delete(Challenge).where(col(Challenge.expires_at) < now))  # indexed
    limits.check_live_challenges(session)
    session.add(
        Challenge(
            challenge_hash=digest(challenge),
            purpose=purpose,
            person_id=person_id,
            enrolment_code_id=code_id,
            expires_at=now + timedelta(seconds=settings.challenge_seconds),
            agreement_ids=agreement_ids,
            nonce=nonce,
            bundle=bundle,
        )
    )
    session.commit()


def take_challenge(
    session: Session, *, credential: dict[str, object], purpose: str
) -> tuple[bytes, Challenge]:
    """Find the challenge the browser signed and delete it, so it can be used only once."""
    try:
        response = credential["response"]
        assert isinstance(response, dict)
        client_data = parse_client_data_json(base64url_to_bytes(str(response["clientDataJSON"])))
    except (KeyError, AssertionError, ValueError, WebAuthnException) as error:
        raise AuthError("malformed") from error
    challenge = client_data.challenge
    row = session.exec(
        select(Challenge).where(
            Challenge.challenge_hash == digest(challenge), Challenge.purpose == purpose
        )
    ).first()
    if row is None:
        raise AuthError("challenge")
    deleted = session.execute(delete(Challenge).where(col(Challenge.id) == row.id))
    session.commit()
    if deleted.rowcount != 1 or row.expires_at <= utcnow():  # type: ignore[attr-defined]
        raise AuthError("challenge")
    return challenge, row


def options(json_text: str) -> dict[str, Any]:
    """py_webauthn's options_to_json output, as the body of our JSON answer."""
    return msgspec.json.decode(json_text, type=dict[str, Any])


def credential_dict(data: CredentialJSON) -> dict[str, object]:
    return msgspec.to_builtins(data)  # type: ignore[no-any-return]
