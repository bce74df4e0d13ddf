"""What crosses the edge of the plans domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from backend.web import TEXT_PATTERN

COMMENT_MAX = 1000
Comment = Annotated[
    str,
    msgspec.Meta(
        max_length=COMMENT_MAX,
        pattern=TEXT_PATTERN,
        description="What is going well, what is hard (no control characters)",
    ),
]


class SelfAssessmentForm(msgspec.Struct, kw_only=True):
    """From the HTML form: strings, checked by the service so errors can be shown in place."""

    level: str = ""
    comment: str = ""
    key: str = ""  # idempotency key, new with each rendered form: a resent form is stored once


class SelfAssessmentCreate(msgspec.Struct, kw_only=True):
    level: Annotated[int, msgspec.Meta(ge=1, le=4, description="1 not yet … 4 I can do it")]
    comment: Comment = ""


class ReplyPublic(msgspec.Struct, kw_only=True):
    """A teacher's answer to a self-assessment, shown under it."""

    id: int
    author: str
    text: str
    created_at: datetime


class SelfAssessmentPublic(msgspec.Struct, kw_only=True):
    id: int
    level: int
    comment: str
    created_at: datetime
    replies: list[ReplyPublic] = []


class GoalPublic(msgspec.Struct, kw_only=True):
    id: int
    area: str
    text: str
    self_assessments: list[SelfAssessmentPublic]  # oldest first; in the JSON the newest 50
    # All her ratings of the goal; the JSON's older ones: GET /api/goals/{id}/ratings.
    ratings_total: int = 0
    how: str = ""  # "how I will get there"
    version: int = 1  # sent back with an edit; a stale one is refused (409)
    retired_at: datetime | None = None


class PlanPublic(msgspec.Struct, kw_only=True):
    id: int
    pupil_id: int
    term: str
    state: str
    goals: list[GoalPublic]  # the goals in force, in order
    retired: list[GoalPublic] = []  # retired goals, with their history


class EventPublic(msgspec.Struct, kw_only=True):
    """A step in the plan's story: the state it moved to, who and when."""

    state: str
    by: str
    at: datetime
