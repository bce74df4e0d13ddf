"""What crosses the edge of the statistics domain: the principal's school overview, in which
no figure is about fewer than MIN_PUPILS pupils, and her reason to open one pupil's plan."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from backend.web import TEXT_PATTERN

MIN_PUPILS = 5
REASON_MIN = 10
REASON_MAX = 500


class StatsPublic(msgspec.Struct, kw_only=True):
    """Figures about a group or a school year. When they would be about fewer than
    MIN_PUPILS pupils (or would let such a group be worked out), every figure is null and
    `suppressed` is true."""

    suppressed: bool
    pupils_with_plan: int | None  # pupils with a plan this term
    share_rated: float | None  # percent of them who rated a goal this term
    goals_per_pupil: float | None  # goals in force, on average
    last_activity: date | None  # the day of the latest rating, at the school


class GroupStatsPublic(StatsPublic, kw_only=True):
    group_id: int
    name: str
    school_year: int | None


class YearStatsPublic(StatsPublic, kw_only=True):
    school_year: int | None
    groups: int


class SchoolOverviewPublic(msgspec.Struct, kw_only=True):
    school_id: int
    name: str
    term: str | None
    min_pupils: int
    groups: list[GroupStatsPublic]  # by school year, then name
    years: list[YearStatsPublic]


class PupilName(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str


class GroupPupilNames(msgspec.Struct, frozen=True, kw_only=True):
    """A group and its pupils' names: how the principal finds the one plan she must open."""

    id: int
    name: str
    pupils: list[PupilName]


class ReasonForm(msgspec.Struct, kw_only=True):
    reason: str = ""


Reason = Annotated[
    str,
    msgspec.Meta(
        min_length=REASON_MIN,
        max_length=REASON_MAX,
        pattern=TEXT_PATTERN,
        description="Why she opens the plan; the pupil and the guardians see it",
    ),
]


class ReadReasonCreate(msgspec.Struct, kw_only=True):
    reason: Reason


class ReadReasonPublic(msgspec.Struct, kw_only=True):
    pupil_id: int
    reason: str
    at: datetime
    valid_until: datetime  # the plan opens to her until then
