"""What crosses the edge of the plans domain."""

from __future__ import annotations

from datetime import datetime

import msgspec

LEVELS = (1, 2, 3, 4)


class SelfAssessmentForm(msgspec.Struct, kw_only=True):
    """From the HTML form: strings, checked by the service so errors can be shown in place."""

    level: str = ""
    comment: str = ""


class SelfAssessmentCreate(msgspec.Struct, kw_only=True):
    level: int
    comment: str = ""


class SelfAssessmentPublic(msgspec.Struct, kw_only=True):
    id: int
    level: int
    comment: str
    created_at: datetime


class GoalPublic(msgspec.Struct, kw_only=True):
    id: int
    area: str
    text: str
    self_assessments: list[SelfAssessmentPublic]


class PlanPublic(msgspec.Struct, kw_only=True):
    id: int
    pupil_id: int
    term: str
    state: str
    goals: list[GoalPublic]
