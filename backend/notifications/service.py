"""Notifying people. Everything that reaches one person on one day goes into that day's
digest (one `Notification` row per person and day, the database holds it to one), as an
item of a kind with its facts; the reader's language words it when she reads it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.errors import Invalid
from backend.i18n import N_, gettext
from backend.models import Notification, NotificationItem, utcnow
from backend.notifications import push, queries
from backend.notifications.schemas import (
    NotificationItemPublic,
    NotificationPublic,
    NotificationsPublic,
    PushChoicePublic,
    PushChoicesPublic,
)


class Kind(StrEnum):
    PREPARE = "prepare"  # the mentor's reminder: prepare for the talk
    BOOK = "book"  # the mentor's reminder: book a time
    BOOKED = "booked"  # a time was booked for the pupil
    BOOKING_MOVED = "booking_moved"  # the mentor moved the booking (message: her words)
    BOOKING_CANCELLED = "booking_cancelled"  # the mentor cancelled it (message: her words)
    PLAN_PUBLISHED = "plan_published"  # the written plan is out: read it, sign the agreements
    AGREEMENT_CHANGED = "agreement_changed"  # a signed agreement changed: sign it again
    MESSAGE = "message"  # a new message in a goal's or the plan's thread (backend/threads/)
    AGREEMENT_TO_SIGN = "agreement_to_sign"  # a new agreement in a published plan: sign it
    REPLY = "reply"  # a teacher answered the pupil's comment on how it is going


class Choice(NamedTuple):
    """What a person may let reach her by push, or not: the kinds of one sort of news."""

    key: str
    label: str
    kinds: tuple[Kind, ...]


# Her choice of what reaches her outside the app (her account page, /api/push/choices):
# every kind is in one of these, and a new kind goes into the list where it belongs.
CHOICES: tuple[Choice, ...] = (
    Choice("reply", N_("A reply to you"), (Kind.REPLY, Kind.MESSAGE)),
    Choice(
        "talk",
        N_("Your talk: a time to book, a booked, moved or cancelled time"),
        (Kind.BOOK, Kind.BOOKED, Kind.BOOKING_MOVED, Kind.BOOKING_CANCELLED),
    ),
    Choice("plan", N_("A written plan that is published"), (Kind.PLAN_PUBLISHED,)),
    Choice(
        "sign",
        N_("An agreement waiting for your signature"),
        (Kind.AGREEMENT_TO_SIGN, Kind.AGREEMENT_CHANGED),
    ),
    Choice("prepare", N_("A reminder to prepare for the talk"), (Kind.PREPARE,)),
)
_CHOICE_OF = {kind: choice.key for choice in CHOICES for kind in choice.kinds}


def choice_of(kind: Kind) -> str:
    """The choice a kind belongs to (a kind not listed yet: its own, always on)."""
    return _CHOICE_OF.get(kind, kind.value)


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
    push_link: str = push.LINK,
) -> int:
    """Adds the item to each person's digest of `day` (the school's date), once per kind and
    pupil a day; an unread digest stays unread, a read one becomes unread again. Flushed,
    not committed. Returns how many people got something new. `push_link`: the path a tap
    on the push opens (a thread's page; her notifications otherwise), never with a name or a
    text in it (push.queue)."""
    reached: list[int] = []
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
        reached.append(person_id)
    session.flush()
    push.queue(
        session,
        person_ids=reached,
        kind=kind.value,
        choice=choice_of(kind),
        day=day,
        link=push_link,
    )
    return len(reached)


# The words of each kind, for a guardian (or anyone) about a pupil, and for the pupil
# herself; chosen in the reader's language when she reads them.
_ABOUT = {
    Kind.PREPARE: N_("Time to prepare for the development talk about %(name)s"),
    Kind.BOOK: N_("Book a time for the talk about %(name)s"),
    Kind.BOOKED: N_("A time is booked for the talk about %(name)s"),
    Kind.BOOKING_MOVED: N_("The talk about %(name)s has been moved: %(message)s"),
    Kind.BOOKING_CANCELLED: N_("The time for the talk about %(name)s was cancelled: %(message)s"),
    Kind.PLAN_PUBLISHED: N_("The written plan for %(name)s is ready: read it and sign"),
    Kind.AGREEMENT_CHANGED: N_("An agreement about %(name)s was changed: sign it again"),
    Kind.MESSAGE: N_("A new message about the goals of %(name)s"),
    Kind.AGREEMENT_TO_SIGN: N_("A new agreement about %(name)s waits for your signature"),
    Kind.REPLY: N_("A teacher answered %(name)s's comment"),
}
_OWN = {
    Kind.PREPARE: N_("Time to prepare for your development talk"),
    Kind.BOOK: N_("Your family can book a time for your talk"),
    Kind.BOOKED: N_("A time is booked for your talk"),
    Kind.BOOKING_MOVED: N_("Your talk has been moved: %(message)s"),
    Kind.BOOKING_CANCELLED: N_("The time for your talk was cancelled: %(message)s"),
    Kind.PLAN_PUBLISHED: N_("Your written plan is ready: read it and sign"),
    Kind.AGREEMENT_CHANGED: N_("An agreement in your plan was changed: sign it again"),
    Kind.MESSAGE: N_("You have a new answer about your goals"),
    Kind.AGREEMENT_TO_SIGN: N_("A new agreement in your plan waits for your signature"),
    Kind.REPLY: N_("A teacher answered your comment on how it is going"),
}
# Where to act: the pupil's own preparation, a guardian's, the talk times.
_OWN_LINK = {
    Kind.PREPARE: "/preparation",
    Kind.PLAN_PUBLISHED: "/#agreements",
    Kind.AGREEMENT_CHANGED: "/#agreements",
    Kind.MESSAGE: "/",  # her goals, where the goal with a new answer is marked
    Kind.AGREEMENT_TO_SIGN: "/#agreements",
    Kind.REPLY: "/",
}
_ABOUT_LINK = {
    Kind.PREPARE: "/pupils/{pupil_id}/preparation",
    Kind.PLAN_PUBLISHED: "/pupils/{pupil_id}#agreements",
    Kind.AGREEMENT_CHANGED: "/pupils/{pupil_id}#agreements",
    Kind.MESSAGE: "/pupils/{pupil_id}",
    Kind.AGREEMENT_TO_SIGN: "/pupils/{pupil_id}#agreements",
    Kind.REPLY: "/pupils/{pupil_id}",
}
_TALK_TIMES = "/pupils/{pupil_id}/talk-times"


def wording(*, kind: str, reader_id: int, pupil_id: int | None, name: str, message: str) -> str:
    """An item in the reader's language: about her own talk, or about the pupil named."""
    own = pupil_id == reader_id or pupil_id is None
    words = (_OWN if own else _ABOUT).get(Kind(kind)) if kind in Kind else None
    if words is None:
        return kind
    return gettext(words) % {"name": name, "message": message}


def link(*, kind: str, reader_id: int, pupil_id: int | None) -> str:
    if pupil_id is None:
        return "/"
    own = pupil_id == reader_id
    target = (_OWN_LINK if own else _ABOUT_LINK).get(Kind(kind), _TALK_TIMES)
    return target.format(pupil_id=pupil_id)


def notifications_of(session: Session, *, person_id: int) -> NotificationsPublic:
    """Her digests, newest first, each item worded in her language now (one query)."""
    digests: dict[int, NotificationPublic] = {}
    unread = 0
    for row in queries.ITEMS.rows(session, {"person_id": person_id}):
        digest = digests.get(row.id)
        if digest is None:
            digest = digests[row.id] = NotificationPublic(
                id=row.id, day=row.day, read=row.read_at is not None, items=[]
            )
        if row.read_at is None:
            unread += 1
        kind, pupil_id, message = row.kind, row.pupil_id, row.message
        digest.items.append(
            NotificationItemPublic(
                kind=kind,
                text=wording(
                    kind=kind,
                    reader_id=person_id,
                    pupil_id=pupil_id,
                    name=row.given_name or "",
                    message=message,
                ),
                link=link(kind=kind, reader_id=person_id, pupil_id=pupil_id),
                at=row.at,
                pupil_id=pupil_id,
                message=message,
            )
        )
    return NotificationsPublic(unread=unread, notifications=list(digests.values()))


def mark_read(session: Session, *, person_id: int) -> int:
    """Every unread digest of hers is read now; returns how many."""
    result = session.connection().execute(
        update(Notification)
        .where(col(Notification.person_id) == person_id, col(Notification.read_at).is_(None))
        .values(read_at=utcnow())
    )
    session.commit()
    return int(result.rowcount)


# Push: her choice ---------------------------------------------------------------------------


def push_choices_of(session: Session, *, person_id: int) -> PushChoicesPublic:
    """Which sorts of news reach her by push (all, until she turns some off), and on how
    many of her browsers push is on."""
    off = push.turned_off(session, person_id=person_id)
    return PushChoicesPublic(
        devices=push.devices(session, person_id=person_id),
        choices=[
            PushChoicePublic(key=c.key, label=gettext(c.label), on=c.key not in off)
            for c in CHOICES
        ],
    )


def choose_push(session: Session, *, person_id: int, on: Iterable[str]) -> PushChoicesPublic:
    """Her choice: the sorts named in `on` reach her by push, the others only in the app."""
    wanted = set(on)
    unknown = wanted - {c.key for c in CHOICES}
    if unknown:
        raise Invalid("on", N_("Choose among the kinds of news listed."))
    push.choose(session, person_id=person_id, off=[c.key for c in CHOICES if c.key not in wanted])
    return push_choices_of(session, person_id=person_id)
