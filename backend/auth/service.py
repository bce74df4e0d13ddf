"""Passkeys and enrolment codes. The rules of WebAuthn Level 3 §7 are checked by
py_webauthn; what is ours: challenges kept server-side, single-use and expiring (webauthn.io),
the user handle matched to the credential's owner (§7.2 step 6), sign-count regressions refused
and logged (§6.1.1), enrolment codes stored hashed and used once."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from backend.auth import limits
from backend.auth.ceremony import AuthError, audit, digest, store_challenge, take_challenge
from backend.models import (
    AuditKind,
    CeremonyPurpose,
    EnrolmentCode,
    PasskeyCredential,
    Person,
    utcnow,
)
from backend.settings import Settings

# Enrolment codes -----------------------------------------------------------------------


def issue_enrolment_code(
    session: Session, *, person_id: int, hours: int, issued_by_id: int | None = None
) -> str:
    """A new code replaces the person's unused ones: staff hand out one code at a time. The
    old ones are marked void (so that opening one says it was replaced) and expire now."""
    now = utcnow()
    session.execute(
        update(EnrolmentCode)
        .where(
            col(EnrolmentCode.person_id) == person_id,
            col(EnrolmentCode.used_at).is_(None),
            col(EnrolmentCode.expires_at) > now,
        )
        .values(expires_at=now, voided_at=now)
    )
    code = secrets.token_urlsafe(24)
    session.add(
        EnrolmentCode(
            person_id=person_id,
            code_hash=digest(code),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
            issued_by_id=issued_by_id,
        )
    )
    audit(
        session,
        kind=AuditKind.ENROLMENT_CODE_ISSUED,
        actor_id=issued_by_id,
        detail=f"person {person_id}",
    )
    session.commit()
    return code


def redeemable_code(
    session: Session, *, code: str, client: str, per_minute: int = limits.SIGN_IN_START.max
) -> EnrolmentCode:
    """Each look-up counts against the client's address. Only an unknown code is a guess,
    and only guesses are limited per address: a class behind one school address that
    re-clicks used or old links never locks itself out, and a valid unused link always
    works (nobody comes by one by guessing: 24 random bytes)."""
    attempts = limits.per_address(limits.ENROL_ATTEMPT, per_minute)
    guesses = limits.per_address(limits.CODE_GUESS, per_minute)
    limits.hit(session, limit=attempts, who=client)
    row = session.exec(select(EnrolmentCode).where(EnrolmentCode.code_hash == digest(code))).first()
    if row is None:
        limits.check(session, limit=guesses, who=client)
        limits.hit(session, limit=guesses, who=client, refuse=False)
        raise AuthError("code_unknown")
    reason = (
        "code_used"
        if row.used_at is not None
        else "code_replaced"
        if row.voided_at is not None
        else "code_expired"
        if row.expires_at <= utcnow()
        else None
    )
    if reason is not None:
        raise AuthError(reason)
    return row


def _consume_code(session: Session, *, code_id: int) -> None:
    """Single use even when two tabs race: only one UPDATE finds the code unused."""
    now = utcnow()
    result = session.execute(
        update(EnrolmentCode)
        .where(
            col(EnrolmentCode.id) == code_id,
            col(EnrolmentCode.used_at).is_(None),
            col(EnrolmentCode.expires_at) > now,
        )
        .values(used_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        row = session.get(EnrolmentCode, code_id)
        used, voided = (row.used_at, row.voided_at) if row is not None else (None, None)
        raise AuthError("code_used" if used else "code_replaced" if voided else "code_expired")


# Registration ----------------------------------------------------------------------------


def registration_options(
    session: Session, *, settings: Settings, person: Person, code_id: int | None = None
) -> str:
    """Discoverable credential, user verification required: the passkey alone signs in."""
    if code_id is not None:
        limits.hit(session, limit=limits.CODE_TRIES, who=f"code {code_id}")
    existing = session.exec(
        select(PasskeyCredential).where(PasskeyCredential.person_id == person.id)
    ).all()
    options = generate_registration_options(
        rp_id=settings.rp_id,
        rp_name=settings.rp_name,
        user_id=person.user_handle,
        user_name=person.name,
        user_display_name=person.name,
        timeout=settings.ceremony_timeout_ms,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=c.credential_id, transports=_transports(c.transports))
            for c in existing
        ],
    )
    store_challenge(
        session,
        settings=settings,
        challenge=options.challenge,
        purpose=CeremonyPurpose.REGISTER,
        person_id=person.id,
        code_id=code_id,
    )
    return options_to_json(options)


def finish_registration(
    session: Session,
    *,
    settings: Settings,
    credential: dict[str, object],
    person_id: int,
    nickname: str,
) -> PasskeyCredential:
    challenge, row = take_challenge(
        session, credential=credential, purpose=CeremonyPurpose.REGISTER
    )
    if row.person_id != person_id:
        raise AuthError("challenge")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.rp_id,
            expected_origin=settings.origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        audit(session, kind=AuditKind.PASSKEY_REFUSED, actor_id=person_id, detail=str(error))
        session.commit()
        raise AuthError("verification") from error
    if session.exec(
        select(PasskeyCredential).where(PasskeyCredential.credential_id == verified.credential_id)
    ).first():
        raise AuthError("already_registered")
    if row.enrolment_code_id is not None:
        _consume_code(session, code_id=row.enrolment_code_id)
    response = credential.get("response")
    transports = response.get("transports") if isinstance(response, dict) else None
    if not isinstance(transports, list):
        transports = []
    passkey = PasskeyCredential(
        person_id=person_id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=",".join(str(t) for t in transports if isinstance(t, str)),
        backup_eligible=verified.credential_device_type == "multi_device",
        backed_up=verified.credential_backed_up,
        nickname=nickname[:60],
        last_used_at=utcnow(),  # it has just signed the person up (or in, when added)
    )
    session.add(passkey)
    audit(session, kind=AuditKind.PASSKEY_ADDED, actor_id=person_id)
    session.commit()
    return passkey


def _transports(stored: str) -> list[AuthenticatorTransport]:
    known = {t.value for t in AuthenticatorTransport}
    return [AuthenticatorTransport(t) for t in stored.split(",") if t in known]


# Authentication --------------------------------------------------------------------------


def authentication_options(session: Session, *, settings: Settings, client: str) -> str:
    """Usernameless: allowCredentials stays empty and the authenticator offers its passkeys."""
    limit = limits.per_address(limits.SIGN_IN_START, settings.sign_ins_per_address)
    limits.hit(session, limit=limit, who=client)
    options = generate_authentication_options(
        rp_id=settings.rp_id,
        timeout=settings.ceremony_timeout_ms,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    store_challenge(
        session,
        settings=settings,
        challenge=options.challenge,
        purpose=CeremonyPurpose.AUTHENTICATE,
    )
    return options_to_json(options)


def finish_authentication(
    session: Session, *, settings: Settings, credential: dict[str, object], client: str
) -> PasskeyCredential:
    """Failures count against the address and against the passkey tried, and are logged
    (as refusals, by the error room; those that name a person also as audit events)."""
    failed = limits.per_address(limits.SIGN_IN_FAILED, settings.sign_ins_per_address)
    limits.check(session, limit=failed, who=client)
    try:
        return _authenticate(session, settings=settings, credential=credential)
    except AuthError:
        session.rollback()
        limits.hit(session, limit=failed, who=client, refuse=False)
        raw_id = credential.get("rawId")
        if isinstance(raw_id, str):
            limits.hit(session, limit=limits.PASSKEY_FAILED, who=raw_id[:200], refuse=False)
        raise


def _authenticate(
    session: Session, *, settings: Settings, credential: dict[str, object]
) -> PasskeyCredential:
    raw = credential.get("rawId")
    if isinstance(raw, str):
        limits.check(session, limit=limits.PASSKEY_FAILED, who=raw[:200])
    challenge, _row = take_challenge(
        session, credential=credential, purpose=CeremonyPurpose.AUTHENTICATE
    )
    return verify_assertion(session, settings=settings, credential=credential, challenge=challenge)


def verify_assertion(
    session: Session, *, settings: Settings, credential: dict[str, object], challenge: bytes
) -> PasskeyCredential:
    """A passkey assertion over `challenge`, by a passkey we know, whose user handle is its
    owner's, with user verification and a rising sign count (WebAuthn §7.2). Sign-in and
    agreement signatures both come through here. Returns the passkey, its count updated."""
    try:
        raw_id = base64url_to_bytes(str(credential["rawId"]))
    except (KeyError, ValueError) as error:
        raise AuthError("malformed") from error
    passkey = session.exec(
        select(PasskeyCredential).where(PasskeyCredential.credential_id == raw_id)
    ).first()
    if passkey is None:
        raise AuthError("unknown_passkey")
    _check_owner(session, passkey=passkey, credential=credential)
    try:
        # The count is compared below, after the signature is known to be genuine.
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.rp_id,
            expected_origin=settings.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        audit(
            session, kind=AuditKind.PASSKEY_REFUSED, actor_id=passkey.person_id, detail=str(error)
        )
        session.commit()
        raise AuthError("verification") from error
    stored = passkey.sign_count
    if (verified.new_sign_count > 0 or stored > 0) and verified.new_sign_count <= stored:
        audit(
            session,
            kind=AuditKind.SIGN_COUNT_REGRESSION,
            actor_id=passkey.person_id,
            detail=f"passkey {passkey.id}: {verified.new_sign_count} <= {stored}",
        )
        session.commit()
        raise AuthError("sign_count")
    passkey.sign_count = verified.new_sign_count
    passkey.backed_up = verified.credential_backed_up
    passkey.last_used_at = utcnow()
    session.add(passkey)
    session.commit()
    return passkey


def _check_owner(
    session: Session, *, passkey: PasskeyCredential, credential: dict[str, object]
) -> None:
    """The user handle the authenticator returns is the passkey's owner's (§7.2 step 6)."""
    owner = session.get(Person, passkey.person_id)
    response = credential.get("response")
    handle = response.get("userHandle") if isinstance(response, dict) else None
    try:
        handle_bytes = base64url_to_bytes(handle) if isinstance(handle, str) else b""
    except ValueError:
        handle_bytes = b""
    if owner is None or not handle_bytes or handle_bytes != owner.user_handle:
        audit(
            session,
            kind=AuditKind.PASSKEY_REFUSED,
            actor_id=passkey.person_id,
            detail="user handle",
        )
        session.commit()
        raise AuthError("unknown_passkey")
