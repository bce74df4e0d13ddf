"""The principal's terms (issue 8, item 1): dates, the talk window and the written
summary's school years; the preparation questions per stage and audience; opening a term,
which makes each pupil's plan for it; and carrying last term's unreached goals over."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.access import Access
from backend.errors import Conflict, Forbidden, FormError, Invalid, NotFound
from backend.goals import service as goals
from backend.goals.schemas import GoalSavedPublic
from backend.i18n import N_
from backend.models import (
    Answer,
    Audience,
    Goal,
    Group,
    GroupPupil,
    Plan,
    PlanEvent,
    PlanState,
    Question,
    SelfAssessment,
    Term,
    utcnow,
)
from backend.terms import questions as defaults
from backend.terms.schemas import (
    CODE_PATTERN,
    QUESTION_MAX,
    REQUIRED_YEARS,
    SCHOOL_YEARS,
    CarryOverPublic,
    OpenedPublic,
    QuestionItem,
    QuestionOut,
    QuestionSection,
    QuestionsPublic,
    TermPublic,
)
from backend.web import has_control_characters

AUDIENCES = (Audience.PUPIL, Audience.GUARDIAN)
REACHED = 4  # a goal rated at the top level is reached; below it, it is offered again

BAD_CODE = N_("Write the term as HT or VT and the year, for example HT2026.")
BAD_DATE = N_("Write a date, for example 2026-08-17.")
TAKEN = N_("The school already has a term with that name.")
END_BEFORE_START = N_("The term must end after it starts.")
OUTSIDE = N_("The talk window must lie inside the term.")
WINDOW_ORDER = N_("The talk window must end after it starts.")
OVERLAP = N_("The term overlaps another of the school's terms.")
MISSING_QUESTION = N_("Write the question.")
LONG_QUESTION = N_("The question is too long. Write at most 500 characters.")
CONTROL = N_("The text has a sign in it that we cannot save. Write it again without it.")
UNKNOWN_QUESTION = N_("A question in the list is not one of this stage's questions.")
ALREADY_CARRIED = N_("This goal has already been carried over, or it is not offered.")


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
        version=term.version,
    )


def years_of(value: str) -> list[int]:
    return sorted({int(y) for y in value.split(",") if y.strip().isdigit()} | set(REQUIRED_YEARS))


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
    chosen = [int(y) for y in years if y.isdigit()]
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


# ---- Questions -------------------------------------------------------------------------


def questions_of(session: Session, *, school_id: int, term_id: int) -> QuestionsPublic:
    """Every stage and audience's questions in force, in order (one query)."""
    term_of(session, school_id=school_id, term_id=term_id)
    rows = session.exec(
        select(Question)
        .where(Question.term_id == term_id, col(Question.retired_at).is_(None))
        .order_by(col(Question.position), col(Question.id))
    ).all()
    sections = []
    for audience in AUDIENCES:
        for stage in defaults.STAGES:
            found = [
                QuestionOut(
                    id=q.id or 0,
                    text=defaults.wording(stage=stage, audience=audience, key=q.key, text=q.text),
                    default=not q.text,
                    position=index,
                )
                for index, q in enumerate(
                    q for q in rows if q.stage == stage and q.audience == audience
                )
            ]
            sections.append(QuestionSection(stage=stage, audience=audience, questions=found))
    return QuestionsPublic(term_id=term_id, sections=sections)


def check_question(text: str) -> str:
    text = text.strip()
    if not text:
        message = MISSING_QUESTION
    elif len(text) > QUESTION_MAX:
        message = LONG_QUESTION
    elif has_control_characters(text):
        message = CONTROL
    else:
        return text
    raise FormError({"text": message})


def _section(session: Session, *, term_id: int, stage: int, audience: str) -> list[Question]:
    query = (
        select(Question)
        .where(
            Question.term_id == term_id,
            Question.stage == stage,
            Question.audience == audience,
            col(Question.retired_at).is_(None),
        )
        .order_by(col(Question.position), col(Question.id))
    )
    return list(session.exec(query).all())


def _question(session: Session, *, school_id: int, term_id: int, question_id: int) -> Question:
    term_of(session, school_id=school_id, term_id=term_id)
    question = session.get(Question, question_id)
    if question is None or question.term_id != term_id or question.retired_at is not None:
        raise NotFound()
    return question


def _renumber(session: Session, questions: list[Question]) -> None:
    for position, each in enumerate(questions):
        if each.position != position:
            each.position = position
            session.add(each)


def _reword(question: Question, text: str) -> None:
    """A default question keeps being a default while its words are the default's."""
    shown = defaults.wording(
        stage=question.stage, audience=question.audience, key=question.key, text=question.text
    )
    if text != shown:
        question.text = text


def _remove(session: Session, question: Question) -> None:
    """Retired when someone has answered it (the answer keeps its question), else deleted."""
    answered = session.exec(
        select(func.count()).select_from(Answer).where(Answer.question_id == question.id)
    ).one()
    if answered:
        question.retired_at = utcnow()
        session.add(question)
    else:
        session.connection().execute(delete(Question).where(col(Question.id) == question.id))


def add_question(
    session: Session, *, school_id: int, term_id: int, stage: int, audience: str, text: str
) -> int:
    """A new question last in its section; returns its id."""
    term_of(session, school_id=school_id, term_id=term_id)
    if stage not in defaults.STAGES or audience not in {a.value for a in AUDIENCES}:
        raise Invalid("invalid_section")
    text = check_question(text)
    section = _section(session, term_id=term_id, stage=stage, audience=audience)
    question = Question(
        term_id=term_id, stage=stage, audience=audience, position=len(section), text=text
    )
    session.add(question)
    session.commit()
    assert question.id is not None
    return question.id


def change_question(
    session: Session, *, school_id: int, term_id: int, question_id: int, action: str, text: str
) -> Question:
    """One button on a question: save its words, move it up or down, or remove it."""
    question = _question(session, school_id=school_id, term_id=term_id, question_id=question_id)
    section = _section(session, term_id=term_id, stage=question.stage, audience=question.audience)
    if action == "save":
        _reword(question, check_question(text))
        session.add(question)
    elif action in {"up", "down"}:
        index = [q.id for q in section].index(question.id)
        target = index + (-1 if action == "up" else 1)
        if 0 <= target < len(section):
            section.insert(target, section.pop(index))
            _renumber(session, section)
    elif action == "remove":
        _remove(session, question)
        _renumber(session, [q for q in section if q.id != question.id])
    else:
        raise Invalid("invalid_action")
    session.commit()
    return question


def set_questions(
    session: Session,
    *,
    school_id: int,
    term_id: int,
    stage: int,
    audience: str,
    items: list[QuestionItem],
) -> QuestionsPublic:
    """One section as the list says, in its order: new texts added, ids left out removed
    (retired when answered). An id from elsewhere is refused (422) and nothing changes."""
    term_of(session, school_id=school_id, term_id=term_id)
    section = {q.id: q for q in _section(session, term_id=term_id, stage=stage, audience=audience)}
    ids = [item.id for item in items if item.id is not None]
    if len(ids) != len(set(ids)) or any(i not in section for i in ids):
        raise Invalid("invalid_questions", UNKNOWN_QUESTION)
    ordered: list[Question] = []
    for item in items:
        if item.id is None:
            if item.text is None:
                raise Invalid("invalid_text", MISSING_QUESTION)
            text = check_question(item.text)
            question = Question(term_id=term_id, stage=stage, audience=audience, text=text)
            session.add(question)
        else:
            question = section[item.id]
            if item.text is not None:
                _reword(question, check_question(item.text))
                session.add(question)
        ordered.append(question)
    for question_id, question in section.items():
        if question_id not in ids:
            _remove(session, question)
    _renumber(session, ordered)
    session.commit()
    return questions_of(session, school_id=school_id, term_id=term_id)


# ---- Opening a term --------------------------------------------------------------------


def open_term(session: Session, *, school_id: int, term_id: int, by_id: int) -> OpenedPublic:
    """A plan (`preparing`) for every pupil in the school's groups who has none for the
    term, each with its event. Opening again makes only the plans still missing."""
    term = term_of(session, school_id=school_id, term_id=term_id)
    for attempt in (1, 2):
        pupils = set(
            session.exec(
                select(GroupPupil.pupil_id)
                .join(Group, col(Group.id) == GroupPupil.group_id)
                .where(Group.school_id == school_id)
            )
        )
        have = set(session.exec(select(Plan.pupil_id).where(Plan.term_id == term_id)))
        missing = sorted(pupils - have)
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


# ---- Carrying goals over ---------------------------------------------------------------


def _previous_plan(session: Session, *, pupil_id: int, plan_id: int) -> int | None:
    """The pupil's plan in the latest term of her school before the current plan's term."""
    term = session.exec(
        select(Term).join(Plan, col(Plan.term_id) == Term.id).where(Plan.id == plan_id)
    ).one()
    earlier = session.exec(
        select(Term.id)
        .where(Term.school_id == term.school_id, Term.starts_on < term.starts_on)
        .order_by(col(Term.starts_on).desc())
        .limit(1)
    ).first()
    if earlier is None:
        return None
    return session.exec(
        select(Plan.id).where(Plan.pupil_id == pupil_id, Plan.term_id == earlier)
    ).first()


def offered(session: Session, *, access: Access, today: date) -> list[CarryOverPublic]:
    """Last term's goals not reached (latest rating below 4, or never rated), not retired,
    and not carried into the current plan yet; `writable` for whoever may write each."""
    found = goals.current_plan(session, pupil_id=access.pupil_id, today=today)
    if found is None:
        return []
    plan_id = found[0]
    previous = _previous_plan(session, pupil_id=access.pupil_id, plan_id=plan_id)
    if previous is None:
        return []
    code = session.exec(
        select(Term.code).join(Plan, col(Plan.term_id) == Term.id).where(Plan.id == previous)
    ).one()
    carried = set(
        session.exec(
            select(Goal.carried_from_id).where(
                Goal.plan_id == plan_id, col(Goal.carried_from_id).is_not(None)
            )
        )
    )
    candidates = session.exec(
        select(Goal)
        .where(Goal.plan_id == previous, col(Goal.retired_at).is_(None))
        .order_by(col(Goal.position), col(Goal.id))
    ).all()
    latest: dict[int, int] = {}
    ratings = session.exec(
        select(SelfAssessment.goal_id, SelfAssessment.level)
        .where(col(SelfAssessment.goal_id).in_([g.id for g in candidates]))
        .order_by(col(SelfAssessment.created_at), col(SelfAssessment.id))
    )
    for goal_id, level in ratings:
        latest[goal_id] = level
    rights = goals.rights_of(session, access=access)
    return [
        CarryOverPublic(
            id=goal.id,
            term=code,
            area=goal.area,
            text=goal.text,
            how=goal.how,
            level=latest.get(goal.id),
            writable=rights is not None and rights.may(goal.area),
        )
        for goal in candidates
        if goal.id is not None and goal.id not in carried and latest.get(goal.id, 0) < REACHED
    ]


def carry_over(session: Session, *, access: Access, goal_id: int, today: date) -> GoalSavedPublic:
    """The goal's area, text and how as a new goal last in the current plan, pointing back
    to it. 403 outside the viewer's subjects; 409 when it is not offered (reached, retired,
    not last term's, or carried over already)."""
    rights = goals.writer(session, access=access)
    goal = session.get(Goal, goal_id)
    if goal is None:
        raise NotFound()
    if not rights.may(goal.area):
        raise Forbidden(message=goals.NOT_YOUR_SUBJECT)
    if all(o.id != goal_id for o in offered(session, access=access, today=today)):
        refusal = Conflict(goals.current(goal), reason="not_offered")
        refusal.message = ALREADY_CARRIED
        raise refusal
    new = goals.add_goal(
        session, access=access, today=today, area=goal.area, text=goal.text, how=goal.how
    )
    new.carried_from_id = goal_id
    session.add(new)
    session.commit()
    return goals.public(new)
