"""Notifying people. Everything that reaches one person on one day goes into that day's
digest (one `Notification` row per person and day, the database holds it to one), as an
item of a kind with its facts; the reader's language words it when she reads it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backend.models import Notification, NotificationItem


class Kind(StrEnum):
    PREPARE = "prepare"  # the mentor's reminder: prepare for the talk
    BOOK = "book"  # the mentor's reminder: book a time
    BOOKED = "booked"  # a time was booked for the pupil
    BOOKING_MOVED = "booking_moved"  # the mentor moved the booking (message: her words)
    BOOKING_CANCELLED = "booking_cancelled"  # the mentor cancelled it (message: her words)


def _digest(session: Session, *, person_id: int, day: date) -> int:
    found = session.exec(
        select(Notification.id).where(Notification.person_id == person_id, Notification.day == day)
    ).first()
    if found is not None:
        return found
    digest = Notification(person_id=person_id, day=day)
    try:
        with session.begin_nested():
            session.add(digest)
    except IntegrityError:  # made at the same moment by another request
        return _digest(session, person_id=person_id, day=day)
    assert digest.id is not None
    return digest.id


def notify(
    session: Session,
    *,
    person_ids: Iterable[int],
    kind: Kind,
    day: date,
    pupil_id: int | None = None,
    actor_id: int | None = None,
    message: str = "",
) -> int:
    """Adds the item to each person's digest of `day` (the school's date), once per kind and
    pupil a day; an unread digest stays unread, a read one becomes unread again. Flushed,
    not committed. Returns how many people got something new."""
    reached = 0
    for person_id in dict.fromkeys(person_ids):
        digest_id = _digest(session, person_id=person_id, day=day)
        known = session.exec(
            select(NotificationItem.id).where(
                NotificationItem.notification_id == digest_id,
                NotificationItem.kind == kind.value,
                NotificationItem.pupil_id == pupil_id,
            )
        ).first()
        if known is not None and not message:
            continue
        if known is not None:  # the same kind again the same day: the newest words
            item = session.get(NotificationItem, known)
            assert item is not None
            item.message, item.actor_id = message, actor_id
        else:
            session.add(
                NotificationItem(
                    notification_id=digest_id,
                    kind=kind.value,
                    pupil_id=pupil_id,
                    actor_id=actor_id,
                    message=message,
                )
            )
        digest = session.get(Notification, digest_id)
        assert digest is not None
        digest.read_at = None
        reached += 1
    session.flush()
    return reached
