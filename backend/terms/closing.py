"""Closing a term (issue 9; DESIGN, "A term, step by step", step 7): the principal closes
it, or it closes by itself once its end date has passed. Every plan of the term is
archived, each with its event: read-only history, which every write refuses (409
`archived`, plans.service.refuse_archived).

Several processes may close the same term at the same moment (the periodic pass,
backend/periodic.py, runs in each): the statements are idempotent UPDATEs guarded by
their WHERE, so only the one that moved a plan records its event, and closing again
changes nothing."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from backend.errors import Invalid
from backend.i18n import N_
from backend.models import Plan, PlanEvent, PlanState, Term, utcnow
from backend.terms.schemas import ClosedPublic
from backend.terms.service import term_of

NOT_STARTED = N_(
    "The term has not started yet, so it cannot be closed. Change its dates if it is wrong."
)


def close_term(
    session: Session, *, school_id: int, term_id: int, by_id: int, today: date
) -> ClosedPublic:
    """The principal closes her school's term: 404 for another school's, 422 before it has
    started. Closing a closed term again changes nothing (`plans_archived` 0)."""
    term = term_of(session, school_id=school_id, term_id=term_id)
    if term.closed_at is None and term.starts_on > today:
        raise Invalid("term_not_started", NOT_STARTED)
    return _close(session, term_id=term_id, by_id=by_id)


def close_ended(session: Session, *, today: date) -> list[ClosedPublic]:
    """Closes every term whose end date has passed and that is still open (by nobody: the
    date did it). Cheap when there is nothing to do: one query over the terms."""
    ended = session.exec(
        select(Term.id).where(Term.ends_on < today, col(Term.closed_at).is_(None))
    ).all()
    return [_close(session, term_id=term_id, by_id=None) for term_id in ended if term_id]


def _close(session: Session, *, term_id: int, by_id: int | None) -> ClosedPublic:
    """Marks the term closed (once) and archives each of its plans not archived yet, with an
    event for each plan this call moved (RETURNING says which: a concurrent pass waits for
    the row locks and then finds nothing left to move)."""
    now = utcnow()
    connection = session.connection()
    connection.execute(
        update(Term)
        .where(col(Term.id) == term_id, col(Term.closed_at).is_(None))
        .values(closed_at=now, closed_by_id=by_id)
    )
    moved = list(
        connection.execute(
            update(Plan)
            .where(col(Plan.term_id) == term_id, col(Plan.state) != PlanState.ARCHIVED.value)
            .values(state=PlanState.ARCHIVED.value, version=col(Plan.version) + 1)
            .returning(col(Plan.id))
        ).scalars()
    )
    if moved:
        connection.execute(
            insert(PlanEvent),
            [
                {"plan_id": plan_id, "state": PlanState.ARCHIVED.value, "by_id": by_id, "at": now}
                for plan_id in moved
            ],
        )
    closed_at: datetime = connection.execute(
        select(Term.closed_at).where(col(Term.id) == term_id)
    ).scalar_one()
    session.commit()
    session.expire_all()  # the rows were changed with Core, under the ORM's identity map
    return ClosedPublic(term_id=term_id, closed_at=closed_at, plans_archived=len(moved))
