"""A school's term and the talk in it: the preparation questions and answers, the talk
times, bookings and the mentor's draft."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.school import utcnow


class Term(SQLModel, table=True):
    """A school's term, set by its principal: the talk window and which school years get the
    written summary (åk 1–5 by law, more by choice). `opened_at`: each pupil's plan for it
    has been created."""

    __table_args__ = (UniqueConstraint("school_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    code: str = Field(max_length=10)  # HT2026, VT2027
    starts_on: date
    ends_on: date
    talks_from: date | None = None
    talks_until: date | None = None
    summary_years: str = Field(default="1,2,3,4,5", max_length=40)  # comma-separated
    opened_at: datetime | None = None
    opened_by_id: int | None = Field(default=None, foreign_key="person.id")
    closed_at: datetime | None = None  # its plans are archived: read-only history
    closed_by_id: int | None = Field(default=None, foreign_key="person.id")  # None: by the date
    version: int = 1


class Audience(StrEnum):
    """Who answers a preparation question."""

    PUPIL = "pupil"
    GUARDIAN = "guardian"


class Question(SQLModel, table=True):
    """A preparation question of a term, for one stage (1: åk 1–3, 2: åk 4–6, 3: åk 7–9) and
    one audience. A default question has a `key` and no `text`: it is shown in the reader's
    language. Retired, never deleted, once someone has answered it."""

    __tablename__ = "preparation_question"
    __table_args__ = (Index("ix_preparation_question_term", "term_id", "stage", "audience"),)
    id: int | None = Field(default=None, primary_key=True)
    term_id: int = Field(foreign_key="term.id")
    stage: int
    audience: str = Field(max_length=20)  # an Audience
    position: int = 0
    key: str = Field(default="", max_length=40)
    text: str = Field(default="", max_length=500)
    retired_at: datetime | None = None


class Preparation(SQLModel, table=True):
    """One person's preparation for the talk: the pupil's, or each guardian's on her own. A
    guardian's answers are read by staff and herself, by the other guardian only when
    `shared`. Each save raises `version`; a save from a stale version is refused."""

    __table_args__ = (UniqueConstraint("plan_id", "author_id"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    # Empty for an imported preparation (docs/exchange.md): its author is a name only.
    author_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    author_name: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    audience: str = Field(max_length=20)  # an Audience
    shared: bool = False
    ready_at: datetime | None = None  # "Klar inför samtalet"
    updated_at: datetime | None = None
    version: int = 1


class Answer(SQLModel, table=True):
    __tablename__ = "preparation_answer"
    preparation_id: int = Field(foreign_key="preparation.id", primary_key=True)
    question_id: int = Field(foreign_key="preparation_question.id", primary_key=True)
    text: str = Field(default="", max_length=2000)


class TalkTime(SQLModel, table=True):
    """A time the mentor offers for the talk. Booking closes at `closes_at`."""

    __tablename__ = "talk_time"
    __table_args__ = (Index("ix_talk_time_group_starts", "group_id", "starts_at"),)
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="pupil_group.id")
    term_id: int = Field(foreign_key="term.id", index=True)
    mentor_id: int = Field(foreign_key="person.id")
    starts_at: datetime
    ends_at: datetime
    closes_at: datetime
    place: str = Field(default="", max_length=300)  # a room, or a video link as text


class Booking(SQLModel, table=True):
    """A family holds a talk time. The database, not the code, keeps two families off one
    time (`talk_time_id` is unique) and a pupil to one time a term."""

    __tablename__ = "talk_booking"
    __table_args__ = (UniqueConstraint("pupil_id", "term_id"),)
    id: int | None = Field(default=None, primary_key=True)
    talk_time_id: int = Field(foreign_key="talk_time.id", unique=True)
    pupil_id: int = Field(foreign_key="person.id", index=True)
    term_id: int = Field(foreign_key="term.id")
    booked_by_id: int = Field(foreign_key="person.id")
    booked_at: datetime = Field(default_factory=utcnow)


class TalkDraft(SQLModel, table=True):
    """The mentor's draft for the talk, from the compilation: staff only until the talk."""

    __tablename__ = "talk_draft"
    plan_id: int = Field(foreign_key="plan.id", primary_key=True)
    text: str = Field(default="", max_length=10000)
    updated_by_id: int | None = Field(default=None, foreign_key="person.id")
    updated_at: datetime | None = None
    version: int = 1
