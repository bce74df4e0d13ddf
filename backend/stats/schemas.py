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
    cycle: SchoolCyclePublic | None = None


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


class CycleFigures(msgspec.Struct, kw_only=True):
    """How far the pupils' plans have come in the talk cycle of one term: counts of pupils
    with a plan in the term. A count in `suppressed` is null: it is about fewer than
    `min_pupils` pupils, or would let such a count be worked out. `not_rated_this_month`
    is null for an earlier term."""

    pupils: int | None
    prepared: int | None  # the pupil marked her preparation ready
    guardians_prepared: int | None  # a guardian with access marked hers ready
    booked: int | None  # a talk time is booked
    held: int | None  # the talk is held
    required: int | None  # the term asks for a written plan in her school year (åk 1–5)
    published_required: int | None  # … and it is published
    others: int | None  # the written plan is the school's choice
    published_others: int | None  # … and it is published
    with_agreements: int | None  # her plan has agreements
    agreements_signed: int | None  # … all signed by everyone
    agreements_followed_up: int | None  # … all followed up
    not_rated_this_month: int | None
    suppressed: list[str]


class GroupCyclePublic(CycleFigures, kw_only=True):
    group_id: int
    name: str
    school_year: int | None


class YearCyclePublic(CycleFigures, kw_only=True):
    school_year: int | None


class SchoolCyclePublic(msgspec.Struct, kw_only=True):
    """The talk cycle of one term at the school: per group, per school year and in all."""

    term: str | None  # None: the school has no term yet
    current: bool  # this term (earlier terms: `terms`)
    terms: list[str]  # the school's terms, newest first
    groups: list[GroupCyclePublic]  # by school year, then name
    years: list[YearCyclePublic]
    total: CycleFigures


class SchoolFiguresPublic(CycleFigures, kw_only=True):
    school_id: int
    name: str


class OrganisationCyclePublic(msgspec.Struct, kw_only=True):
    """The organiser's view: the talk cycle per school and in all, this term (each school's
    own) or an earlier one (`terms`); counts of pupils only, never a group or a name."""

    organisation_id: int
    name: str
    term: str | None
    current: bool
    terms: list[str]  # the terms of its schools, newest first
    min_pupils: int
    schools: list[SchoolFiguresPublic]  # by name
    total: CycleFigures
