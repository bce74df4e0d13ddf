"""What crosses the edge after the talk: the written plan (the talk record and the summary
of measures), agreements with who has signed them, follow-up, and earlier terms."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from backend.plans.schemas import EventPublic
from backend.web import MAX_ROW_ID, TEXT_PATTERN

MEASURES_MAX = 4000
AGREEMENT_MAX = 1000
COMMENT_MAX = 500

Measures = Annotated[str, msgspec.Meta(max_length=MEASURES_MAX, pattern=TEXT_PATTERN)]
PartyName = Literal["pupil", "school", "home"]


class SummaryPublic(msgspec.Struct, kw_only=True):
    """The written plan of one term. `required`: the term's settings ask for a written
    summary in the pupil's school year (åk 1–5 by law)."""

    plan_id: int
    term: str
    state: str  # the plan's state
    held_on: date | None
    participants: str
    measures_school: str
    measures_pupil: str
    measures_home: str
    next_goals: str
    required: bool
    version: int  # 0: not written yet
    published_at: datetime | None = None


class SummaryUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The mentor's talk record and summary, based on `version` (0: the first save)."""

    version: Annotated[int, msgspec.Meta(ge=0, le=MAX_ROW_ID)]
    held_on: date | None = None
    participants: Annotated[str, msgspec.Meta(max_length=500, pattern=TEXT_PATTERN)] = ""
    measures_school: Measures = ""
    measures_pupil: Measures = ""
    measures_home: Measures = ""
    next_goals: Measures = ""


class SummaryForm(msgspec.Struct, kw_only=True):
    """From the HTML form: strings, checked by the service."""

    version: str = "0"
    held_on: str = ""
    participants: str = ""
    measures_school: str = ""
    measures_pupil: str = ""
    measures_home: str = ""
    next_goals: str = ""
    publish: str = ""  # the "save and publish" button


class SignerPublic(msgspec.Struct, kw_only=True):
    """One party who signs: the pupil, a guardian with access, or the mentor."""

    role: str  # "self", "guardian" or "mentor"
    name: str
    given_name: str  # how the page names her: "signerat av Anna"
    signed_at: datetime | None = None
    verified: bool | None = None  # the stored signature re-verified (None: not signed)
    # Signed at another school and imported with its plan (docs/exchange.md, "Trust"): that
    # school's name. None: made here, with a passkey registered here.
    imported_from: str | None = None


class AgreementPublic(msgspec.Struct, kw_only=True):
    id: int
    plan_id: int
    text: str
    party: str  # who does it: "pupil", "school" or "home"
    due_on: date
    state: str  # open, signed, done, not_done
    version: int
    signers: list[SignerPublic]
    progress_at: datetime | None = None  # the pupil marked her part done
    progress_comment: str = ""
    followed_up_at: datetime | None = None
    follow_up_comment: str = ""


class AgreementCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=AGREEMENT_MAX, pattern=TEXT_PATTERN)]
    party: PartyName
    due_on: date


class AgreementUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A change to an agreement based on `version`. A signed agreement's signatures are
    voided by it, and the signers are asked again."""

    version: Annotated[int, msgspec.Meta(ge=0, le=MAX_ROW_ID)]
    text: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=AGREEMENT_MAX, pattern=TEXT_PATTERN)]
        | None
    ) = None
    party: PartyName | None = None
    due_on: date | None = None


class AgreementForm(msgspec.Struct, kw_only=True):
    text: str = ""
    party: str = ""
    due_on: str = ""
    version: str = "0"


class SignedPublic(msgspec.Struct, kw_only=True):
    signed: list[int]  # agreement ids
    redirect: str  # where the page goes next


class ProgressCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The pupil's own "done", with an optional comment."""

    comment: Annotated[str, msgspec.Meta(max_length=COMMENT_MAX, pattern=TEXT_PATTERN)] = ""


class FollowUpCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The mentor's confirmation: done or not done, with a comment."""

    done: bool
    comment: Annotated[str, msgspec.Meta(max_length=COMMENT_MAX, pattern=TEXT_PATTERN)] = ""


class CommentForm(msgspec.Struct, kw_only=True):
    comment: str = ""
    done: str = ""  # the mentor's "1" (done) or "0" (not done)


class PlanEntry(msgspec.Struct, kw_only=True):
    """One term in the pupil's history."""

    plan_id: int
    term: str
    starts_on: date
    ends_on: date
    state: str
    agreements: int
    school: str  # whose term it was
    imported_at: datetime | None  # brought from another school (docs/exchange.md)


class RatingPublic(msgspec.Struct, kw_only=True):
    level: int
    comment: str
    created_at: datetime


class GoalRecord(msgspec.Struct, kw_only=True):
    id: int
    area: str
    text: str
    how: str
    retired: bool
    ratings: list[RatingPublic]  # the newest 50, oldest first
    # All of them; the older ones a page at a time: GET /api/goals/{id}/ratings.
    ratings_total: int = 0


class AnswerRecord(msgspec.Struct, kw_only=True):
    question: str
    text: str


class PreparationRecord(msgspec.Struct, kw_only=True):
    author: str
    audience: str  # "pupil" or "guardian"
    answers: list[AnswerRecord]


class PlanRecord(msgspec.Struct, kw_only=True):
    """One term's whole plan, as the written IUP holds it: for the history and the print."""

    plan_id: int
    pupil: str
    school: str
    group: str
    term: str
    starts_on: date
    ends_on: date
    state: str
    events: list[EventPublic]
    goals: list[GoalRecord]
    preparations: list[PreparationRecord]
    summary: SummaryPublic | None
    agreements: list[AgreementPublic]
