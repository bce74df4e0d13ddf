"""The mentor's talk times: a series offered in the school's time zone (stored in UTC) in
the current term of the group's school, and the group's times with who booked each."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from backend.errors import FormError, NotFound
from backend.i18n import N_
from backend.models import Booking, Group, GroupPupil, Person, TalkTime
from backend.talks.schemas import (
    MAX_DAYS,
    PLACE_MAX,
    BookedBy,
    GroupTimePublic,
    GroupTimesPublic,
    SeriesForm,
    TalkTimePublic,
)
from backend.talks.service import current_term, now, state_of, time_public
from backend.web import form_int, has_control_characters

MAX_TIMES = 400  # in one series: 31 days of 20 minutes 08:00–16:00 is 744; a school makes fewer


def _group_school(session: Session, *, group_id: int) -> int:
    group = session.get(Group, group_id)
    if group is None:
        raise NotFound()
    return group.school_id


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def parse_series(form: SeriesForm) -> dict[str, Any]:
    """The form's strings as the series' values, or FormError field by field."""
    errors: dict[str, str] = {}
    words = [w for w in re.split(r"[\s,;]+", form.days.strip()) if w]
    days: list[date] = []
    for word in words:
        try:
            days.append(date.fromisoformat(word) if _DAY.fullmatch(word) else date.min)
        except ValueError:
            days.append(date.min)
    if not days:
        errors["days"] = N_("Choose at least one day.")
    elif date.min in days:
        errors["days"] = N_("Write each day as a date, like 2026-12-07.")
    elif len(set(days)) > MAX_DAYS:
        errors["days"] = N_("Choose at most 31 days in one series.")
    clocks: list[time] = []
    for field, value in (("start", form.start), ("end", form.end)):
        match = _CLOCK.fullmatch(value.strip())
        if match is None:
            errors[field] = N_("Write the time like 08:00.")
        else:
            clocks.append(time(int(match.group(1)), int(match.group(2))))
    minutes = form_int(form.minutes)
    if not 5 <= minutes <= 240:
        errors["minutes"] = N_("Write a length between 5 and 240 minutes.")
    hours = form_int(form.closes_hours, default=-1)
    if not 0 <= hours <= 24 * 14:
        errors["closes_hours"] = N_("Write a number of hours between 0 and 336.")
    if errors:
        raise FormError(errors)
    return {
        "days": sorted(set(days)),
        "start": clocks[0],
        "end": clocks[1],
        "minutes": minutes,
        "place": form.place,
        "closes_hours": hours,
    }


def _checked_term(
    session: Session,
    *,
    group_id: int,
    days: list[date],
    start: time,
    end: time,
    place: str,
    today: date,
) -> int:
    """The term the series goes in (the current one of the group's school), once the
    series' own rules hold; FormError field by field otherwise."""
    errors: dict[str, str] = {}
    if len(place) > PLACE_MAX:
        errors["place"] = N_("Write at most 300 characters for the place.")
    elif has_control_characters(place):
        errors["place"] = N_("The place has a sign in it that we cannot save. Write it again.")
    if end <= start:
        errors["end"] = N_("The last time must end after the first begins.")
    if any(day < today for day in days):
        errors["days"] = N_("Choose days from today on.")
    term_id = current_term(
        session, school_id=_group_school(session, group_id=group_id), today=today
    )
    if term_id is None and "days" not in errors:
        errors["days"] = N_("The school has no term yet. Ask the principal to add one.")
    if errors:
        raise FormError(errors)
    assert term_id is not None
    return term_id


def _starts(
    days: list[date], *, start: time, end: time, step: timedelta, zone: ZoneInfo
) -> list[datetime]:
    """Each time's start in UTC, walked in the school's zone (a day of a clock change
    keeps its wall-clock times); FormError when none fits or there are too many."""
    starts: list[datetime] = []
    for day in sorted(set(days)):
        at = datetime.combine(day, start, tzinfo=zone)
        last = datetime.combine(day, end, tzinfo=zone)
        while at + step <= last:
            starts.append(at.astimezone(UTC))
            at = (at.astimezone(UTC) + step).astimezone(zone)
    if not starts:
        raise FormError({"end": N_("No time of that length fits between the start and the end.")})
    if len(starts) > MAX_TIMES:
        raise FormError({"days": N_("That is more than 400 times. Choose fewer days.")})
    return starts


def create_series(
    session: Session,
    *,
    group_id: int,
    mentor_id: int,
    days: list[date],
    start: time,
    end: time,
    minutes: int,
    place: str,
    closes_hours: int,
    zone: ZoneInfo,
    today: date,
) -> list[TalkTimePublic]:
    """Adds a time every `minutes` from `start` until `end` (the last one ends by `end`) on
    each day, in the school's zone; a time the group already has at that start is kept as
    it is. FormError when nothing fits, the place is not text, or there is no term."""
    place = place.strip()
    term_id = _checked_term(
        session, group_id=group_id, days=days, start=start, end=end, place=place, today=today
    )
    step = timedelta(minutes=minutes)
    starts = _starts(days, start=start, end=end, step=step, zone=zone)
    existing = set(
        session.exec(
            select(TalkTime.starts_at).where(
                TalkTime.group_id == group_id, col(TalkTime.starts_at).in_(starts)
            )
        )
    )
    made = [
        TalkTime(
            group_id=group_id,
            term_id=term_id,
            mentor_id=mentor_id,
            starts_at=at,
            ends_at=at + step,
            closes_at=at - timedelta(hours=closes_hours),
            place=place,
        )
        for at in starts
        if at not in existing
    ]
    session.add_all(made)
    session.commit()
    at_now = now()
    return [time_public(t, state_of(t, now=at_now, booked_by_pupil=None)) for t in made]


def group_times(session: Session, *, group_id: int, today: date) -> GroupTimesPublic:
    """The mentor's view: every time of the group this term by start, with who booked it,
    and the pupils who have no time yet (three queries)."""
    term_id = current_term(
        session, school_id=_group_school(session, group_id=group_id), today=today
    )
    times: list[GroupTimePublic] = []
    booked: set[int] = set()
    if term_id is not None:
        rows = session.exec(
            select(TalkTime, Booking)
            .outerjoin(Booking, col(Booking.talk_time_id) == TalkTime.id)
            .where(TalkTime.group_id == group_id, TalkTime.term_id == term_id)
            .order_by(col(TalkTime.starts_at), col(TalkTime.id))
        ).all()
        ids = {b.pupil_id for _t, b in rows if b} | {b.booked_by_id for _t, b in rows if b}
        names = {p.id: p.name for p in session.exec(select(Person).where(col(Person.id).in_(ids)))}
        for t, b in rows:
            assert t.id is not None
            by = None
            if b is not None:
                booked.add(b.pupil_id)
                by = BookedBy(
                    pupil_id=b.pupil_id,
                    pupil=names.get(b.pupil_id, ""),
                    booked_by_id=b.booked_by_id,
                    booked_by=names.get(b.booked_by_id, ""),
                    booked_at=b.booked_at,
                )
            times.append(
                GroupTimePublic(
                    id=t.id,
                    starts_at=t.starts_at,
                    ends_at=t.ends_at,
                    closes_at=t.closes_at,
                    place=t.place,
                    booking=by,
                )
            )
    members = session.exec(
        select(Person)
        .join(GroupPupil, col(GroupPupil.pupil_id) == Person.id)
        .where(GroupPupil.group_id == group_id)
        .order_by(col(Person.given_name), col(Person.family_name))
    ).all()
    return GroupTimesPublic(
        group_id=group_id,
        term_id=term_id,
        times=times,
        not_booked=[p.name for p in members if p.id not in booked],
    )
