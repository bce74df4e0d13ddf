"""Editing a term's preparation questions (the principal's): each stage and audience's
questions in order, adding, rewording, moving and removing one (retired when answered),
and setting a whole section at once. The defaults and their wording are in questions."""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from backend.errors import FormError, Invalid, NotFound
from backend.i18n import N_
from backend.models import Answer, Audience, Question, utcnow
from backend.terms import questions as defaults
from backend.terms.schemas import (
    QUESTION_MAX,
    QuestionItem,
    QuestionOut,
    QuestionSection,
    QuestionsPublic,
)
from backend.terms.service import term_of
from backend.web import has_control_characters

AUDIENCES = (Audience.PUPIL, Audience.GUARDIAN)

MISSING_QUESTION = N_("Write the question.")
LONG_QUESTION = N_("The question is too long. Write at most 500 characters.")
CONTROL = N_("The text has a sign in it that we cannot save. Write it again without it.")
UNKNOWN_QUESTION = N_("A question in the list is not one of this stage's questions.")


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
