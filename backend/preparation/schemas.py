"""What crosses the edge of the preparation domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from backend.web import MAX_ROW_ID

ANSWER_MAX = 2000
# The limits are checked by the service, not the schema, so that a refused answer gets a
# 422 with a sentence for the person (as the form does), not a bare 400.
AnswerText = Annotated[
    str,
    msgspec.Meta(
        description=f"The answer in the author's words, at most {ANSWER_MAX} characters and "
        "no control characters (else 422 `invalid_answer`); empty: none",
    ),
]


class AnswerIn(msgspec.Struct, kw_only=True):
    question_id: Annotated[int, msgspec.Meta(ge=1, le=MAX_ROW_ID)]
    text: AnswerText


class PreparationUpdate(msgspec.Struct, kw_only=True):
    """A save of one's own preparation. The answers sent replace those questions' answers;
    questions not sent keep theirs."""

    version: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            le=MAX_ROW_ID,
            description="The version the save is based on (0: nothing saved yet)",
        ),
    ]
    answers: list[AnswerIn] = []
    ready: bool | None = None  # True: "ready for the talk"; None: as it was
    shared: bool | None = None  # a guardian's: the other guardians read it; None: as it was


class AnswerPublic(msgspec.Struct, kw_only=True):
    question_id: int
    question: str  # in the reader's language when it is a default question
    text: str  # "" when not answered


class PreparationPublic(msgspec.Struct, kw_only=True):
    """One person's preparation for the talk: the pupil's or a guardian's."""

    plan_id: int
    author_id: int
    author: str
    audience: str  # "pupil" or "guardian"
    shared: bool  # a guardian's: the other guardians read it
    version: int  # 0: nothing saved yet
    answers: list[AnswerPublic]
    ready_at: datetime | None = None
    updated_at: datetime | None = None
