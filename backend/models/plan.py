"""A pupil's plan and everything that hangs off it: its story, the written summary,
agreements and their signatures, goals, proposals, self-assessments, replies, and the
running notes about the pupil."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.school import utcnow


class PlanState(StrEnum):
    """DESIGN, "A term, step by step": every transition is recorded."""

    DRAFT = "draft"
    PREPARING = "preparing"
    HELD = "held"
    SIGNED = "signed"
    FOLLOWED_UP = "followed_up"
    ARCHIVED = "archived"


class Party(StrEnum):
    """Who carries out an agreement."""

    PUPIL = "pupil"
    SCHOOL = "school"
    HOME = "home"


class AgreementState(StrEnum):
    """DESIGN: an agreement is open → signed → done | not_done."""

    OPEN = "open"
    SIGNED = "signed"
    DONE = "done"
    NOT_DONE = "not_done"


class ProposalState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Plan(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("pupil_id", "term_id"),)
    id: int | None = Field(default=None, primary_key=True)
    pupil_id: int = Field(foreign_key="person.id", index=True)
    term_id: int = Field(foreign_key="term.id")
    state: str = Field(default=PlanState.DRAFT, max_length=20)  # a PlanState
    version: int = 1
    # Imported from another school's exchange document (docs/exchange.md): read-only history
    # (`state` archived), with the state it had at the sending school.
    imported_at: datetime | None = None
    imported_state: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})


class PlanEvent(SQLModel, table=True):
    """A plan's move to another state (DESIGN: every transition is recorded, who and when)."""

    __tablename__ = "plan_event"
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    state: str = Field(max_length=20)  # a PlanState
    by_id: int | None = Field(default=None, foreign_key="person.id")
    by_name: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    at: datetime = Field(default_factory=utcnow)


class Summary(SQLModel, table=True):
    """The written plan after the talk: that it was held, by whom, the summary of measures
    (what school, pupil and home will do) and next term's goals. The family sees it once
    the mentor has published it."""

    __tablename__ = "plan_summary"
    plan_id: int = Field(foreign_key="plan.id", primary_key=True)
    held_on: date | None = None
    participants: str = Field(default="", max_length=500)
    measures_school: str = Field(default="", max_length=4000)
    measures_pupil: str = Field(default="", max_length=4000)
    measures_home: str = Field(default="", max_length=4000)
    next_goals: str = Field(default="", max_length=4000)
    updated_at: datetime | None = None
    updated_by_id: int | None = Field(default=None, foreign_key="person.id")
    published_at: datetime | None = None
    published_by_id: int | None = Field(default=None, foreign_key="person.id")
    version: int = 1


class Agreement(SQLModel, table=True):
    """Who does what by when, made at the talk. Each change raises `version` and voids the
    signatures over the older text; the pupil's and the mentor's follow-up ride along."""

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    text: str = Field(max_length=1000)
    party: str = Field(max_length=10)  # a Party
    due_on: date
    state: str = Field(default=AgreementState.OPEN, max_length=10)  # an AgreementState
    created_by_id: int | None = Field(default=None, foreign_key="person.id")  # empty: imported
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime | None = None
    progress_at: datetime | None = None  # the pupil marked her part done
    progress_comment: str = Field(default="", max_length=500)
    followed_up_at: datetime | None = None  # the mentor's confirmation: state done|not_done
    followed_up_by_id: int | None = Field(default=None, foreign_key="person.id")
    follow_up_comment: str = Field(default="", max_length=500)
    version: int = 1


class Signature(SQLModel, table=True):
    """A passkey assertion over one agreement's exact text, kept whole so that anyone can
    verify it later from the database alone: the challenge was
    SHA-256(tag ‖ nonce ‖ bundle), where `bundle` is the SHA-256 of each signed agreement's
    canonical bytes (one, or all signed at once) and `document` is this one's. The public
    key is copied, so removing the passkey later does not unmake the signature."""

    __tablename__ = "agreement_signature"
    __table_args__ = (UniqueConstraint("agreement_id", "signer_id", "agreement_version"),)
    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    agreement_version: int
    # None: imported from another school, where the signer is known by `signer_name` only.
    signer_id: int | None = Field(default=None, foreign_key="person.id")
    signer_name: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    role: str = Field(max_length=20)  # an access.Relation: self, guardian or mentor
    document: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    nonce: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    bundle: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    credential_id: bytes = Field(sa_column=Column(LargeBinary(1023), nullable=False))
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    authenticator_data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    client_data_json: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    signature: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    user_handle: bytes = Field(sa_column=Column(LargeBinary(64), nullable=False))
    signed_at: datetime = Field(default_factory=utcnow)
    voided_at: datetime | None = None  # the agreement changed after it was signed
    # The relying party and origin it was made for; empty: this installation's settings
    # (an imported signature keeps the sending school's).
    rp_id: str = Field(default="", max_length=253, sa_column_kwargs={"server_default": ""})
    origin: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})


class Goal(SQLModel, table=True):
    """Written by the mentor, or by a teacher in her subject. A goal with ratings is
    retired, never deleted (its history stays); each edit raises `version`."""

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    area: str = Field(max_length=100)  # a subject, or a social area
    text: str = Field(max_length=1000)
    how: str = Field(default="", max_length=1000)  # "how I will get there"
    position: int = 0
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="person.id")
    updated_at: datetime | None = None
    retired_at: datetime | None = None
    version: int = 1
    carried_from_id: int | None = Field(default=None, foreign_key="goal.id")  # last term's


class GoalProposal(SQLModel, table=True):
    """A goal the pupil proposes herself; the mentor accepts it (as is or edited: `goal_id`)
    or declines it with a short reason, and the pupil sees which."""

    __tablename__ = "goal_proposal"
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    area: str = Field(max_length=100)
    text: str = Field(max_length=1000)
    how: str = Field(default="", max_length=1000)
    state: str = Field(default=ProposalState.PENDING, max_length=20)  # a ProposalState
    created_at: datetime = Field(default_factory=utcnow)
    decided_by_id: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = None
    reason: str = Field(default="", max_length=500)  # why it was declined
    goal_id: int | None = Field(default=None, foreign_key="goal.id")


class SelfAssessment(SQLModel, table=True):
    """Every rating is kept, so progress shows over time. A save sent again (a retry after
    a time-out) carries the same idempotency key and is stored once."""

    __table_args__ = (
        UniqueConstraint(
            "goal_id", "idempotency_key", name="uq_selfassessment_goal_id_idempotency_key"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", index=True)
    level: int  # 1..4, shown as words
    comment: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    idempotency_key: str | None = Field(default=None, max_length=64)


class Reply(SQLModel, table=True):
    """A teacher's short answer to a self-assessment, shown to the pupil and her guardians
    under the rating."""

    __tablename__ = "reflection_reply"
    id: int | None = Field(default=None, primary_key=True)
    self_assessment_id: int = Field(foreign_key="selfassessment.id", index=True)
    # Empty for an imported reply (docs/exchange.md): its author is a name only.
    author_id: int | None = Field(default=None, foreign_key="person.id")
    author_name: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    text: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class Seen(SQLModel, table=True):
    """A member of staff has seen a self-assessment: it is no longer new in her list."""

    __tablename__ = "reflection_seen"
    self_assessment_id: int = Field(foreign_key="selfassessment.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)
    at: datetime = Field(default_factory=utcnow)


class Note(SQLModel, table=True):
    """A running note about a pupil (löpande anteckning). Staff-only unless `shared`, when
    the pupil and her guardians read it on the plan. Only the author edits or deletes it."""

    __table_args__ = (Index("ix_note_pupil_id_created_at", "pupil_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    pupil_id: int = Field(foreign_key="person.id")
    author_id: int = Field(foreign_key="person.id", index=True)
    subject: str = Field(default="", max_length=100)
    text: str = Field(max_length=2000)
    shared: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime | None = None
    version: int = 1


class HeldUpload(SQLModel, table=True):
    """An exchange document uploaded for a pupil and not yet imported: the upload page shows
    whose history it holds and asks before storing (docs/exchange.md, "Import"). Held for
    the one who uploaded it, for that pupil, for an hour; swept by an indexed delete at the
    next upload, and taken away by the import."""

    __tablename__ = "held_upload"
    token: str = Field(primary_key=True, max_length=64)  # random, in the confirming form
    pupil_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    by_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    document: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    expires_at: datetime = Field(index=True)


class Message(SQLModel, table=True):
    """A message in a thread (tråd): one thread a goal (`goal_id`) and one for the plan as a
    whole (`goal_id` empty), written by the pupil, her guardians with access, her mentor or
    the goal's teacher. `role` is the writer's relation to the pupil when she wrote it; the
    writer may change the text for a few minutes (`edited_at`). A teacher's reply to a
    rating stays a `Reply` under the rating and is carried into the goal's thread as a
    message that names it (`reply_id`), so the pupil sees it unread and answers there."""

    __tablename__ = "thread_message"
    __table_args__ = (Index("ix_thread_message_plan_id_goal_id", "plan_id", "goal_id"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id")
    goal_id: int | None = Field(default=None, foreign_key="goal.id")
    reply_id: int | None = Field(default=None, foreign_key="reflection_reply.id")
    author_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=20)  # an access.Relation: self, guardian, mentor, teacher
    text: str = Field(max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    edited_at: datetime | None = None


class MessageRead(SQLModel, table=True):
    """A person has read a message (her own are read when written): what is unread for
    her is a message of a thread she takes part in without her row here."""

    __tablename__ = "thread_read"
    message_id: int = Field(foreign_key="thread_message.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)
    at: datetime = Field(default_factory=utcnow)
