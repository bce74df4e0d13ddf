"""A person's sign-in and what is kept about her doings: passkeys, enrolment codes,
sessions, WebAuthn challenges, abuse limits, the audit trail, the read log, and her daily
digest."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.school import utcnow


class CeremonyPurpose(StrEnum):
    REGISTER = "register"
    AUTHENTICATE = "authenticate"
    SIGN = "sign"  # an agreement signature: the challenge is a hash of the exact text


class AuditKind(StrEnum):
    SIGNED_IN = "signed_in"
    SIGNED_OUT_EVERYWHERE = "signed_out_everywhere"  # every session of hers ended
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
    expires_at: datetime  # the absolute end, IUP_SESSION_HOURS after sign-in
    # The idle end: moved on by her requests (at most once a minute), never past
    # `expires_at`; `idle_minutes` is the staff's or the family's (settings).
    idle_until: datetime
    idle_minutes: int
    # The hash of the CSRF token set at sign-in: a state change of this session is
    # accepted with that token only (auth/sessions.py, current_viewer).
    csrf_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


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


class PeriodicLease(SQLModel, table=True):
    """Who runs the periodic work until when (periodic.py): one process of many takes it,
    the others find it taken and leave the pass to her."""

    __tablename__ = "periodic_lease"
    name: str = Field(primary_key=True, max_length=40)
    until: int = 0  # seconds since the epoch
    holder: str = Field(default="", max_length=80)


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


class PushSubscription(SQLModel, table=True):
    """A browser's Web Push subscription (the Push API's PushSubscription): where the push
    service takes a message for one device of hers, and the keys it is encrypted to (RFC
    8291). It came with a passkey and a session: it ends when she signs out of that session
    or everywhere, when the passkey is removed, or when the push service says it is gone."""

    __tablename__ = "push_subscription"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    passkey_id: int | None = Field(
        default=None, foreign_key="passkeycredential.id", ondelete="CASCADE", index=True
    )
    # The session it was made or last confirmed in (sessions are swept when they end, so
    # no foreign key: the subscription outlives an idle end, not a sign-out).
    session_id: int | None = Field(default=None, index=True)
    endpoint: str = Field(sa_column=Column(String(1000), unique=True, nullable=False))
    p256dh: str = Field(max_length=200)  # the browser's public key, base64url
    auth: str = Field(max_length=100)  # the shared authentication secret, base64url
    created_at: datetime = Field(default_factory=utcnow)


class PushOff(SQLModel, table=True):
    """A kind of notification she chose not to get by push (every kind is on by default)."""

    __tablename__ = "push_off"
    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    choice: str = Field(primary_key=True, max_length=30)


class PushSent(SQLModel, table=True):
    """One push a person, kind and day (the digest's rule): queued in the transaction that
    made the notification, sent after it commits (`sent_at`), off the request."""

    __tablename__ = "push_sent"
    __table_args__ = (UniqueConstraint("person_id", "kind", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    kind: str = Field(max_length=30)
    day: date
    # Where a tap on it leads: a path on our own origin (a thread's page, /notifications),
    # never a name or a text; the first of the day's (a later one the same day is not sent).
    link: str = Field(default="/notifications", max_length=200)
    queued_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = Field(default=None, index=True)
