"""The notifications' prebuilt read: a person's digests with their items (the header's
count and the list read it on every visit), newest first, one statement."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import col

from backend.db import Query
from backend.models import Notification, NotificationItem, Person

ITEMS = Query(
    core_select(
        col(Notification.id),
        col(Notification.day),
        col(Notification.read_at),
        col(NotificationItem.kind),
        col(NotificationItem.pupil_id),
        col(NotificationItem.message),
        col(NotificationItem.at),
        col(Person.given_name),
    )
    .select_from(Notification)
    .join(NotificationItem, col(NotificationItem.notification_id) == Notification.id)
    .outerjoin(Person, col(Person.id) == NotificationItem.pupil_id)
    .where(col(Notification.person_id) == bindparam("person_id"))
    .order_by(col(Notification.day).desc(), col(NotificationItem.at).desc())
    .limit(500)
)
