"""What crosses the edge of the goals domain: goals as staff write them, and the pupil's own
proposals with the mentor's answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from backend.web import MAX_ROW_ID, TEXT_PATTERN

AREA_MAX = 100
TEXT_MAX = 1000
HOW_MAX = 1000
REASON_MAX = 500

Area = Annotated[
    str,
    msgspec.Meta(
        max_length=AREA_MAX,
        pattern=TEXT_PATTERN,
        description="A subject (Matematik) or a social area (Socialt, Studieteknik)",
    ),
]
GoalText = Annotated[
    str,
    msgspec.Meta(
        max_length=TEXT_MAX,
        pattern=TEXT_PATTERN,
        description="The goal, in a sentence the pupil understands (required: 422 when blank)",
    ),
]
How = Annotated[
    str,
    msgspec.Meta(max_length=HOW_MAX, pattern=TEXT_PATTERN, description="How I will get there"),
]
Reason = Annotated[
    str,
    msgspec.Meta(
        max_length=REASON_MAX, pattern=TEXT_PATTERN, description="Why it was declined, shortly"
    ),
]
Version = Annotated[
    int,
    msgspec.Meta(ge=1, le=MAX_ROW_ID, description="The version the change is based on; stale: 409"),
]


class GoalForm(msgspec.Struct, kw_only=True):
    """From the HTML form: strings, checked by the service so errors show in place."""

    area: str = ""
    text: str = ""
    how: str = ""
    version: str = ""  # the version the form was opened with (edit only)


class MoveForm(msgspec.Struct, kw_only=True):
    direction: str = ""  # up | down


class ConfirmForm(msgspec.Struct, kw_only=True):
    confirm: str = ""  # "yes" from the confirmation page


class DecisionForm(msgspec.Struct, kw_only=True):
    """The mentor's answer from a page: accept (the fields as she left them) or decline."""

    decision: str = ""  # accept | decline
    area: str = ""
    text: str = ""
    how: str = ""
    reason: str = ""
    edited: str = ""  # "1" when the fields come from the edit form


class GoalCreate(msgspec.Struct, kw_only=True):
    area: Area
    text: GoalText
    how: How = ""


class GoalUpdate(msgspec.Struct, kw_only=True):
    """Any of the fields; those left out stay as they are."""

    version: Version
    area: Area | None = None
    text: GoalText | None = None
    how: How | None = None
    position: Annotated[int, msgspec.Meta(ge=0, le=10_000)] | None = None


class GoalSavedPublic(msgspec.Struct, kw_only=True):
    """A goal as written by staff: what a change is sent back with."""

    id: int
    area: str
    text: str
    how: str
    version: int
    position: int
    retired_at: datetime | None = None


class ProposalCreate(GoalCreate, kw_only=True):
    pass  # the same fields as a goal staff write (a docstring would change the API schema)


class DecisionCreate(msgspec.Struct, kw_only=True):
    """Accept (as proposed, or with any of area/text/how changed) or decline with a reason."""

    accept: bool
    reason: Reason = ""
    area: Area | None = None
    text: GoalText | None = None
    how: How | None = None


class ProposalPublic(msgspec.Struct, kw_only=True):
    id: int
    area: str
    text: str
    how: str
    state: Literal["pending", "accepted", "declined"]
    created_at: datetime
    reason: str = ""  # the mentor's, when declined
    goal_id: int | None = None  # the goal it became, when accepted
    decided_at: datetime | None = None


class CarryOverPublic(msgspec.Struct, kw_only=True):
    """A goal of the pupil's previous plan, not reached, offered to her current plan."""

    id: int
    term: str
    area: str
    text: str
    how: str
    level: int | None  # her latest self-assessment there; None: never rated
    writable: bool  # the viewer may carry it over (the mentor any, a teacher her subjects)
