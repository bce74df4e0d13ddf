"""The read log (DESIGN: every read of a pupil's data by someone else is logged, and the
pupil and her guardians can see it). Recorded by the access dependency, so no domain can
forget it; listed once per reader, kind and day."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import bindparam, insert
from sqlalchemy import select as core_select
from sqlmodel import Session, col

from backend.db import Query
from backend.i18n import N_
from backend.models import Person, ReadLog, utcnow
from backend.names import Namer


class ReadKind(StrEnum):
    """What was read; each domain that shows a pupil's data adds its kind."""

    PLAN = "plan"
    WRITTEN = "written"  # the written plan: the summary of measures and the agreements
    NOTES = "notes"  # running notes, staff-only ones included
    REFLECTIONS = "reflections"  # self-assessments with comments, in a teacher's list
    OVERVIEW = "overview"  # a row in the group at a glance
    COMPILATION = "compilation"  # everything for the talk, in the mentor's compilation
    PREPARATION = "preparation"  # the pupil's and guardians' answers before the talk
    EXPORT = "export"  # the whole history in the open format, for another school
    GUARDIANS = "guardians"  # her guardian links, on the staff's page
    HISTORY = "history"  # the record of her terms' plans, earlier ones included
    MY_DATA = "my_data"  # everything about her, in her guardian's all my data
    THREAD = "thread"  # the messages in a goal's or the plan's thread


# What was read, in the family's words (the read log on the plan page).
KIND_WORDS = {
    ReadKind.PLAN: N_("the plan"),
    ReadKind.WRITTEN: N_("the written plan and the agreements"),
    ReadKind.NOTES: N_("the running notes"),
    ReadKind.REFLECTIONS: N_("ratings with comments"),
    ReadKind.OVERVIEW: N_("the group at a glance"),
    ReadKind.COMPILATION: N_("the compilation for the talk"),
    ReadKind.PREPARATION: N_("the answers before the talk"),
    ReadKind.EXPORT: N_("the whole plan, downloaded in the open format"),
    ReadKind.GUARDIANS: N_("who the guardians are"),
    ReadKind.HISTORY: N_("the plans of every term"),
    ReadKind.MY_DATA: N_("everything, in All my data"),
    ReadKind.THREAD: N_("the messages about the goals"),
}


class ReadPublic(msgspec.Struct, kw_only=True):
    """A read of a pupil's data, as the pupil and her guardians see it."""

    name: str
    role: str  # how the reader is linked to the pupil: mentor, teacher, guardian, principal
    kind: ReadKind
    at: datetime
    reasons: list[str] = []  # why a principal opened the plan, in her words


_RECORD = insert(ReadLog).values(
    at=bindparam("at"),
    reader_id=bindparam("reader_id"),
    pupil_id=bindparam("pupil_id"),
    kind=bindparam("kind"),
    role=bindparam("role"),
    reason=bindparam("reason"),
)
_REASON = Query(
    core_select(col(ReadLog.reason))
    .where(
        col(ReadLog.reader_id) == bindparam("reader_id"),
        col(ReadLog.pupil_id) == bindparam("pupil_id"),
        col(ReadLog.reason) != "",
        col(ReadLog.at) >= bindparam("since"),
    )
    .order_by(col(ReadLog.at).desc(), col(ReadLog.id).desc())
    .limit(1)
)
# The plan page reads the newest rows of the log, a page of it; all my data reads it all.
PAGE = 60
ALL = 500


def _reads(limit: int) -> Query:
    return Query(
        _READ_COLUMNS.where(col(ReadLog.pupil_id) == bindparam("pupil_id"))
        .order_by(col(ReadLog.at).desc())
        .limit(limit)
    )


_READ_COLUMNS = (
    core_select(
        col(ReadLog.at),
        col(ReadLog.kind),
        col(ReadLog.role),
        col(ReadLog.reader_id),
        col(ReadLog.reason),
        col(Person.given_name),
        col(Person.family_name),
        col(Person.security_marking),
    )
    .select_from(ReadLog)
    .join(Person, col(Person.id) == ReadLog.reader_id)
)
_READS = {PAGE: _reads(PAGE), ALL: _reads(ALL)}


# The log lists a read once per reader, kind and school day (reads_of), so a read this
# process has written today is not written again: a group's overview opened ten times a
# day writes its thirty rows once. A principal's reads carry her reason, and a read under a
# new reason is written again; the reason stated (`always`) is always written, as it opens
# the plan to her for an hour. Per process and per database (a few workers may each write
# one); forgotten when it grows past its bound.
_WRITTEN: dict[tuple[str, int, int, str, str], date] = {}
_WRITTEN_MAX = 100_000


def record(
    session: Session,
    *,
    reader_id: int,
    pupil_id: int,
    kind: ReadKind,
    role: str,
    zone: ZoneInfo,
    reason: str = "",
    always: bool = False,
) -> None:
    """Committed at once: the read happened whether or not the rest of the request works."""
    record_many(
        session,
        reader_id=reader_id,
        pupils={pupil_id: role},
        kind=kind,
        zone=zone,
        reason=reason,
        always=always,
    )


def record_many(
    session: Session,
    *,
    reader_id: int,
    pupils: dict[int, str],
    kind: ReadKind,
    zone: ZoneInfo,
    reason: str = "",
    always: bool = False,
) -> None:
    """One read of several pupils' data (a group's rows, a list of reflections): a row for
    each pupil not read this school day already (with this reason), with the reader's
    relation to her, in one statement; `always` writes every row."""
    at = utcnow()
    day = at.astimezone(zone).date()
    database = str(session.get_bind().engine.url)
    if not always:
        pupils = {
            pupil_id: role
            for pupil_id, role in pupils.items()
            if _WRITTEN.get((database, reader_id, pupil_id, kind, reason)) != day
        }
    if not pupils:
        return
    session.connection().execute(
        _RECORD,
        [
            {"at": at, "reader_id": reader_id, "pupil_id": pupil_id, "kind": kind, "role": role}
            | {"reason": reason}
            for pupil_id, role in pupils.items()
        ],
    )
    session.commit()
    if len(_WRITTEN) > _WRITTEN_MAX:
        _WRITTEN.clear()
    _WRITTEN.update(((database, reader_id, pupil_id, kind, reason), day) for pupil_id in pupils)


def reason_given(session: Session, *, reader_id: int, pupil_id: int, since: datetime) -> str | None:
    """The reason the reader stated last to read this pupil's data, if she has since then."""
    params = {"reader_id": reader_id, "pupil_id": pupil_id, "since": since}
    row = _REASON.first(session, params)
    return None if row is None else str(row.reason)


def has_reason(session: Session, *, reader_id: int, pupil_id: int, since: datetime) -> bool:
    """Whether the reader has stated a reason to read this pupil's data since then."""
    return reason_given(session, reader_id=reader_id, pupil_id=pupil_id, since=since) is not None


def reads_of(
    session: Session,
    *,
    pupil_id: int,
    zone: ZoneInfo,
    viewer_id: int,
    namer: Namer,
    rows: int = ALL,
) -> list[ReadPublic]:
    """Who has read the pupil's data, newest first: once per reader, kind and school day,
    from the newest `rows` rows of the log (PAGE or ALL). A guardian sees the staff's reads
    and her own, not another guardian's (households may be apart); the pupil sees them all."""
    seen: dict[tuple[str, str, date], ReadPublic] = {}
    found = _READS[rows].rows(session, {"pupil_id": pupil_id})
    for row in found:
        if row.role == "guardian" and viewer_id not in (pupil_id, row.reader_id):
            continue
        name = namer.name(
            person_id=row.reader_id,
            given=row.given_name,
            family=row.family_name,
            marking=row.security_marking,
            role=row.role,
        )
        key = (name, row.kind, row.at.astimezone(zone).date())
        earlier = seen.get(key)
        if earlier is None:
            earlier = seen[key] = ReadPublic(
                name=name, role=row.role, kind=ReadKind(row.kind), at=row.at
            )
        if row.reason and row.reason not in earlier.reasons:  # every reason given is shown
            earlier.reasons.append(row.reason)
    return list(seen.values())
