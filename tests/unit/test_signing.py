"""The signature format by itself, with the software authenticator and no server: the
challenge binds every fact of the agreement, and the stored assertion verifies until one
byte of it, of the text or of the bundle changes."""

from __future__ import annotations

from datetime import date

import pytest
from fido2 import cbor
from fido2.cose import ES256
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from backend.agreements import signing
from backend.models import Agreement, Signature
from backend.settings import Settings
from tests.softauthn import SoftAuthenticator

SETTINGS = Settings(origin="http://localhost:8000", rp_id="localhost", secret_key="test")


def agreement(**changes: object) -> Agreement:
    facts: dict[str, object] = {
        "id": 7,
        "plan_id": 3,
        "text": "Alva läser 20 minuter varje kväll.",
        "party": "pupil",
        "due_on": date(2026, 12, 18),
        "version": 1,
        "created_by_id": 1,
    }
    return Agreement.model_validate(facts | changes)


def signed(*agreements: Agreement, pupil_id: int = 5) -> list[Signature]:
    """One touch over `agreements`, stored as the server stores it."""
    key = SoftAuthenticator()
    key.user_handle = b"handle"
    nonce = b"n" * 32
    documents = [signing.canonical(a, pupil_id=pupil_id) for a in agreements]
    bundle = signing.bundle_of(documents)
    challenge = signing.challenge_of(nonce, bundle)
    credential = key.login({"challenge": bytes_to_base64url(challenge), "rpId": "localhost"})
    response = credential["response"]
    public_key = cbor.encode(dict(ES256.from_cryptography_key(key.private_key.public_key())))
    return [
        Signature(
            agreement_id=a.id or 0,
            agreement_version=a.version,
            signer_id=5,
            role="self",
            document=document,
            nonce=nonce,
            bundle=bundle,
            credential_id=key.credential_id,
            public_key=public_key,
            authenticator_data=base64url_to_bytes(response["authenticatorData"]),
            client_data_json=base64url_to_bytes(response["clientDataJSON"]),
            signature=base64url_to_bytes(response["signature"]),
            user_handle=base64url_to_bytes(response["userHandle"]),
        )
        for a, document in zip(agreements, documents, strict=True)
    ]


def test_the_canonical_bytes_hold_every_fact_in_a_fixed_order() -> None:
    assert signing.canonical(agreement(), pupil_id=5) == (
        b'{"agreement":7,"due_on":"2026-12-18","party":"pupil","plan":3,"pupil":5,'
        b'"text":"Alva l\xc3\xa4ser 20 minuter varje kv\xc3\xa4ll.","version":1}'
    )
    changed = [
        agreement(text="Alva läser 20 minuter varje kväll!"),
        agreement(party="home"),
        agreement(due_on=date(2026, 12, 19)),
        agreement(version=2),
    ]
    base = signing.canonical(agreement(), pupil_id=5)
    assert all(signing.canonical(a, pupil_id=5) != base for a in changed)
    assert signing.canonical(agreement(), pupil_id=6) != base


def test_a_stored_signature_verifies_from_its_bytes_alone() -> None:
    (s,) = signed(agreement())
    assert (
        signing.verify(s, live=signing.canonical(agreement(), pupil_id=5), settings=SETTINGS)
        is None
    )
    assert signing.verify(s, live=None, settings=SETTINGS) is None


def test_one_touch_over_two_agreements_verifies_each() -> None:
    one, two = agreement(), agreement(id=8, text="Skolan ger stöd på tisdagar.", party="school")
    first, second = signed(one, two)
    assert signing.verify(first, live=signing.canonical(one, pupil_id=5), settings=SETTINGS) is None
    assert (
        signing.verify(second, live=signing.canonical(two, pupil_id=5), settings=SETTINGS) is None
    )
    # The first signature is no signature of the second agreement's text.
    assert signing.verify(first, live=signing.canonical(two, pupil_id=5), settings=SETTINGS)


@pytest.mark.parametrize(
    "field", ["authenticator_data", "client_data_json", "signature", "nonce", "bundle"]
)
def test_one_flipped_byte_fails(field: str) -> None:
    (s,) = signed(agreement())
    value = bytearray(getattr(s, field))
    value[len(value) // 2] ^= 1
    setattr(s, field, bytes(value))
    assert signing.verify(s, live=None, settings=SETTINGS) is not None


def test_a_changed_text_fails_even_with_its_document_changed_too() -> None:
    (s,) = signed(agreement())
    tampered = agreement(text="Alva läser 5 minuter varje kväll.")
    live = signing.canonical(tampered, pupil_id=5)
    assert "differ" in (signing.verify(s, live=live, settings=SETTINGS) or "")
    s.document = live  # the forger rewrites the stored copy as well
    assert "bundle" in (signing.verify(s, live=live, settings=SETTINGS) or "")


def test_another_origin_fails() -> None:
    (s,) = signed(agreement())
    elsewhere = Settings(origin="https://iup.example.se", rp_id="iup.example.se", secret_key="t")
    assert signing.verify(s, live=None, settings=elsewhere) is not None
