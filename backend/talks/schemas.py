"""What crosses the edge of the talks domain: talk times, bookings, the mentor's series."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated

import msgspec

from backend.web import MAX_ROW_ID, TEXT_PATTERN

PLACE_MAX = 300
MESSAGE_MAX = 500
MAX_DAYS = 31
MINUTES_DEFAULT = 20
CLOSES_HOURS_DEFAULT = 24

Message = Annotated[
    str,
    msgspec.Meta(
        max_length=MESSAGE_MAX,
        pattern=TEXT_PATTERN,
        description="The mentor's words to the family (no control characters)",
    ),
]


class TimeState(StrEnum):
    FREE = "free"
    TAKEN = "taken"  # another family's (never who)
    MINE = "mine"  # the pupil's own booking
    CLOSED = "closed"  # booking has closed (`closes_at` passed)


class SeriesForm(msgspec.Struct, kw_only=True):
    """From the HTML form: strings, checked by the service so errors show in place. `days`
    is one date per line or separated by commas or spaces (2026-12-07)."""

    days: str = ""
    start: str = "08:00"
    end: str = "16:00"
    minutes: str = str(MINUTES_DEFAULT)
    place: str = ""
    closes_hours: str = str(CLOSES_HOURS_DEFAULT)


class SeriesCreate(msgspec.Struct, kw_only=True):
    """A series of talk times, in the school's time zone: every `minutes` from `start` until
    `end` on each of `days`, in the current term of the group's school."""

    days: Annotated[list[date], msgspec.Meta(min_length=1, max_length=MAX_DAYS)]
    start: time
    end: time
    minutes: Annotated[int, msgspec.Meta(ge=5, le=240)] = MINUTES_DEFAULT
    place: Annotated[
        str,
        msgspec.Meta(
            max_length=PLACE_MAX,
            pattern=TEXT_PATTERN,
            description="A room, or a video link as text",
        ),
    ] = ""
    closes_hours: Annotated[
        int, msgspec.Meta(ge=0, le=24 * 14, description="Booking closes this long before")
    ] = CLOSES_HOURS_DEFAULT


class BookingCreate(msgspec.Struct, kw_only=True):
    pupil_id: (
        Annotated[
            int,
            msgspec.Meta(
                ge=1,
                le=MAX_ROW_ID,
                description="Whom the time is for; optional with one child in the group",
            ),
        ]
        | None
    ) = None


class MoveCreate(msgspec.Struct, kw_only=True):
    to: Annotated[
        int, msgspec.Meta(ge=1, le=MAX_ROW_ID, description="A free talk time of the same group")
    ]
    message: Message = ""


class BookingForm(msgspec.Struct, kw_only=True):
    talk_time_id: str = ""


class MentorForm(msgspec.Struct, kw_only=True):
    """The mentor's move (`to`) or cancel, each with a message to the family; `confirm` is
    "1" when a move comes from the page that asked first (issue 22, item 7)."""

    to: str = ""
    message: str = ""
    confirm: str = ""


class MovePreview(msgspec.Struct, kw_only=True):
    """What a move would do, for the page that asks first: whose booking, from which time
    to which, and the words the family gets."""

    pupil: str
    from_id: int
    from_starts_at: datetime
    to_id: int
    to_starts_at: datetime
    message: str


class BookingPublic(msgspec.Struct, kw_only=True):
    talk_time_id: int
    pupil_id: int
    starts_at: datetime
    ends_at: datetime
    place: str
    booked_at: datetime
    booked_by_id: int
    booked_by: str | None = None  # for the family and staff


class TalkTimePublic(msgspec.Struct, kw_only=True):
    id: int
    group_id: int
    starts_at: datetime
    ends_at: datetime
    closes_at: datetime
    place: str
    state: TimeState


class PupilTimesPublic(msgspec.Struct, kw_only=True):
    """A family's view: the times of the pupil's group this term, and her booking."""

    pupil_id: int
    group_id: int | None
    times: list[TalkTimePublic]
    booking: BookingPublic | None = None


class BookedBy(msgspec.Struct, kw_only=True):
    pupil_id: int
    pupil: str
    booked_by_id: int
    booked_by: str
    booked_at: datetime


class GroupTimePublic(msgspec.Struct, kw_only=True):
    """The mentor's view of one time: who booked it (pupil, who booked, when)."""

    id: int
    starts_at: datetime
    ends_at: datetime
    closes_at: datetime
    place: str
    booking: BookedBy | None = None


class GroupTimesPublic(msgspec.Struct, kw_only=True):
    group_id: int
    term_id: int | None
    times: list[GroupTimePublic]
    not_booked: list[str]  # pupils of the group without a time this term, by name
