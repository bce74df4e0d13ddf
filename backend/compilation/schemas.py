"""What crosses the edge of the compilation: everything the mentor needs for one pupil's
talk, and the talk draft she writes from it (staff only until the talk)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from backend.notes.schemas import NotePublic
from backend.plans.schemas import PlanPublic
from backend.web import MAX_ROW_ID, TEXT_PATTERN

DRAFT_MAX = 10000


class AnswerPublic(msgspec.Struct, kw_only=True):
    question_id: int
    question: str  # in the reader's language when it is a default question
    text: str  # "" when not answered


class PreparationPublic(msgspec.Struct, kw_only=True):
    """The pupil's or one guardian's preparation, as staff see it (all of them)."""

    author_id: int
    author: str
    audience: str  # "pupil" or "guardian"
    state: str  # "ready", "started" or "not_started"
    shared: bool  # a guardian's: the other guardian may read it too
    answers: list[AnswerPublic]
    answered: int
    ready_at: datetime | None = None
    updated_at: datetime | None = None


class BookingPublic(msgspec.Struct, kw_only=True):
    talk_time_id: int
    starts_at: datetime
    ends_at: datetime
    place: str
    booked_by: str


class LastGoalPublic(msgspec.Struct, kw_only=True):
    """A goal of last term's plan with its last rating (None: never rated)."""

    id: int
    area: str
    text: str
    level: int | None
    rated_at: datetime | None


class LastAgreementPublic(msgspec.Struct, kw_only=True):
    """An agreement of last term and how it went: open, signed, done or not done."""

    text: str
    party: str
    state: str
    follow_up_comment: str = ""


class LastTermPublic(msgspec.Struct, kw_only=True):
    term: str
    state: str
    goals: list[LastGoalPublic]
    plan_id: int = 0
    agreements: list[LastAgreementPublic] = []


class TalkDraftPublic(msgspec.Struct, kw_only=True):
    text: str
    version: int  # 0: nothing written yet; send it back with the next save
    updated_at: datetime | None = None
    updated_by: str | None = None


class CompilationPublic(msgspec.Struct, kw_only=True):
    """One pupil's talk at a glance, for her mentor and teachers."""

    pupil_id: int
    pupil: str
    plan: PlanPublic | None  # this term's goals with every self-assessment
    notes: list[NotePublic]  # this term's, from all teachers, staff-only ones included
    preparations: list[PreparationPublic]  # the pupil's first, then each guardian with access
    booking: BookingPublic | None
    last_term: LastTermPublic | None
    draft: TalkDraftPublic
    held: bool  # "Samtalet är hållet"


class TalkDraftUpdate(msgspec.Struct, kw_only=True):
    version: Annotated[
        int,
        msgspec.Meta(
            ge=0, le=MAX_ROW_ID, description="The draft's version the text is based on (0: new)"
        ),
    ]
    text: Annotated[str, msgspec.Meta(max_length=DRAFT_MAX, pattern=TEXT_PATTERN)]


class TalkDraftForm(msgspec.Struct, kw_only=True):
    """From the HTML form: strings, checked by the service."""

    text: str = ""
    version: str = ""


class TalkHeldPublic(msgspec.Struct, kw_only=True):
    held: bool
    changed: bool  # False: it was already marked held
