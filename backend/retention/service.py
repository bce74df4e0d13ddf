"""Retention (gallring): what is past its period goes, in one transaction: every hour in
the app (backend/periodic.py), and by hand with `iup gallra`.

Each school may set its own periods (School.retention_*, on the principal's settings
page); where it has none, the installation's IUP_RETENTION_* settings apply. 0 keeps for
ever.

- The read log and the audit entries about a pupil follow her school's period in days. A
  pupil of two schools keeps an entry until the longer period has passed. Entries about a
  pupil in no group here, and audit entries about no pupil (sign-ins, passkeys), follow the
  installation's period.
- An archived plan of a pupil who has left (she is in no group here any more) goes when
  its term ended longer ago than its school's period in years, with everything that hangs
  off it: goals, self-assessments, replies, proposals, preparations, the talk draft and
  booking, the summary, agreements and their signatures, the plan's story; and with it her
  running notes written up to the end of that term. An imported plan follows the
  installation's period, like its school."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, and_, delete, false, or_, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, func, select

from backend.models import (
    Agreement,
    Answer,
    AuditEvent,
    AuditKind,
    Booking,
    Goal,
    GoalProposal,
    Group,
    GroupPupil,
    Message,
    MessageRead,
    Note,
    Plan,
    PlanEvent,
    PlanState,
    Preparation,
    ReadLog,
    Reply,
    School,
    Seen,
    SelfAssessment,
    Signature,
    Summary,
    TalkDraft,
    Term,
)
from backend.settings import Settings

CHUNK = 500  # ids in one IN list


class Removal(msgspec.Struct, kw_only=True, frozen=True):
    """One line of the summary: what went (or would go), under which period."""

    what: str  # "read log entries", "audit entries", "archived plans"
    schools: list[str]  # whose period it is; empty: the installation's
    period: str  # "365 days", "2 years", or "" when kept for ever
    before: date | None
    count: int

    def line(self, *, apply: bool) -> str:
        where = f" ({', '.join(self.schools)})" if self.schools else ""
        if not self.period:
            return f"{self.what}{where}: kept for ever (no period set)"
        verb = "removed" if apply else "would remove"
        return f"{self.what}{where}: {verb} {self.count} older than {self.period} ({self.before})"


def sweep(session: Session, *, settings: Settings, now: datetime, apply: bool) -> list[Removal]:
    """Counts, and with `apply` removes, everything past its period; the caller commits."""
    schools = list(session.exec(select(School).order_by(col(School.id))).all())
    names = {int(s.id or 0): s.name for s in schools}
    lines = []
    for what, table, period, default in (
        ("read log entries", ReadLog, "retention_read_log_days", settings.retention_read_log_days),
        ("audit entries", AuditEvent, "retention_audit_days", settings.retention_audit_days),
    ):
        lines += _entries(
            session,
            what=what,
            table=table,
            days={int(s.id or 0): getattr(s, period) for s in schools},
            names=names,
            default=default,
            now=now,
            apply=apply,
        )
    return [
        *lines,
        *_plans(session, schools=schools, settings=settings, today=now.date(), apply=apply),
    ]


def remove_due(session: Session, *, settings: Settings, now: datetime) -> list[Removal]:
    """The retention pass (backend/periodic.py, hourly): removes what is past its period and
    commits, with an audit entry when anything went; returns what went."""
    removed = [r for r in sweep(session, settings=settings, now=now, apply=True) if r.count]
    if removed:
        detail = "; ".join(r.line(apply=True) for r in removed)
        session.add(AuditEvent(kind=AuditKind.GALLRA, detail=detail[:500]))
    session.commit()
    return removed


def _members(school_ids: Iterable[int]) -> Any:
    """The pupils in a group of these schools (a subquery)."""
    return (
        core_select(col(GroupPupil.pupil_id))
        .join(Group, col(Group.id) == GroupPupil.group_id)
        .where(col(Group.school_id).in_(list(school_ids)))
    )


def _by_period(own: dict[int, int | None], default: int) -> tuple[dict[int, list[int]], list[int]]:
    """Schools (ids) by their period in force; and those that keep for ever."""
    periods: dict[int, list[int]] = defaultdict(list)
    for school, value in own.items():
        periods[default if value is None else value].append(school)
    return periods, periods.pop(0, [])


def _entries(
    session: Session,
    *,
    what: str,
    table: type[ReadLog] | type[AuditEvent],
    days: dict[int, int | None],
    names: dict[int, str],
    default: int,
    now: datetime,
    apply: bool,
) -> list[Removal]:
    periods, forever = _by_period(days, default)
    at, pupil = col(table.at), col(table.pupil_id)
    everyone = list(days)
    lines = []
    for period in sorted({*periods, default} - {0}):
        at_this = periods.get(period, [])
        longer = forever + [s for p, ss in periods.items() if p > period for s in ss]
        theirs: ColumnElement[bool] = false()
        if at_this:
            theirs = pupil.in_(_members(at_this))
            if longer:
                theirs = and_(theirs, pupil.not_in(_members(longer)))
        if period == default:  # and whoever is in no school's group
            theirs = or_(theirs, pupil.is_(None), pupil.not_in(_members(everyone)))
        before = now - timedelta(days=period)
        old = and_(at < before, theirs)
        count = int(session.exec(select(func.count()).select_from(table).where(old)).one())
        if apply and count:
            session.execute(delete(table).where(old))
        lines.append(
            Removal(
                what=what,
                schools=[] if period == default else [names[s] for s in at_this],
                period=f"{period} days",
                before=before.date(),
                count=count,
            )
        )
    if forever or default == 0:
        lines.append(
            Removal(
                what=what,
                schools=[names[s] for s in forever] if default != 0 else [],
                period="",
                before=None,
                count=0,
            )
        )
    return lines


def _years_before(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _plans(
    session: Session, *, schools: list[School], settings: Settings, today: date, apply: bool
) -> list[Removal]:
    default = settings.retention_plan_years
    names = {int(s.id or 0): s.name for s in schools}
    periods, forever = _by_period(
        {int(s.id or 0): s.retention_plan_years for s in schools}, default
    )
    stayed = _members(int(s.id or 0) for s in schools)
    lines = []
    for years in sorted(periods):
        before = _years_before(today, years)
        due = list(
            session.exec(
                select(col(Plan.id), col(Plan.pupil_id), col(Term.ends_on))
                .join(Term, col(Term.id) == Plan.term_id)
                .where(
                    col(Term.school_id).in_(periods[years]),
                    col(Term.ends_on) < before,
                    Plan.state == PlanState.ARCHIVED,
                    col(Plan.pupil_id).not_in(stayed),
                )
            ).all()
        )
        if apply and due:
            _remove_plans(session, due)
        lines.append(
            Removal(
                what="archived plans of pupils who left",
                schools=[] if years == default else [names[s] for s in periods[years]],
                period=f"{years} years",
                before=before,
                count=len(due),
            )
        )
    if forever:
        lines.append(
            Removal(
                what="archived plans of pupils who left",
                schools=[names[s] for s in forever] if default else [],
                period="",
                before=None,
                count=0,
            )
        )
    return lines


def _remove_plans(session: Session, due: list[Any]) -> None:
    """Everything that hangs off these plans, leaves first, in chunks of ids."""
    for start in range(0, len(due), CHUNK):
        chunk = due[start : start + CHUNK]
        plan_ids = [int(row[0]) for row in chunk]
        goals = core_select(col(Goal.id)).where(col(Goal.plan_id).in_(plan_ids))
        ratings = core_select(col(SelfAssessment.id)).where(col(SelfAssessment.goal_id).in_(goals))
        agreements = core_select(col(Agreement.id)).where(col(Agreement.plan_id).in_(plan_ids))
        preparations = core_select(col(Preparation.id)).where(
            col(Preparation.plan_id).in_(plan_ids)
        )
        messages = core_select(col(Message.id)).where(col(Message.plan_id).in_(plan_ids))
        for statement in (
            delete(MessageRead).where(col(MessageRead.message_id).in_(messages)),
            delete(Message).where(col(Message.plan_id).in_(plan_ids)),
            delete(Reply).where(col(Reply.self_assessment_id).in_(ratings)),
            delete(Seen).where(col(Seen.self_assessment_id).in_(ratings)),
            delete(SelfAssessment).where(col(SelfAssessment.goal_id).in_(goals)),
            update(Goal).where(col(Goal.carried_from_id).in_(goals)).values(carried_from_id=None),
            delete(GoalProposal).where(col(GoalProposal.plan_id).in_(plan_ids)),
            delete(Goal).where(col(Goal.plan_id).in_(plan_ids)),
            delete(Answer).where(col(Answer.preparation_id).in_(preparations)),
            delete(Preparation).where(col(Preparation.plan_id).in_(plan_ids)),
            delete(Signature).where(col(Signature.agreement_id).in_(agreements)),
            delete(Agreement).where(col(Agreement.plan_id).in_(plan_ids)),
            delete(Summary).where(col(Summary.plan_id).in_(plan_ids)),
            delete(TalkDraft).where(col(TalkDraft.plan_id).in_(plan_ids)),
            delete(PlanEvent).where(col(PlanEvent.plan_id).in_(plan_ids)),
        ):
            session.execute(statement)
        for plan_id, pupil_id, ends_on in chunk:
            term_id = core_select(col(Plan.term_id)).where(col(Plan.id) == plan_id)
            session.execute(
                delete(Booking).where(
                    col(Booking.pupil_id) == pupil_id, col(Booking.term_id).in_(term_id)
                )
            )
            session.execute(
                delete(Note).where(
                    col(Note.pupil_id) == pupil_id,
                    col(Note.created_at)
                    < datetime.combine(ends_on + timedelta(days=1), time(), UTC),
                )
            )
        session.execute(delete(Plan).where(col(Plan.id).in_(plan_ids)))
