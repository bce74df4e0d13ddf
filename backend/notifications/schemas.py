"""What crosses the edge of notifications: a person's daily digests, each item worded in
her language when she reads it."""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class NotificationItemPublic(msgspec.Struct, kw_only=True):
    kind: str  # prepare, book, booked, booking_moved, booking_cancelled
    text: str  # in the reader's language
    link: str  # where to act
    at: datetime
    pupil_id: int | None = None
    message: str = ""  # a person's own words (a mentor's note on a moved booking)


class NotificationPublic(msgspec.Struct, kw_only=True):
    """One day's digest: at most one a person a day."""

    id: int
    day: date
    read: bool
    items: list[NotificationItemPublic]


class NotificationsPublic(msgspec.Struct, kw_only=True):
    unread: int  # items in unread digests
    notifications: list[NotificationPublic]  # newest first


class PushKeyPublic(msgspec.Struct, kw_only=True):
    """The VAPID public key for `pushManager.subscribe({applicationServerKey})`: the P-256
    point, uncompressed, base64url without padding."""

    key: str


class PushKeys(msgspec.Struct, kw_only=True):
    p256dh: str = msgspec.field(default="")  # base64url, the browser's P-256 public key
    auth: str = msgspec.field(default="")  # base64url, 16 bytes


class PushSubscriptionCreate(msgspec.Struct, kw_only=True):
    """The browser's PushSubscription as `JSON.stringify(subscription)` gives it."""

    endpoint: str
    keys: PushKeys
    expirationTime: int | float | None = None  # the browser's own name
    # Only confirm one the server has for me (moved to this session); 404 if it has none.
    confirm: bool = False


class PushSubscriptionDelete(msgspec.Struct, kw_only=True):
    endpoint: str


class PushChoicePublic(msgspec.Struct, kw_only=True):
    key: str  # reply, talk, plan, sign, prepare
    label: str  # in her language
    on: bool


class PushChoicesPublic(msgspec.Struct, kw_only=True):
    devices: int  # her browsers with push on
    choices: list[PushChoicePublic]


class PushChoicesUpdate(msgspec.Struct, kw_only=True):
    on: list[str]  # the keys of the choices that reach her by push; the others do not
