"""Booking the talk (issue 8, item 5): a guardian with access books, rebooks or cancels a
time of her child's mentor group; the mentor moves or cancels a booking with a message to
the family, or removes a time nobody holds. The database keeps two families off one time
(`talk_booking.talk_time_id` is unique) and a pupil to one time a term: a booking is an
INSERT (a rebooking an UPDATE of her row), and the unique key's refusal becomes 409. The
mentor's series are in `series.py`, the calendar file in `ics.py`."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import delete, insert, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.access import FAMILY, STAFF, Access, GroupAccess, Relation, TalkTimeAccess
from backend.errors import Conflict, Forbidden, FormError, NotFound
from backend.i18n import N_
from backend.models import (
    Booking,
    Group,
    GroupMentor,
    GroupPupil,
    Guardianship,
    Person,
    TalkTime,
)
from backend.names import Namer
from backend.notifications.service import Kind, notify
from backend.plans.service import refuse_archived_term
from backend.talks import queries
from backend.talks.schemas import (
    BookingPublic,
    MovePreview,
    PupilTimesPublic,
    TalkTimePublic,
    TimeState,
)
from backend.terms.current import of_school
from backend.web import has_control_characters

FAMILY_AND_STAFF = FAMILY | STAFF  # who sees a pupil's talk times (the pupil only reads)
NO_GUARDIAN = N_("Only a guardian books a time for the talk.")
NOT_MENTOR = N_("Only the group's mentor changes its talk times.")


class Taken(Conflict):
    """Someone else holds the time (the unique key said so)."""

    default_reason = "taken"
    default_message = N_("Someone else just booked that time. Choose another time.")


class Closed(Conflict):
    default_reason = "closed"
    default_message = N_(
        "Booking has closed for this time. Contact the mentor if you need to change it."
    )


def refuse_unless_mentor(access: TalkTimeAccess | GroupAccess) -> None:
    """Only the group's mentor changes its talk times (403)."""
    relation = access.relation if isinstance(access, TalkTimeAccess) else access.group.relation
    if relation is not Relation.MENTOR:
        raise Forbidden("not_mentor", NOT_MENTOR)


def refuse_unless_guardian(relation: Relation) -> None:
    """Only a guardian books, and cancels her child's booking (403)."""
    if relation is not Relation.GUARDIAN:
        raise Forbidden("not_guardian", NO_GUARDIAN)


def now() -> datetime:
    return datetime.now(UTC)


def current_term(session: Session, *, school_id: int, today: date) -> int | None:
    found = session.connection().execute(core_select(of_school(school_id)), {"today": today})
    value = found.scalar()
    return None if value is None else int(value)


# The times as the family sees them (series.py answers with them too) ---------------------


def state_of(
    t: TalkTime, *, now: datetime, booked_by_pupil: int | None, mine: int | None = None
) -> TimeState:
    """The time as a family sees it (`mine` her child): hers, taken, closed or free."""
    if booked_by_pupil is not None and booked_by_pupil == mine:
        return TimeState.MINE
    if booked_by_pupil is not None:
        return TimeState.TAKEN
    if t.closes_at <= now:
        return TimeState.CLOSED
    return TimeState.FREE


def time_public(t: TalkTime, state: TimeState) -> TalkTimePublic:
    """The time out, in its state (also the series' answer, in series.py)."""
    assert t.id is not None
    return TalkTimePublic(
        id=t.id,
        group_id=t.group_id,
        starts_at=t.starts_at,
        ends_at=t.ends_at,
        closes_at=t.closes_at,
        place=t.place,
        state=state,
    )


# Booking ---------------------------------------------------------------------------------


def mentor_group_of(session: Session, *, pupil_id: int) -> Group | None:
    """The pupil's group that has a mentor (a pupil is in one mentor group)."""
    return session.exec(
        select(Group)
        .join(GroupPupil, col(GroupPupil.group_id) == Group.id)
        .join(GroupMentor, col(GroupMentor.group_id) == Group.id)
        .where(GroupPupil.pupil_id == pupil_id)
        .order_by(col(Group.id))
    ).first()


def booking_of(
    session: Session, *, pupil_id: int, today: date, namer: Namer
) -> BookingPublic | None:
    """The pupil's booking in the current term of her school, if any (one query: the plan
    page of the pupil and her guardians shows it); who booked it named as `namer` allows."""
    row = queries.BOOKING.first(session, {"pupil_id": pupil_id, "today": today})
    if row is None:
        return None
    by_id = row.booked_by_id
    return BookingPublic(
        talk_time_id=row.talk_time_id,
        pupil_id=pupil_id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        place=row.place,
        booked_at=row.booked_at,
        booked_by_id=by_id,
        booked_by=namer.name(
            person_id=by_id,
            given=row.given_name,
            family=row.family_name,
            marking=row.security_marking,
            role="self" if by_id == pupil_id else "guardian",
        ),
    )


def pupil_times(session: Session, *, access: Access, today: date) -> PupilTimesPublic:
    """The times of her mentor group this term: free, taken (never whose), hers, closed."""
    pupil_id = access.pupil_id
    group = mentor_group_of(session, pupil_id=pupil_id)
    if group is None or group.id is None:
        return PupilTimesPublic(pupil_id=pupil_id, group_id=None, times=[])
    term_id = current_term(session, school_id=group.school_id, today=today)
    rows = session.exec(
        select(TalkTime, Booking.pupil_id)
        .outerjoin(Booking, col(Booking.talk_time_id) == TalkTime.id)
        .where(TalkTime.group_id == group.id, TalkTime.term_id == term_id)
        .order_by(col(TalkTime.starts_at), col(TalkTime.id))
    ).all()
    at_now = now()
    return PupilTimesPublic(
        pupil_id=pupil_id,
        group_id=group.id,
        times=[
            time_public(t, state_of(t, now=at_now, booked_by_pupil=b, mine=pupil_id))
            for t, b in rows
        ],
        booking=booking_of(session, pupil_id=pupil_id, today=today, namer=access.namer),
    )


def family_of(session: Session, *, pupil_id: int) -> list[int]:
    """The pupil and her guardians with access: who is told about her booking."""
    guardians = session.exec(
        select(Guardianship.guardian_id).where(
            Guardianship.pupil_id == pupil_id, col(Guardianship.has_access).is_(True)
        )
    ).all()
    return [pupil_id, *guardians]


def _time(session: Session, talk_time_id: int) -> TalkTime:
    found = session.get(TalkTime, talk_time_id)
    if found is None:
        raise NotFound()
    return found


def _free_ids(session: Session, *, t: TalkTime) -> list[int]:
    rows = session.exec(
        select(TalkTime.id)
        .outerjoin(Booking, col(Booking.talk_time_id) == TalkTime.id)
        .where(
            TalkTime.group_id == t.group_id,
            TalkTime.term_id == t.term_id,
            col(Booking.id).is_(None),
            col(TalkTime.closes_at) > now(),
        )
        .order_by(col(TalkTime.starts_at))
    ).all()
    return [i for i in rows if i is not None]


def book(
    session: Session, *, talk_time_id: int, pupil_id: int, by_id: int, today: date
) -> BookingPublic:
    """Books the time for the pupil (a guardian's act; the policy has checked that the time
    is in the group of a child of hers). Her booking this term, if any, moves to this time.
    The unique keys decide a race: the loser gets `Taken` (409) with the free times; an
    archived plan (a closed term) is 409 `archived`."""
    t = _time(session, talk_time_id)
    refuse_archived_term(session, pupil_id=pupil_id, term_id=t.term_id)
    at_now = now()
    if t.closes_at <= at_now:
        raise Closed(current={"free": _free_ids(session, t=t)})
    mine = session.exec(
        select(Booking).where(Booking.pupil_id == pupil_id, Booking.term_id == t.term_id)
    ).first()
    if mine is not None and mine.talk_time_id == talk_time_id:
        return _booked(session, pupil_id=pupil_id, today=today)
    if mine is not None:
        before = session.get(TalkTime, mine.talk_time_id)
        if before is not None and before.closes_at <= at_now:
            raise Closed(current={"free": _free_ids(session, t=t)})
    try:
        with session.begin_nested():
            if mine is None:
                session.connection().execute(
                    insert(Booking).values(
                        talk_time_id=talk_time_id,
                        pupil_id=pupil_id,
                        term_id=t.term_id,
                        booked_by_id=by_id,
                        booked_at=at_now,
                    )
                )
            else:
                session.connection().execute(
                    update(Booking)
                    .where(col(Booking.id) == mine.id)
                    .values(talk_time_id=talk_time_id, booked_by_id=by_id, booked_at=at_now)
                )
    except IntegrityError:
        session.rollback()
        raise Taken(current={"free": _free_ids(session, t=t)}) from None
    others = [p for p in family_of(session, pupil_id=pupil_id) if p != by_id]
    notify(
        session, person_ids=others, kind=Kind.BOOKED, day=today, pupil_id=pupil_id, actor_id=by_id
    )
    session.commit()
    return _booked(session, pupil_id=pupil_id, today=today)


def _booked(session: Session, *, pupil_id: int, today: date) -> BookingPublic:
    session.expire_all()  # the row was changed with Core, under the ORM's identity map
    # For the one who just booked (herself) or her mentor: every name.
    found = booking_of(session, pupil_id=pupil_id, today=today, namer=Namer.everyone())
    assert found is not None
    return found


def cancel(session: Session, *, access: TalkTimeAccess, message: str, today: date) -> int:
    """The mentor cancels whoever holds the time (with `message` to the family), a guardian
    her child's booking; the pupil only reads (403). Returns the pupil's id."""
    if access.relation is Relation.MENTOR:
        return cancel_by_mentor(session, access=access, message=message, today=today)
    refuse_unless_guardian(access.relation)
    return cancel_own(session, access=access)


def cancel_own(session: Session, *, access: TalkTimeAccess) -> int:
    """A guardian cancels her child's booking of this time, before booking closes. Returns
    the pupil's id; 404 when none of her children holds the time, 409 `archived` in a
    closed term."""
    talk_time_id = access.talk_time_id
    t = _time(session, talk_time_id)
    booking = session.exec(
        select(Booking).where(
            Booking.talk_time_id == talk_time_id, col(Booking.pupil_id).in_(access.pupil_ids)
        )
    ).first()
    if booking is None:
        raise NotFound("no_booking", N_("There is no booking of yours on that time."))
    refuse_archived_term(session, pupil_id=booking.pupil_id, term_id=booking.term_id)
    if t.closes_at <= now():
        raise Closed(current={"free": _free_ids(session, t=t)})
    session.connection().execute(delete(Booking).where(col(Booking.id) == booking.id))
    session.commit()
    return booking.pupil_id


def _check_message(message: str) -> str:
    message = message.strip()
    if len(message) > 500:
        raise FormError({"message": N_("Write at most 500 characters.")})
    if has_control_characters(message):
        raise FormError({"message": N_("The message has a sign in it that we cannot save.")})
    return message


def cancel_by_mentor(session: Session, *, access: TalkTimeAccess, message: str, today: date) -> int:
    """The mentor cancels whoever holds the time, at any time but in a closed term (409
    `archived`); the family is told in her words. Returns the pupil's id."""
    message = _check_message(message)
    booking = session.exec(
        select(Booking).where(Booking.talk_time_id == access.talk_time_id)
    ).first()
    if booking is None:
        raise NotFound("no_booking", N_("Nobody has booked that time."))
    refuse_archived_term(session, pupil_id=booking.pupil_id, term_id=booking.term_id)
    session.connection().execute(delete(Booking).where(col(Booking.id) == booking.id))
    notify(
        session,
        person_ids=family_of(session, pupil_id=booking.pupil_id),
        kind=Kind.BOOKING_CANCELLED,
        day=today,
        pupil_id=booking.pupil_id,
        actor_id=access.viewer.person_id,
        message=message,
    )
    session.commit()
    return booking.pupil_id


def _checked_move(
    session: Session, *, access: TalkTimeAccess, to_id: int, message: str
) -> tuple[str, TalkTime, TalkTime, Booking]:
    """A move's refusals, in order: 403 for anyone but the mentor, 422 for a message or a
    time that will not do, 404 when nobody holds the time, 409 `archived`. Returns the
    message, the time held, the time asked for and the booking."""
    refuse_unless_mentor(access)
    message = _check_message(message)
    source = _time(session, access.talk_time_id)
    target = session.get(TalkTime, to_id)
    if target is None or (target.group_id, target.term_id) != (source.group_id, source.term_id):
        raise FormError({"to": N_("Choose one of the group's free times.")})
    booking = session.exec(
        select(Booking).where(Booking.talk_time_id == access.talk_time_id)
    ).first()
    if booking is None:
        raise NotFound("no_booking", N_("Nobody has booked that time."))
    refuse_archived_term(session, pupil_id=booking.pupil_id, term_id=booking.term_id)
    return message, source, target, booking


def move_preview(
    session: Session, *, access: TalkTimeAccess, to_id: int, message: str
) -> MovePreview | None:
    """What `move` would do, for the page that asks first (issue 22, item 7); it changes
    nothing. The same refusals, and 409 `taken` when someone holds the time asked for
    already. None when nothing would move (the booking's own time)."""
    message, source, target, booking = _checked_move(
        session, access=access, to_id=to_id, message=message
    )
    assert source.id is not None and target.id is not None
    if target.id == source.id:
        return None
    if session.exec(select(Booking.id).where(Booking.talk_time_id == target.id)).first():
        raise Taken(current={"free": _free_ids(session, t=source)})
    pupil = session.get(Person, booking.pupil_id)
    return MovePreview(
        pupil=pupil.name if pupil else "",
        from_id=source.id,
        from_starts_at=source.starts_at,
        to_id=target.id,
        to_starts_at=target.starts_at,
        message=message,
    )


def move(
    session: Session, *, access: TalkTimeAccess, to_id: int, message: str, today: date
) -> BookingPublic:
    """The mentor moves the booking to another free time of the group (closed or not: she
    may; 403 for anyone else); the family is told in her words. The unique key decides a
    race (409 `taken`); a closed term's booking stays (409 `archived`)."""
    talk_time_id = access.talk_time_id
    message, source, _target, booking = _checked_move(
        session, access=access, to_id=to_id, message=message
    )
    if to_id == talk_time_id:
        return _booked(session, pupil_id=booking.pupil_id, today=today)
    try:
        with session.begin_nested():
            session.connection().execute(
                update(Booking).where(col(Booking.id) == booking.id).values(talk_time_id=to_id)
            )
    except IntegrityError:
        session.rollback()
        raise Taken(current={"free": _free_ids(session, t=source)}) from None
    notify(
        session,
        person_ids=family_of(session, pupil_id=booking.pupil_id),
        kind=Kind.BOOKING_MOVED,
        day=today,
        pupil_id=booking.pupil_id,
        actor_id=access.viewer.person_id,
        message=message,
    )
    session.commit()
    return _booked(session, pupil_id=booking.pupil_id, today=today)


def remove_time(session: Session, *, access: TalkTimeAccess) -> None:
    """The mentor removes a time nobody holds (403 `booked` otherwise: move or cancel first;
    403 for anyone but the mentor)."""
    refuse_unless_mentor(access)
    talk_time_id = access.talk_time_id
    if session.exec(select(Booking.id).where(Booking.talk_time_id == talk_time_id)).first():
        raise Forbidden(
            "booked", N_("Someone has booked this time. Move or cancel the booking first.")
        )
    try:
        with session.begin_nested():
            session.connection().execute(delete(TalkTime).where(col(TalkTime.id) == talk_time_id))
    except IntegrityError:  # booked at this very moment
        session.rollback()
        raise Forbidden(
            "booked", N_("Someone has booked this time. Move or cancel the booking first.")
        ) from None
    session.commit()


def pupil_for_booking(pupil_ids: tuple[int, ...], asked: int | None) -> int:
    """Which child a guardian books for: the one she names, else her only child in the
    group. 422 when she has several and names none; 404 when she names another's child."""
    if asked is None:
        if len(pupil_ids) == 1:
            return pupil_ids[0]
        raise FormError({"pupil_id": N_("Choose which child the time is for.")})
    if asked not in pupil_ids:
        raise NotFound()
    return asked
