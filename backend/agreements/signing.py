"""Agreement signatures: a WebAuthn assertion whose challenge binds the exact text.

The challenge is SHA-256(TAG ‖ nonce ‖ bundle). `bundle` is the SHA-256 of each signed
agreement's canonical bytes, in order: one digest when she signs one agreement, several when
she signs all of them with one touch. The canonical bytes are the agreement's id, plan,
pupil, party, due date, version and exact text as JSON with sorted keys and no spaces
(`canonical`). The whole assertion is stored with a copy of the public key, so that
`verify` can repeat the check later from the database alone (py_webauthn with
`credential_current_sign_count=0`, as the stored assertion is older than the
authenticator's count) and any changed byte of the text fails it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import msgspec
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from webauthn import (
    generate_authentication_options,
    options_to_json,
    verify_authentication_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import PublicKeyCredentialDescriptor, UserVerificationRequirement

from backend.auth.ceremony import AuthError, store_challenge, take_challenge
from backend.auth.service import verify_assertion
from backend.errors import Conflict, Forbidden
from backend.i18n import N_
from backend.models import (
    Agreement,
    CeremonyPurpose,
    PasskeyCredential,
    Person,
    Plan,
    School,
    Signature,
    Term,
)
from backend.settings import Settings

TAG = b"IUP agreement signature v1\x00"
DIGEST = 32


def canonical(agreement: Agreement, *, pupil_id: int) -> bytes:
    """What a signature binds: every fact of the agreement, byte for byte."""
    return msgspec.json.encode(
        {
            "agreement": agreement.id,
            "due_on": agreement.due_on.isoformat(),
            "party": agreement.party,
            "plan": agreement.plan_id,
            "pupil": pupil_id,
            "text": agreement.text,
            "version": agreement.version,
        },
        order="sorted",
    )


def bundle_of(documents: Sequence[bytes]) -> bytes:
    return b"".join(hashlib.sha256(d).digest() for d in documents)


def challenge_of(nonce: bytes, bundle: bytes) -> bytes:
    return hashlib.sha256(TAG + nonce + bundle).digest()


class NotYourPasskey(Forbidden):
    default_reason = "not_your_passkey"
    default_message = N_("Sign with your own passkey, on a device where you are signed in.")


class OtherAgreement(Forbidden):
    default_reason = "other_agreement"
    default_message = N_("That signature was made for another agreement. Try again.")


CHANGED = N_("The agreement was changed while you were signing. Read the new text and sign again.")


def options(
    session: Session,
    *,
    settings: Settings,
    signer_id: int,
    pupil_id: int,
    agreements: Sequence[Agreement],
) -> str:
    """The request options for one touch over `agreements`, limited to the signer's own
    passkeys; the ceremony's state (which agreements, nonce, digests) stays on the server,
    single-use and expiring, like every challenge (DESIGN, principle 8)."""
    nonce = secrets.token_bytes(32)
    bundle = bundle_of([canonical(a, pupil_id=pupil_id) for a in agreements])
    challenge = challenge_of(nonce, bundle)
    passkeys = session.exec(
        select(PasskeyCredential.credential_id).where(PasskeyCredential.person_id == signer_id)
    ).all()
    request = generate_authentication_options(
        rp_id=settings.rp_id,
        challenge=challenge,
        timeout=settings.ceremony_timeout_ms,
        allow_credentials=[PublicKeyCredentialDescriptor(id=c) for c in passkeys],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    store_challenge(
        session,
        settings=settings,
        challenge=challenge,
        purpose=CeremonyPurpose.SIGN,
        person_id=signer_id,
        agreement_ids=",".join(str(a.id) for a in agreements),
        nonce=nonce,
        bundle=bundle,
    )
    return options_to_json(request)


def _bytes(response: dict[str, object], key: str) -> bytes:
    value = response.get(key)
    if not isinstance(value, str):
        raise AuthError("malformed")
    try:
        return base64url_to_bytes(value)
    except ValueError as error:
        raise AuthError("malformed") from error


def finish(
    session: Session,
    *,
    settings: Settings,
    credential: dict[str, object],
    signer_id: int,
    role: str,
    agreement_id: int,
    pupil_id: int,
) -> list[Signature]:
    """Checks the assertion and stores one signature per agreement of the ceremony. Refused:
    a challenge that was not hers or was used before (replay), one made for other
    agreements, a text that changed after the options were given (409), a passkey that
    is not hers."""
    challenge, row = take_challenge(session, credential=credential, purpose=CeremonyPurpose.SIGN)
    if row.person_id != signer_id or row.nonce is None or row.bundle is None:
        raise AuthError("challenge")
    ids = [int(i) for i in row.agreement_ids.split(",") if i]
    if agreement_id not in ids:
        raise OtherAgreement()
    agreements, documents = _as_offered(session, ids=ids, bundle=row.bundle, pupil_id=pupil_id)
    if challenge != challenge_of(row.nonce, row.bundle):
        raise AuthError("challenge")
    passkey = verify_assertion(
        session, settings=settings, credential=credential, challenge=challenge
    )
    if passkey.person_id != signer_id:
        raise NotYourPasskey()
    response = credential.get("response")
    if not isinstance(response, dict):
        raise AuthError("malformed")
    authenticator_data = _bytes(response, "authenticatorData")
    client_data_json = _bytes(response, "clientDataJSON")
    assertion = _bytes(response, "signature")
    user_handle = _bytes(response, "userHandle")
    signatures = [
        Signature(
            agreement_id=int(a.id or 0),
            agreement_version=a.version,
            signer_id=signer_id,
            role=role,
            document=doc,
            nonce=row.nonce,
            bundle=row.bundle,
            credential_id=passkey.credential_id,
            public_key=passkey.public_key,
            authenticator_data=authenticator_data,
            client_data_json=client_data_json,
            signature=assertion,
            user_handle=user_handle,
        )
        for a, doc in zip(agreements, documents, strict=True)
    ]
    session.add_all(signatures)
    try:
        session.flush()
    except IntegrityError as error:  # she had signed one of them already, elsewhere
        session.rollback()
        refusal = Conflict({"agreement_ids": ids}, reason="already_signed")
        refusal.message = N_("You have already signed this agreement.")
        raise refusal from error
    return signatures


def _as_offered(
    session: Session, *, ids: list[int], bundle: bytes, pupil_id: int
) -> tuple[list[Agreement], list[bytes]]:
    """The ceremony's agreements with their canonical bytes, as they were when the options
    were given: 409 `agreement_changed` when one changed or went since."""
    found = {a.id: a for a in session.exec(select(Agreement).where(Agreement.id.in_(ids))).all()}  # type: ignore[union-attr]
    agreements = [found[i] for i in ids if i in found]
    documents = [canonical(a, pupil_id=pupil_id) for a in agreements]
    if len(agreements) != len(ids) or bundle_of(documents) != bundle:
        refusal = Conflict({"agreement_ids": ids}, reason="agreement_changed")
        refusal.message = CHANGED
        raise refusal
    return agreements, documents


def verify(signature: Signature, *, live: bytes | None, settings: Settings) -> str | None:
    """None when the stored signature holds; otherwise why not. `live` is the agreement's
    canonical bytes as stored now, for a signature that is still in force (a void one is
    checked against the text it was made over). A signature imported from another school
    is checked against the relying party and origin it was made for, and its signed
    document (which holds the sending school's ids) against the agreement's text, party,
    due date and version now, as the ids here differ."""
    return _verify(
        _fields(signature),
        live,
        signature.rp_id or settings.rp_id,
        signature.origin or settings.origin,
        imported=bool(signature.rp_id),
    )


FACTS = ("text", "party", "due_on", "version")


def _same_facts(live: bytes, document: bytes) -> bool:
    """The agreement's facts apart from the ids, which differ after an import."""
    try:
        now, then = msgspec.json.decode(live), msgspec.json.decode(document)
    except msgspec.DecodeError:
        return False
    return isinstance(then, dict) and all(now.get(k) == then.get(k) for k in FACTS)


def _fields(s: Signature) -> tuple[bytes, ...]:
    return (
        s.document,
        s.nonce,
        s.bundle,
        s.credential_id,
        s.public_key,
        s.authenticator_data,
        s.client_data_json,
        s.signature,
        s.user_handle,
        msgspec.json.encode([s.agreement_id, s.agreement_version]),
    )


@lru_cache(maxsize=4096)
def _verify(
    fields: tuple[bytes, ...],
    live: bytes | None,
    rp_id: str,
    origin: str,
    *,
    imported: bool = False,
) -> str | None:
    """Cached on every byte it reads, so a page can show its marks cheaply and a changed
    byte is checked afresh."""
    document, nonce, bundle, credential_id, public_key, auth_data, client_data, sig, handle, ids = (
        fields
    )
    agreement_id, version = msgspec.json.decode(ids)
    if live is not None and not (_same_facts(live, document) if imported else live == document):
        return "the agreement's text or facts differ from what was signed"
    try:
        facts = msgspec.json.decode(document)
    except msgspec.DecodeError:
        return "the signed document cannot be read"
    if not isinstance(facts, dict) or (
        facts.get("version") != version or (not imported and facts.get("agreement") != agreement_id)
    ):
        return "the signed document is of another agreement or version"
    digest = hashlib.sha256(document).digest()
    if len(bundle) % DIGEST or digest not in {
        bundle[i : i + DIGEST] for i in range(0, len(bundle), DIGEST)
    }:
        return "the signed document is not in the signed bundle"
    credential = {
        "id": bytes_to_base64url(credential_id),
        "rawId": bytes_to_base64url(credential_id),
        "type": "public-key",
        "response": {
            "clientDataJSON": bytes_to_base64url(client_data),
            "authenticatorData": bytes_to_base64url(auth_data),
            "signature": bytes_to_base64url(sig),
            "userHandle": bytes_to_base64url(handle),
        },
        "clientExtensionResults": {},
    }
    try:
        verify_authentication_response(
            credential=credential,
            expected_challenge=challenge_of(nonce, bundle),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=public_key,
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        return f"the assertion does not verify: {error}"
    return None


class Checked(msgspec.Struct, frozen=True, kw_only=True):
    """One stored signature, checked again."""

    signature_id: int
    agreement_id: int
    version: int
    signer: str
    role: str
    signed_at: datetime
    void: bool
    failure: str | None
    # The origin it holds for, when that is not this installation's: made on another
    # address (an earlier one, or a server on another port), which its client data names.
    signed_for: str | None = None
    # Imported: the school it was signed at. Checked against the key its document carried,
    # which proves the text was signed with that key, not who held it (docs/exchange.md).
    imported_from: str | None = None


def signed_origin(client_data_json: bytes) -> str | None:
    """The origin the browser wrote into the signed client data."""
    try:
        data = msgspec.json.decode(client_data_json)
    except msgspec.DecodeError:
        return None
    origin = data.get("origin") if isinstance(data, dict) else None
    return origin if isinstance(origin, str) else None


def _rp_id_of(authenticator_data: bytes, origin: str, ours: str) -> str:
    """The relying party the authenticator data is for: the origin's host name or a parent
    domain of it whose SHA-256 it holds; else ours (and the check fails on it)."""
    labels = (urlsplit(origin).hostname or "").split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels)) if labels[i]]
    digest = authenticator_data[:DIGEST]
    return next((c for c in candidates if hashlib.sha256(c.encode()).digest() == digest), ours)


def check_all(
    session: Session, *, settings: Settings, pupil_id: int | None = None
) -> Iterator[Checked]:
    """Every stored signature (of one pupil), re-verified from the database alone. One in
    force must match the agreement as stored now; a void one, the text it was made over."""
    query = (
        select(Signature, Agreement, Person, School)
        .join(Agreement, col(Agreement.id) == Signature.agreement_id)
        .join(Plan, col(Plan.id) == Agreement.plan_id)
        .join(Term, col(Term.id) == Plan.term_id)
        .join(School, col(School.id) == Term.school_id)
        .outerjoin(Person, col(Person.id) == Signature.signer_id)
        .order_by(col(Signature.id))
    )
    if pupil_id is not None:
        query = query.where(Plan.pupil_id == pupil_id)
    pupils = dict(  # each plan's pupil, for the agreement's canonical bytes (one query)
        session.exec(
            select(Plan.id, Plan.pupil_id).where(
                col(Plan.id).in_(select(Agreement.plan_id).join(Signature).distinct())
            )
        ).all()
    )
    for s, agreement, person, school in session.exec(query):
        void = s.voided_at is not None
        live = None if void else canonical(agreement, pupil_id=pupils[agreement.plan_id])
        signed_for = None
        if not void and agreement.version != s.agreement_version:
            failure: str | None = "the signature is in force but the agreement's version moved on"
        else:
            failure = verify(s, live=live, settings=settings)
            # Signed on another origin: checked for that origin instead. The client data
            # that names it is signed too, so a changed origin fails like any changed byte.
            theirs = None if s.rp_id else signed_origin(s.client_data_json)
            if failure is not None and theirs is not None and theirs != settings.origin:
                rp_id = _rp_id_of(s.authenticator_data, theirs, settings.rp_id)
                failure = _verify(_fields(s), live, rp_id, theirs)
                signed_for = theirs if failure is None else None
        yield Checked(
            signature_id=int(s.id or 0),
            agreement_id=s.agreement_id,
            version=s.agreement_version,
            signer=person.name if person is not None else s.signer_name,
            role=s.role,
            signed_at=s.signed_at,
            void=void,
            failure=failure,
            signed_for=signed_for,
            imported_from=school.name if imported(s) else None,
        )


def imported(signature: Signature | Any) -> bool:
    """Signed at another school and imported with its plan: it keeps that school's relying
    party, and has no signer here. Every other signature was made by the ceremony here, with
    a passkey registered here to its signer (`sign`)."""
    return bool(signature.rp_id) or signature.signer_id is None
