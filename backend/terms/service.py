"""The principal's terms (issue 8, item 1): dates, the talk window and the written
summary's school years, and opening a term, which makes each pupil's plan for it. The
questions are edited in question_editing; last term's goals are carried over by goals/."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.errors import Conflict, FormError, NotFound
from backend.i18n import N_
from backend.models import Group, GroupPupil, Plan, PlanEvent, PlanState, Question, Term, utcnow
from backend.terms import questions as defaults
from backend.terms.schemas import (
    CODE_PATTERN,
    REQUIRED_YEARS,
    SCHOOL_YEARS,
    OpenedPublic,
    TermPublic,
)
from backend.web import form_int

BAD_CODE = N_("Write the term as HT or VT and the year, for example HT2026.")
BAD_DATE = N_("Write a date, for example 2026-08-17.")
TAKEN = N_("The school already has a term with that name.")
END_BEFORE_START = N_("The term must end after it starts.")
OUTSIDE = N_("The talk window must lie inside the term.")
WINDOW_ORDER = N_("The talk window must end after it starts.")
OVERLAP = N_("The term overlaps another of the school's terms.")
CLOSED = N_("The term is closed: its plans are archived, and no new plans are made for it.")


class TermClosed(Conflict):
    """A closed term's plans are history (terms/closing.py): it is not opened again."""

    default_reason = "term_closed"
    default_message = CLOSED


# ---- Terms -----------------------------------------------------------------------------


def public(term: Term) -> TermPublic:
    assert term.id is not None
    return TermPublic(
        id=term.id,
        school_id=term.school_id,
        code=term.code,
        starts_on=term.starts_on,
        ends_on=term.ends_on,
        talks_from=term.talks_from,
        talks_until=term.talks_until,
        summary_years=years_of(term.summary_years),
        opened_at=term.opened_at,
        closed_at=term.closed_at,
        version=term.version,
    )


def years_of(value: str) -> list[int]:
    years = {form_int(y, default=-1) for y in value.split(",")} - {-1}
    return sorted(years | set(REQUIRED_YEARS))


def terms_of(session: Session, *, school_id: int) -> list[TermPublic]:
    """The school's terms, newest first."""
    query = (
        select(Term)
        .where(Term.school_id == school_id)
        .order_by(col(Term.starts_on).desc(), col(Term.id).desc())
    )
    return [public(term) for term in session.exec(query)]


def term_of(session: Session, *, school_id: int, term_id: int) -> Term:
    """The term, if it is this school's: 404 for another school's (or none)."""
    term = session.get(Term, term_id)
    if term is None or term.school_id != school_id:
        raise NotFound()
    return term


def get_term(session: Session, *, school_id: int, term_id: int) -> TermPublic:
    return public(term_of(session, school_id=school_id, term_id=term_id))


class Checked(msgspec.Struct, kw_only=True):
    code: str
    starts_on: date
    ends_on: date
    talks_from: date | None
    talks_until: date | None
    summary_years: str


def parse_day(value: str, field: str, errors: dict[str, str]) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = BAD_DATE
        return None


def check_form(
    *, code: str, starts_on: str, ends_on: str, talks_from: str, talks_until: str, years: list[str]
) -> dict[str, Any]:
    """The form's strings as check_term's values, or FormError per field."""
    errors: dict[str, str] = {}
    starts = parse_day(starts_on, "starts_on", errors)
    ends = parse_day(ends_on, "ends_on", errors)
    if starts is None and "starts_on" not in errors:
        errors["starts_on"] = BAD_DATE
    if ends is None and "ends_on" not in errors:
        errors["ends_on"] = BAD_DATE
    talks_start = parse_day(talks_from, "talks_from", errors)
    talks_end = parse_day(talks_until, "talks_until", errors)
    chosen = [year for year in (form_int(y, default=-1) for y in years) if year >= 0]
    if errors:
        _check_code(code, errors)
        raise FormError(errors)
    assert starts is not None and ends is not None
    return {
        "code": code,
        "starts_on": starts,
        "ends_on": ends,
        "talks_from": talks_start,
        "talks_until": talks_end,
        "summary_years": chosen,
    }


def _check_code(code: str, errors: dict[str, str]) -> str:
    code = code.strip().upper()
    if not re.fullmatch(CODE_PATTERN, code):
        errors["code"] = BAD_CODE
    return code


def check_term(
    session: Session,
    *,
    school_id: int,
    term_id: int | None,
    code: str,
    starts_on: date,
    ends_on: date,
    talks_from: date | None,
    talks_until: date | None,
    summary_years: list[int],
) -> Checked:
    """The term's rules, each as a message beside its field (FormError): a code like
    HT2026 the school does not have yet, an end after the start, a talk window inside the
    term, and no overlap with another of the school's terms."""
    errors: dict[str, str] = {}
    code = _check_code(code, errors)
    others = list(
        session.exec(select(Term).where(Term.school_id == school_id, Term.id != (term_id or 0)))
    )
    if "code" not in errors and any(t.code == code for t in others):
        errors["code"] = TAKEN
    if ends_on <= starts_on:
        errors["ends_on"] = END_BEFORE_START
    elif any(t.starts_on <= ends_on and starts_on <= t.ends_on for t in others):
        errors["starts_on"] = OVERLAP
    if talks_from is not None and talks_until is not None and talks_until < talks_from:
        errors["talks_until"] = WINDOW_ORDER
    for field, day in (("talks_from", talks_from), ("talks_until", talks_until)):
        if day is not None and not starts_on <= day <= ends_on and field not in errors:
            errors[field] = OUTSIDE
    if errors:
        raise FormError(errors)
    years = sorted({y for y in summary_years if y in SCHOOL_YEARS} | set(REQUIRED_YEARS))
    return Checked(
        code=code,
        starts_on=starts_on,
        ends_on=ends_on,
        talks_from=talks_from,
        talks_until=talks_until,
        summary_years=",".join(map(str, years)),
    )


def create_term(session: Session, *, school_id: int, **values: Any) -> TermPublic:
    """A new term with the questions of the school's latest term, or the defaults when it
    has none."""
    checked = check_term(session, school_id=school_id, term_id=None, **values)
    latest = session.exec(
        select(Term).where(Term.school_id == school_id).order_by(col(Term.starts_on).desc())
    ).first()
    term = Term(school_id=school_id, **msgspec.structs.asdict(checked))
    session.add(term)
    try:
        session.flush()
    except IntegrityError as error:  # the same code at the same moment
        session.rollback()
        raise FormError({"code": TAKEN}) from error
    assert term.id is not None
    if latest is None:
        defaults.add_defaults(session, term_id=term.id)
    else:
        query = select(Question).where(
            Question.term_id == latest.id, col(Question.retired_at).is_(None)
        )
        for q in session.exec(query).all():
            session.add(
                Question(
                    term_id=term.id,
                    stage=q.stage,
                    audience=q.audience,
                    position=q.position,
                    key=q.key,
                    text=q.text,
                )
            )
    session.commit()
    return public(term)


def update_term(
    session: Session, *, school_id: int, term_id: int, version: int, **values: Any
) -> TermPublic:
    """Changes the term if nobody has since `version`: else 409 with the term as it is now."""
    before = term_of(session, school_id=school_id, term_id=term_id)
    current = public(before)
    checked = check_term(session, school_id=school_id, term_id=term_id, **values)
    result = session.connection().execute(
        update(Term)
        .where(col(Term.id) == term_id, col(Term.version) == version)
        .values(**msgspec.structs.asdict(checked), version=col(Term.version) + 1)
    )
    if result.rowcount == 0:
        session.rollback()
        raise Conflict(current=msgspec.to_builtins(current))
    session.commit()
    session.expire_all()
    return get_term(session, school_id=school_id, term_id=term_id)


# ---- Opening a term --------------------------------------------------------------------


def _openable(session: Session, *, school_id: int, term_id: int) -> Term:
    """The term, if it may be opened: 404 for another school's, 409 for a closed one."""
    term = term_of(session, school_id=school_id, term_id=term_id)
    if term.closed_at is not None:
        raise TermClosed(msgspec.to_builtins(public(term)))
    return term


def _without_plan(session: Session, *, school_id: int, term_id: int) -> list[int]:
    """The pupils in the school's groups who have no plan for the term."""
    pupils = set(
        session.exec(
            select(GroupPupil.pupil_id)
            .join(Group, col(Group.id) == GroupPupil.group_id)
            .where(Group.school_id == school_id)
        )
    )
    have = set(session.exec(select(Plan.pupil_id).where(Plan.term_id == term_id)))
    return sorted(pupils - have)


def plans_to_make(session: Session, *, school_id: int, term_id: int) -> int:
    """How many plans opening the term would make now, changing nothing: what the page
    asks her to confirm (issue 22, item 7). The same refusals as open_term."""
    _openable(session, school_id=school_id, term_id=term_id)
    return len(_without_plan(session, school_id=school_id, term_id=term_id))


def open_term(session: Session, *, school_id: int, term_id: int, by_id: int) -> OpenedPublic:
    """A plan (`preparing`) for every pupil in the school's groups who has none for the
    term, each with its event. Opening again makes only the plans still missing; a closed
    term is not opened (409 `term_closed`)."""
    term = _openable(session, school_id=school_id, term_id=term_id)
    for attempt in (1, 2):
        missing = _without_plan(session, school_id=school_id, term_id=term_id)
        try:
            for pupil_id in missing:
                plan = Plan(pupil_id=pupil_id, term_id=term_id, state=PlanState.PREPARING)
                session.add(plan)
                session.flush()
                assert plan.id is not None
                session.add(PlanEvent(plan_id=plan.id, state=PlanState.PREPARING, by_id=by_id))
            if term.opened_at is None:
                term.opened_at = utcnow()
                term.opened_by_id = by_id
                session.add(term)
            session.commit()
            break
        except IntegrityError:  # opened at the same moment elsewhere: count again
            session.rollback()
            if attempt == 2:
                raise
            term = term_of(session, school_id=school_id, term_id=term_id)
            missing = []
    assert term.opened_at is not None
    return OpenedPublic(term_id=term_id, plans_created=len(missing), opened_at=term.opened_at)
