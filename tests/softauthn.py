"""A software passkey authenticator for tests: one ES256 credential, attestation "none".

It takes py_webauthn's `options_to_json` output and returns what a browser's
`credential.toJSON()` gives, so the result goes straight into `verify_*_response` or a
request body. Built from fido2's data classes; no database, no hand-written CBOR.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.utils import websafe_decode
from fido2.webauthn import (
    Aaguid,
    AttestationObject,
    AttestedCredentialData,
    AuthenticationResponse,
    AuthenticatorAssertionResponse,
    AuthenticatorAttachment,
    AuthenticatorAttestationResponse,
    AuthenticatorData,
    CollectedClientData,
    RegistrationResponse,
)

FLAG = AuthenticatorData.FLAG


def _options(options_json: str | dict[str, Any]) -> dict[str, Any]:
    return json.loads(options_json) if isinstance(options_json, str) else options_json


def _as_json(response: RegistrationResponse | AuthenticationResponse) -> dict[str, Any]:
    """Plain JSON types only, exactly as a browser would post them."""
    result: dict[str, Any] = json.loads(json.dumps(dict(response)))
    return result


class SoftAuthenticator:
    """One discoverable ES256 (alg -7) credential, as a platform authenticator holds it."""

    def __init__(
        self,
        origin: str = "http://localhost:8000",
        rp_id: str = "localhost",
        transports: tuple[str, ...] = ("internal", "hybrid"),
    ) -> None:
        self.origin = origin
        self.rp_id = rp_id
        self.transports = list(transports)
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.user_handle: bytes | None = None
        self.sign_count = 0

    def _flags(self, user_verified: bool) -> AuthenticatorData.FLAG:
        return FLAG.UP | FLAG.UV if user_verified else FLAG.UP

    @property
    def rp_id_hash(self) -> bytes:
        """The credential is scoped to `rp_id`, whatever RP the options name."""
        return hashlib.sha256(self.rp_id.encode()).digest()

    def register(
        self,
        options_json: str | dict[str, Any],
        *,
        origin: str | None = None,
        user_verified: bool = True,
    ) -> dict[str, Any]:
        """The registration credential JSON for `navigator.credentials.create(options)`."""
        options = _options(options_json)
        client_data = CollectedClientData.create(
            type=CollectedClientData.TYPE.CREATE,
            challenge=options["challenge"],
            origin=origin or self.origin,
        )
        credential_data = AttestedCredentialData.create(
            Aaguid.NONE,
            self.credential_id,
            ES256.from_cryptography_key(self.private_key.public_key()),
        )
        auth_data = AuthenticatorData.create(
            self.rp_id_hash, self._flags(user_verified) | FLAG.AT, self.sign_count, credential_data
        )
        selection = options.get("authenticatorSelection", {})
        if selection.get("residentKey") in ("required", "preferred") or selection.get(
            "requireResidentKey"
        ):
            self.user_handle = websafe_decode(options["user"]["id"])
        response = RegistrationResponse(
            raw_id=self.credential_id,
            response=AuthenticatorAttestationResponse(
                client_data=client_data,
                attestation_object=AttestationObject.create("none", auth_data, {}),
            ),
            authenticator_attachment=AuthenticatorAttachment.PLATFORM,
        )
        result = _as_json(response)
        result["response"]["transports"] = list(self.transports)
        return result

    def login(
        self,
        options_json: str | dict[str, Any],
        *,
        origin: str | None = None,
        user_verified: bool = True,
        sign_count: int | None = None,
        user_handle: bytes | None = None,
    ) -> dict[str, Any]:
        """The authentication credential JSON for `navigator.credentials.get(options)`.
        The counter goes up by one per call unless `sign_count` forces a value."""
        options = _options(options_json)
        self.sign_count = self.sign_count + 1 if sign_count is None else sign_count
        client_data = CollectedClientData.create(
            type=CollectedClientData.TYPE.GET,
            challenge=options["challenge"],
            origin=origin or self.origin,
        )
        auth_data = AuthenticatorData.create(
            self.rp_id_hash, self._flags(user_verified), self.sign_count
        )
        signature = self.private_key.sign(auth_data + client_data.hash, ec.ECDSA(hashes.SHA256()))
        response = AuthenticationResponse(
            raw_id=self.credential_id,
            response=AuthenticatorAssertionResponse(
                client_data=client_data,
                authenticator_data=auth_data,
                signature=signature,
                user_handle=self.user_handle if user_handle is None else user_handle,
            ),
            authenticator_attachment=AuthenticatorAttachment.PLATFORM,
        )
        return _as_json(response)
