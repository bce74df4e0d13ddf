"""The tables. Every record about a pupil hangs off one pupil (DESIGN: only the pupil's own
data); no personal identity numbers, addresses, e-mails or phones are stored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class PlanState(StrEnum):
    """DESIGN, "A term, step by step": every transition is recorded."""

    DRAFT = "draft"
    PREPARING = "preparing"
    HELD = "held"
    SIGNED = "signed"
    FOLLOWED_UP = "followed_up"
    ARCHIVED = "archived"


class CeremonyPurpose(StrEnum):
    REGISTER = "register"
    AUTHENTICATE = "authenticate"


class AuditKind(StrEnum):
    SIGNED_IN = "signed_in"
    PASSKEY_ADDED = "passkey_added"
    PASSKEY_REFUSED = "passkey_refused"
    PASSKEY_REMOVED = "passkey_removed"
    SIGN_COUNT_REGRESSION = "sign_count_regression"
    ENROLMENT_CODE_ISSUED = "enrolment_code_issued"


class ProposalState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class School(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    unit_code: str | None = Field(default=None, max_length=20)
    external_id: str | None = Field(default=None, max_length=64, unique=True)


class Group(SQLModel, table=True):
    __tablename__ = "pupil_group"
    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    name: str = Field(max_length=100)
    school_year: int | None = None
    external_id: str | None = Field(default=None, max_length=64, unique=True)


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    external_id: str | None = Field(default=None, max_length=64, unique=True)
    # WebAuthn user handle: random, never derived from who the person is (WebAuthn §14.6.1).
    user_handle: bytes = Field(sa_column=Column(LargeBinary(64), unique=True, nullable=False))
    locale: str | None = Field(default=None, max_length=10)
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class GroupPupil(SQLModel, table=True):
    group_id: int = Field(foreign_key="pupil_group.id", primary_key=True)
    pupil_id: int = Field(foreign_key="person.id", primary_key=True, index=True)


class GroupTeacher(SQLModel, table=True):
    group_id: int = Field(foreign_key="pupil_group.id", primary_key=True)
    teacher_id: int = Field(foreign_key="person.id", primary_key=True, index=True)
    subject: str = Field(default="", max_length=100)


class GroupMentor(SQLModel, table=True):
    group_id: int = Field(foreign_key="pupil_group.id", primary_key=True)
    mentor_id: int = Field(foreign_key="person.id", primary_key=True, index=True)


class Guardianship(SQLModel, table=True):
    """A guardian of a pupil. `has_access` is false where the guardian must not see the
    plan (a court order, protected identity): the link is kept, the data is not shown."""

    guardian_id: int = Field(foreign_key="person.id", primary_key=True, index=True)
    pupil_id: int = Field(foreign_key="person.id", primary_key=True, index=True)
    has_access: bool = True


class SchoolPrincipal(SQLModel, table=True):
    school_id: int = Field(foreign_key="school.id", primary_key=True)
    principal_id: int = Field(foreign_key="person.id", primary_key=True, index=True)


class Term(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=10, unique=True)  # HT2026, VT2027
    starts_on: date
    ends_on: date


class Plan(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("pupil_id", "term_id"),)
    id: int | None = Field(default=None, primary_key=True)
    pupil_id: int = Field(foreign_key="person.id", index=True)
    term_id: int = Field(foreign_key="term.id")
    state: str = Field(default=PlanState.DRAFT, max_length=20)  # a PlanState
    version: int = 1


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
    author_id: int = Field(foreign_key="person.id")
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


class PasskeyCredential(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    credential_id: bytes = Field(sa_column=Column(LargeBinary(1023), unique=True, nullable=False))
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sign_count: int = 0
    transports: str = Field(default="", max_length=200)  # comma-separated
    backup_eligible: bool = False
    backed_up: bool = False
    nickname: str = Field(default="", max_length=60)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None


class EnrolmentCode(SQLModel, table=True):
    """A one-time code for a first (or replacement) passkey; only its hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    code_hash: bytes = Field(sa_column=Column(LargeBinary(32), unique=True, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    issued_by_id: int | None = Field(default=None, foreign_key="person.id")
    voided_at: datetime | None = None  # a newer link was issued


class LoginSession(SQLModel, table=True):
    __tablename__ = "login_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: bytes = Field(sa_column=Column(LargeBinary(32), unique=True, nullable=False))
    person_id: int = Field(foreign_key="person.id", index=True)
    credential_id: int | None = Field(
        default=None, foreign_key="passkeycredential.id", ondelete="CASCADE", index=True
    )
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class Challenge(SQLModel, table=True):
    """A WebAuthn challenge: server-side, single-use, expiring. Found again by its hash,
    which the browser returns inside clientDataJSON."""

    id: int | None = Field(default=None, primary_key=True)
    challenge_hash: bytes = Field(sa_column=Column(LargeBinary(32), unique=True, nullable=False))
    purpose: str = Field(max_length=20)  # a CeremonyPurpose
    person_id: int | None = Field(default=None, foreign_key="person.id")
    enrolment_code_id: int | None = Field(default=None, foreign_key="enrolmentcode.id")
    expires_at: datetime = Field(index=True)  # swept by an indexed delete


class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    pupil_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    kind: str = Field(max_length=40)  # an AuditKind
    detail: str = Field(default="", max_length=500)


class ReadLog(SQLModel, table=True):
    """A read of a pupil's data by someone else (DESIGN: who, what, when), which the pupil
    and her guardians can see."""

    __tablename__ = "read_log"
    __table_args__ = (Index("ix_read_log_pupil_id_at", "pupil_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    reader_id: int = Field(foreign_key="person.id")
    pupil_id: int = Field(foreign_key="person.id")
    kind: str = Field(max_length=20)  # a readlog.ReadKind
    role: str = Field(default="", max_length=20)  # an access.Relation: how the reader is linked
    reason: str = Field(default="", max_length=500)  # a principal's stated reason to read


class RateLimit(SQLModel, table=True):
    """A fixed-window counter of attempts, shared by every process (auth/limits.py). The
    bucket names the limit and a hash of who tried: no address is stored."""

    __tablename__ = "rate_limit"
    bucket: str = Field(primary_key=True, max_length=80)
    window_start: int = Field(index=True)  # seconds since the epoch
    count: int = 0
