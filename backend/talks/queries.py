"""The talks' prebuilt read: the pupil's booking this term (her school's), which every
plan page of hers and her guardians' shows, in one statement."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import col

from backend.db import Query
from backend.models import Booking, Person, TalkTime
from backend.terms.current import of_school, school_of_pupil

_P: Any = bindparam("pupil_id")
BOOKING = Query(
    core_select(
        col(Booking.talk_time_id),
        col(TalkTime.starts_at),
        col(TalkTime.ends_at),
        col(TalkTime.place),
        col(Booking.booked_at),
        col(Booking.booked_by_id),
        col(Person.given_name),
        col(Person.family_name),
        col(Person.security_marking),
    )
    .join(TalkTime, col(TalkTime.id) == Booking.talk_time_id)
    .join(Person, col(Person.id) == Booking.booked_by_id)
    .where(col(Booking.pupil_id) == _P, col(Booking.term_id) == of_school(school_of_pupil(_P)))
)
