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
