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
    SIGN = "sign"  # an agreement signature: the challenge is a hash of the exact text


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


class AuditKind(StrEnum):
    SIGNED_IN = "signed_in"
    PASSKEY_ADDED = "passkey_added"
    PASSKEY_REFUSED = "passkey_refused"
    PASSKEY_REMOVED = "passkey_removed"
    SIGN_COUNT_REGRESSION = "sign_count_regression"
    ENROLMENT_CODE_ISSUED = "enrolment_code_issued"
    GALLRA = "gallra"  # `iup gallra --apply`: its summary
    PLANS_IMPORTED = "plans_imported"  # another school's exchange document: from where
    GUARDIAN_OPENED = "guardian_opened"  # staff let a guardian read the plan and sign
    GUARDIAN_RESTRICTED = "guardian_restricted"  # staff took that away
    GUARDIAN_RELATIONS_CHANGED = "guardian_relations_changed"  # a principal's school setting
    RETENTION_CHANGED = "retention_changed"  # a principal's school setting


class ProposalState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class School(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    unit_code: str | None = Field(default=None, max_length=20)
    external_id: str | None = Field(default=None, max_length=64, unique=True)
    # The SS 12000 relation types (comma-separated) whose guardians may read the plan and
    # sign: the roster import gives a new link `has_access` only for these.
    guardian_relations: str = Field(
        default="Vårdnadshavare",
        max_length=200,
        sa_column_kwargs={"server_default": "Vårdnadshavare"},
    )
    # Another installation's school, known from an imported exchange document: the relying
    # party and origin its signatures were made for. Empty: ours (this installation's).
    rp_id: str = Field(default="", max_length=253, sa_column_kwargs={"server_default": ""})
    origin: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})
    # Retention (`iup gallra`): days to keep the read log and audit entries about its
    # pupils, and years to keep an archived plan of a pupil who has left the school after
    # its term ended. Empty: the installation's IUP_RETENTION_* setting (0 keeps for ever).
    retention_read_log_days: int | None = None
    retention_audit_days: int | None = None
    retention_plan_years: int | None = None


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
    # SS 12000 securityMarking: Ingen, Sekretessmarkering or Skyddad folkbokföring.
    security_marking: str = Field(
        default="Ingen", max_length=30, sa_column_kwargs={"server_default": "Ingen"}
    )
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
    # The SS 12000 relationType: Vårdnadshavare, Annan ansvarig, God man or Utsedd behörig.
    relation: str = Field(
        default="Vårdnadshavare",
        max_length=30,
        sa_column_kwargs={"server_default": "Vårdnadshavare"},
    )
    # A staff decision on `has_access` (opening a protected pupil's link, or restricting
    # one): a roster import and a change of the school's guardian relations keep it.
    decided_at: datetime | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="person.id")


class SchoolPrincipal(SQLModel, table=True):
    school_id: int = Field(foreign_key="school.id", primary_key=True)
    principal_id: int = Field(foreign_key="person.id", primary_key=True, index=True)


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


class PlanEvent(SQLModel, table=True):
    """A plan's move to another state (DESIGN: every transition is recorded, who and when)."""

    __tablename__ = "plan_event"
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    state: str = Field(max_length=20)  # a PlanState
    by_id: int | None = Field(default=None, foreign_key="person.id")
    by_name: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    at: datetime = Field(default_factory=utcnow)


class Notification(SQLModel, table=True):
    """One person's digest for one day: everything that reaches her that day is an item in
    it, so she gets at most one a day."""

    __table_args__ = (UniqueConstraint("person_id", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    day: date
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


class NotificationItem(SQLModel, table=True):
    """What happened, as a kind and its facts: the words are chosen in the reader's language
    when she reads them. `message` is a person's own words (a mentor's note on a moved
    booking)."""

    __tablename__ = "notification_item"
    __table_args__ = (UniqueConstraint("notification_id", "kind", "pupil_id"),)
    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id", index=True)
    kind: str = Field(max_length=30)
    pupil_id: int | None = Field(default=None, foreign_key="person.id")
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    message: str = Field(default="", max_length=500)
    at: datetime = Field(default_factory=utcnow)


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
    # A signing ceremony: which agreements, and the nonce and digests the challenge hashes.
    agreement_ids: str = Field(default="", max_length=400)  # comma-separated
    nonce: bytes | None = Field(default=None, sa_column=Column(LargeBinary(32), nullable=True))
    bundle: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
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


class RosterSource(SQLModel, table=True):
    """An SS 12000 API that `iup roster sync` reads (backend/roster/sync.py): a later sync
    asks it only for what changed after `synced_at` (by the API's own clock)."""

    __tablename__ = "roster_source"
    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=500, unique=True)
    synced_at: datetime


class RosterRecord(SQLModel, table=True):
    """A record of a source as the last sync read it, so that a later sync, given only what
    changed, still knows the whole roster. Only the fields backend/roster/ss12000.py decodes,
    as msgspec JSON: never an identity number, address, e-mail or phone."""

    __tablename__ = "roster_record"
    source_id: int = Field(foreign_key="roster_source.id", primary_key=True)
    entity: str = Field(max_length=16, primary_key=True)  # organisations, persons, …
    external_id: str = Field(max_length=64, primary_key=True)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
