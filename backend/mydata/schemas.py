"""What "all my data" hands over. Never a secret: no user handle, no public key or
credential bytes, no session token or its hash, no staff-only note."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from backend.agreements.schemas import PlanRecord
from backend.notifications.schemas import NotificationPublic
from backend.readlog import ReadPublic
from backend.threads.schemas import MessagePublic

FORMAT = "iup-my-data/1"


class PersonData(msgspec.Struct, kw_only=True):
    given_name: str
    family_name: str
    locale: str | None  # the language she chose; None: her browser's
    created_at: datetime


class PasskeyData(msgspec.Struct, kw_only=True):
    nickname: str
    created_at: datetime
    last_used_at: datetime | None
    transports: list[str]  # how the device talks to the browser: internal, hybrid, usb…
    backed_up: bool  # synced by the device's maker (iCloud, Google…)


class SessionData(msgspec.Struct, kw_only=True):
    """A sign-in: when it began and when it ends."""

    created_at: datetime
    expires_at: datetime


class SignatureData(msgspec.Struct, kw_only=True):
    """An agreement she signed with her passkey."""

    agreement_id: int
    agreement_version: int
    pupil: str
    role: str  # self, guardian or mentor
    signed_at: datetime
    voided_at: datetime | None  # the agreement changed after she signed


class EventData(msgspec.Struct, kw_only=True):
    """A security event about her account: a sign-in, a passkey added or removed."""

    kind: str
    at: datetime


class SharedNoteData(msgspec.Struct, kw_only=True):
    """A running note the school shared with the pupil and her guardians."""

    author: str
    subject: str
    text: str
    created_at: datetime
    updated_at: datetime | None = None


class ChildData(msgspec.Struct, kw_only=True):
    """A pupil whose plan she reads: herself, or her child."""

    pupil_id: int
    name: str
    relation: str  # "self" or "guardian"
    plans: list[PlanRecord]  # every term, newest first
    notes: list[SharedNoteData]  # newest first
    messages: list[MessagePublic]  # the threads about her goals and plans, oldest first
    reads: list[ReadPublic]  # who has read the pupil's data, newest first


class MyData(msgspec.Struct, kw_only=True):
    format: str
    generated_at: datetime
    today: date
    person: PersonData
    passkeys: list[PasskeyData]
    sessions: list[SessionData]
    events: list[EventData]
    notifications: list[NotificationPublic]
    signatures: list[SignatureData]
    children: list[ChildData]
