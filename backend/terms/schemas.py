"""What crosses the edge of the terms domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from backend.models import Audience
from backend.web import MAX_ROW_ID, TEXT_PATTERN

CODE_PATTERN = r"^(HT|VT)[0-9]{4}$"
QUESTION_MAX = 500
REQUIRED_YEARS = (1, 2, 3, 4, 5)  # the written summary, by law (skollagen 10 kap. 13 §)
SCHOOL_YEARS = tuple(range(10))  # förskoleklass (0) to åk 9

Code = Annotated[
    str,
    msgspec.Meta(pattern=CODE_PATTERN, description="HT (autumn) or VT (spring) and the year"),
]
Years = Annotated[
    list[Annotated[int, msgspec.Meta(ge=0, le=9)]],
    msgspec.Meta(
        max_length=10,
        description="School years that get the written summary; 1–5 are always included",
    ),
]
QuestionText = Annotated[
    str, msgspec.Meta(min_length=1, max_length=QUESTION_MAX, pattern=TEXT_PATTERN)
]


class TermForm(msgspec.Struct, kw_only=True):
    """From the HTML form: strings, checked by the service so errors show in place. A
    single ticked box arrives as a string, several as a list."""

    code: str = ""
    starts_on: str = ""
    ends_on: str = ""
    talks_from: str = ""
    talks_until: str = ""
    summary_years: str | list[str] = ""
    version: str = ""

    def years(self) -> list[str]:
        value = self.summary_years
        return [value] if isinstance(value, str) and value else list(value or [])


class TermCreate(msgspec.Struct, kw_only=True):
    code: Code
    starts_on: date
    ends_on: date
    talks_from: date | None = None
    talks_until: date | None = None
    summary_years: Years = msgspec.field(default_factory=lambda: list(REQUIRED_YEARS))


class TermUpdate(TermCreate, kw_only=True):
    version: Annotated[
        int, msgspec.Meta(ge=1, le=MAX_ROW_ID, description="The version the edit is based on")
    ]


class TermPublic(msgspec.Struct, kw_only=True):
    id: int
    school_id: int
    code: str
    starts_on: date
    ends_on: date
    talks_from: date | None
    talks_until: date | None
    summary_years: list[int]
    opened_at: datetime | None
    version: int
    closed_at: datetime | None = None  # closed: its plans are archived, read-only


class QuestionOut(msgspec.Struct, kw_only=True):
    id: int
    text: str  # a default question in the reader's language
    default: bool  # True: one of the default questions, not yet reworded
    position: int


class QuestionSection(msgspec.Struct, kw_only=True):
    stage: int  # 1: åk 1–3, 2: åk 4–6, 3: åk 7–9
    audience: Audience
    questions: list[QuestionOut]


class QuestionsPublic(msgspec.Struct, kw_only=True):
    term_id: int
    sections: list[QuestionSection]


class QuestionItem(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: Annotated[int, msgspec.Meta(ge=1, le=MAX_ROW_ID)] | None = None  # left out: a new one
    text: QuestionText | None = None  # left out: the question keeps its words


class QuestionsUpdate(msgspec.Struct, kw_only=True):
    """One stage and audience's whole list, in order: ids left out are removed (retired
    when someone has answered them)."""

    stage: Annotated[int, msgspec.Meta(ge=1, le=3)]
    audience: Audience
    questions: Annotated[list[QuestionItem], msgspec.Meta(max_length=30)]


class QuestionForm(msgspec.Struct, kw_only=True):
    """One question's form: `action` is the button pressed (save, up, down, remove)."""

    text: str = ""
    action: str = "save"
    stage: str = ""
    audience: str = ""


class CloseForm(msgspec.Struct, kw_only=True):
    """The close button's form: `confirm` is "yes" once she has ticked that she means it."""

    confirm: str = ""


class OpenForm(msgspec.Struct, kw_only=True):
    """The open button's form: `confirm` is "1" from the page that said how many plans
    opening makes (issue 22, item 7); without it, the page asks first."""

    confirm: str = ""


class OpenedPublic(msgspec.Struct, kw_only=True):
    term_id: int
    plans_created: int
    opened_at: datetime


class ClosedPublic(msgspec.Struct, kw_only=True):
    """A closed term: when, and how many of its plans this close archived (0 when it was
    closed already)."""

    term_id: int
    closed_at: datetime
    plans_archived: int
