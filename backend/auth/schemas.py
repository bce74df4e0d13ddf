"""What crosses the edge of the auth domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class CredentialJSON(msgspec.Struct, kw_only=True):
    """A PublicKeyCredential as the browser's toJSON() gives it (WebAuthn L3 §5.1)."""

    id: str
    rawId: str
    type: str
    response: dict[str, Any]
    authenticatorAttachment: str | None = None
    clientExtensionResults: dict[str, Any] = msgspec.field(default_factory=dict)


class Redirect(msgspec.Struct):
    redirect: str


class SignedIn(msgspec.Struct, kw_only=True):
    """Where to go after a sign-in, and the CSRF token the new session accepts."""

    redirect: str
    csrf: str


class SessionsEnded(msgspec.Struct, kw_only=True):
    """Sign out everywhere: how many sessions ended, this one included."""

    ended: int


class PasskeyPublic(msgspec.Struct, kw_only=True):
    id: int
    nickname: str
    created_at: datetime
    last_used_at: datetime | None
    backed_up: bool


class RenameForm(msgspec.Struct, kw_only=True):
    nickname: str = ""


class RemoveForm(msgspec.Struct, kw_only=True):
    confirm: str = ""


class LanguageForm(msgspec.Struct, kw_only=True):
    lang: str = ""
    next: str = "/"


class ReadPublic(msgspec.Struct, kw_only=True):
    """A read of a pupil's plan by staff, as the pupil and her guardians see it."""

    name: str
    at: datetime
