"""What crosses the edge of the groups domain: a member of staff's groups, and the group at
a glance (one row per pupil, one column per goal area)."""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class GroupPublic(msgspec.Struct, kw_only=True):
    """A group the viewer works with, and what waits for her there."""

    id: int
    name: str
    school_id: int
    school_year: int | None
    relation: str  # "mentor" or "teacher": how she is linked to the group
    subjects: list[str]  # what she teaches in it
    pupils: int
    unread: int  # reflections (rated with a comment) she has neither seen nor answered


class AreaLevelPublic(msgspec.Struct, kw_only=True):
    """The latest self-assessment in one goal area (None: not rated yet this term)."""

    area: str
    level: int | None  # 1 not yet … 4 I can do it
    rated_at: datetime | None
    rated_on: date | None  # the day at the school
    this_month: bool  # rated since the first of the month


class PupilRowPublic(msgspec.Struct, kw_only=True):
    id: int
    name: str
    areas: list[AreaLevelPublic]  # one per column of the overview, in its order
    not_rated_this_month: bool
    unread: int
    prepared: str = "not_started"  # the pupil's preparation: ready, started or not_started
    guardians: int = 0  # guardians with access
    guardians_ready: int = 0  # of them, those who marked their preparation ready
    booked_at: datetime | None = None  # the talk time booked this term
    held: bool = False  # the talk is held
    agreements: int = 0  # made at the talk
    agreements_signed: int = 0  # of them, signed by every party
    agreements_followed_up: int = 0  # of them, confirmed done or not done by the mentor


class GroupOverviewPublic(msgspec.Struct, kw_only=True):
    group: GroupPublic
    areas: list[str]  # the columns: areas of the pupils' goals in force this term, sorted
    sort: str
    rows: list[PupilRowPublic]


class RemindersPublic(msgspec.Struct, kw_only=True):
    """What the mentor's reminder did: how many people got something new today."""

    reached: int
