"""Preparing for the development talk (DESIGN, "A term, step by step", step 3): the pupil
answers the term's questions for her stage, each guardian with access answers the guardian
questions on her own. A guardian's answers are read by staff and herself, by the other
guardians only when she shares them. Each save raises the version; a save from a stale
version is refused with the preparation as it is now (nothing is silently overwritten)."""

from __future__ import annotations

from datetime import date

import msgspec
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.access import Access
from backend.errors import Archived, Conflict, FormError, NotFound
from backend.i18n import N_
from backend.models import (
    Answer,
    Audience,
    Guardianship,
    Person,
    PlanState,
    Preparation,
    utcnow,
)
from backend.names import Namer
from backend.plans.schemas import PlanPublic
from backend.plans.service import refuse_archived
from backend.preparation import queries
from backend.preparation.schemas import ANSWER_MAX, AnswerPublic, PreparationPublic
from backend.terms.questions import QuestionPublic, questions_for, stage_of
from backend.web import has_control_characters


class Talk(msgspec.Struct, frozen=True, kw_only=True):
    """The pupil's plan this term, and the stage her questions are chosen by."""

    plan_id: int
    term_id: int
    stage: int
    state: str = ""  # the plan's PlanState

    @property
    def archived(self) -> bool:
        """Read-only history: no more saves."""
        return self.state == PlanState.ARCHIVED


class Progress(msgspec.Struct, frozen=True, kw_only=True):
    """What is left, for the plan page's short line."""

    answered: int
    questions: int
    ready: bool


def talk_of(session: Session, *, pupil_id: int, today: date) -> Talk | None:
    """The pupil's plan for this term and her stage (two small queries); None: no plan."""
    plan = queries.TALK.first(session, {"pupil_id": pupil_id, "today": today})
    if plan is None:
        return None
    year = queries.SCHOOL_YEAR.first(session, {"pupil_id": pupil_id})
    return Talk(
        plan_id=int(plan.plan_id),
        term_id=int(plan.term_id),
        stage=stage_of(int(year.school_year) if year is not None else None),
        state=str(plan.state),
    )


def _talk(session: Session, *, pupil_id: int, today: date) -> Talk:
    talk = talk_of(session, pupil_id=pupil_id, today=today)
    if talk is None:
        raise NotFound("no_plan", N_("There is no plan for this term yet."))
    return talk


def _questions(session: Session, talk: Talk, audience: Audience) -> list[QuestionPublic]:
    return questions_for(session, term_id=talk.term_id, stage=talk.stage, audience=audience)


def _public(
    session: Session,
    *,
    talk: Talk,
    prep: Preparation | None,
    author: Person,
    audience: Audience,
    questions: list[QuestionPublic] | None = None,
    namer: Namer | None = None,
) -> PreparationPublic:
    """`namer` None: the author's own preparation (her own name)."""
    texts: dict[int, str] = {}
    if prep is not None:
        texts = {
            a.question_id: a.text
            for a in session.exec(select(Answer).where(Answer.preparation_id == prep.id))
        }
    assert author.id is not None
    return PreparationPublic(
        plan_id=talk.plan_id,
        author_id=author.id,
        author=(namer or Namer.everyone()).person(
            author, role="self" if audience is Audience.PUPIL else "guardian"
        ),
        audience=audience.value,
        shared=prep.shared if prep else False,
        version=prep.version if prep else 0,
        ready_at=prep.ready_at if prep else None,
        updated_at=prep.updated_at if prep else None,
        answers=[
            AnswerPublic(question_id=q.id, question=q.text, text=texts.get(q.id, ""))
            for q in (questions if questions is not None else _questions(session, talk, audience))
        ],
    )


def _row(session: Session, *, plan_id: int, author_id: int) -> Preparation | None:
    return session.exec(
        select(Preparation).where(
            Preparation.plan_id == plan_id, Preparation.author_id == author_id
        )
    ).first()


def preparation_of(
    session: Session, *, pupil_id: int, author_id: int, audience: Audience, today: date
) -> PreparationPublic:
    """The author's own preparation for the pupil's talk this term, every question in force
    with her answer ("" when none); version 0 before her first save. 404 without a plan."""
    talk = _talk(session, pupil_id=pupil_id, today=today)
    author = session.get(Person, author_id)
    assert author is not None
    prep = _row(session, plan_id=talk.plan_id, author_id=author_id)
    return _public(session, talk=talk, prep=prep, author=author, audience=audience)


def check_answers(answers: dict[int, str], questions: list[QuestionPublic]) -> dict[int, str]:
    """The answers stripped and bounded, each to a question in force (FormError, keyed
    `q<id>` for the page)."""
    known = {q.id for q in questions}
    errors: dict[str, str] = {}
    checked: dict[int, str] = {}
    for question_id, raw in answers.items():
        text = raw.strip()
        field = f"q{question_id}"
        if question_id not in known:
            errors[field] = N_("That question is not one of this term's questions.")
        elif len(text) > ANSWER_MAX:
            errors[field] = N_("The answer is too long. Write at most 2000 characters.")
        elif has_control_characters(text):
            errors[field] = N_(
                "The answer has a sign in it that we cannot save. Write it again without it."
            )
        else:
            checked[question_id] = text
    if errors:
        raise FormError(errors)
    return checked


def save_preparation(
    session: Session,
    *,
    pupil_id: int,
    author_id: int,
    audience: Audience,
    version: int,
    answers: dict[int, str],
    ready: bool | None,
    shared: bool | None,
    today: date,
) -> PreparationPublic:
    """Checks the answers (FormError) and stores them if nobody has saved since `version`
    (0: nothing saved yet), else 409 with the preparation as it is now. A stale save whose
    every answer is the saved one is no conflict (a send that arrived while its answer was
    lost, sent again): it is stored on the current version. The first save creates the
    row; the unique key (plan, author) refuses a second first save. 409 `archived` when
    the plan is archived."""
    for attempt in range(2):
        try:
            return _save(
                session,
                pupil_id=pupil_id,
                author_id=author_id,
                audience=audience,
                version=version,
                answers=answers,
                ready=ready,
                shared=shared,
                today=today,
            )
        except Archived:
            raise
        except Conflict as conflict:
            current = conflict.current or {}
            stored = {a["question_id"]: a["text"] for a in current.get("answers", [])}
            if attempt or any(t.strip() != stored.get(q, "") for q, t in answers.items()):
                raise
            version = int(current["version"])
    raise AssertionError("unreachable")


def _save(
    session: Session,
    *,
    pupil_id: int,
    author_id: int,
    audience: Audience,
    version: int,
    answers: dict[int, str],
    ready: bool | None,
    shared: bool | None,
    today: date,
) -> PreparationPublic:
    """One try of save_preparation."""
    talk = _talk(session, pupil_id=pupil_id, today=today)
    refuse_archived(talk.state, talk.plan_id)
    questions = _questions(session, talk, audience)
    checked = check_answers(answers, questions)
    author = session.get(Person, author_id)
    assert author is not None

    def stale() -> Conflict:
        session.rollback()
        now_as = _row(session, plan_id=talk.plan_id, author_id=author_id)
        as_now = _public(
            session, talk=talk, prep=now_as, author=author, audience=audience, questions=questions
        )
        return Conflict(current=msgspec.to_builtins(as_now))

    prep = _row(session, plan_id=talk.plan_id, author_id=author_id)
    guardian = audience is Audience.GUARDIAN
    if prep is None:
        if version != 0:
            raise stale()
        now = utcnow()
        prep = Preparation(
            plan_id=talk.plan_id,
            author_id=author_id,
            audience=audience.value,
            shared=bool(shared) and guardian,
            ready_at=now if ready else None,
            updated_at=now,
            version=1,
        )
        session.add(prep)
        try:  # the unique key (plan, author) refuses a second first save
            session.flush()
        except IntegrityError:
            raise stale() from None
    elif not _next_version(
        session, prep=prep, version=version, ready=ready, shared=shared if guardian else None
    ):
        raise stale()
    _store_answers(session, prep=prep, checked=checked)
    session.commit()
    session.refresh(prep)
    return _public(
        session, talk=talk, prep=prep, author=author, audience=audience, questions=questions
    )


def _next_version(
    session: Session, *, prep: Preparation, version: int, ready: bool | None, shared: bool | None
) -> bool:
    """The row moves to the next version if it is still at `version` (False: it is not)."""
    now = utcnow()
    values: dict[str, object] = {"updated_at": now, "version": col(Preparation.version) + 1}
    if ready is not None:
        values["ready_at"] = (prep.ready_at or now) if ready else None
    if shared is not None:
        values["shared"] = shared
    result = session.connection().execute(
        update(Preparation)
        .where(col(Preparation.id) == prep.id, col(Preparation.version) == version)
        .values(**values)
    )
    return bool(result.rowcount)


def _store_answers(session: Session, *, prep: Preparation, checked: dict[int, str]) -> None:
    assert prep.id is not None
    stored = {
        a.question_id: a
        for a in session.exec(select(Answer).where(Answer.preparation_id == prep.id))
    }
    for question_id, text in checked.items():
        if question_id in stored:
            stored[question_id].text = text
            session.add(stored[question_id])
        else:
            session.add(Answer(preparation_id=prep.id, question_id=question_id, text=text))


def preparations_of(session: Session, *, access: Access, today: date) -> list[PreparationPublic]:
    """Every preparation for the pupil's talk this term, hers first, then each guardian's,
    shared or not: for staff (the mentor's compilation) and no one else."""
    talk = talk_of(session, pupil_id=access.pupil_id, today=today)
    if talk is None:
        return []
    rows = session.exec(
        select(Preparation, Person)
        .join(Person, col(Person.id) == Preparation.author_id)
        .where(Preparation.plan_id == talk.plan_id)
        .order_by(col(Preparation.audience).desc(), col(Preparation.id))
    ).all()
    return [
        _public(
            session,
            talk=talk,
            prep=prep,
            author=person,
            audience=Audience(prep.audience),
            namer=access.namer,
        )
        for prep, person in rows
    ]


def shared_with(session: Session, *, access: Access, today: date) -> list[PreparationPublic]:
    """The other guardians' preparations that they chose to share (the viewer's own apart)."""
    return [
        p
        for p in preparations_of(session, access=access, today=today)
        if p.audience == Audience.GUARDIAN and p.shared and p.author_id != access.viewer.person_id
    ]


def other_guardians(session: Session, *, access: Access) -> list[str]:
    """The names of the pupil's other guardians with access: who reads what she shares
    (a protected one as "a guardian")."""
    rows = session.exec(
        select(Person.id, Person.given_name, Person.family_name, Person.security_marking)
        .join(Guardianship, col(Guardianship.guardian_id) == Person.id)
        .where(
            Guardianship.pupil_id == access.pupil_id,
            col(Guardianship.has_access).is_(True),
            Guardianship.guardian_id != access.viewer.person_id,
        )
        .order_by(col(Person.given_name))
    ).all()
    return [
        access.namer.name(person_id=i, given=given, family=family, marking=marking, role="guardian")
        for i, given, family, marking in rows
    ]


def is_ready(session: Session, *, plan_id: int, author_id: int) -> bool:
    """Whether this person (a guardian) has said she is ready for the talk (one query)."""
    return (
        session.exec(
            select(Preparation.ready_at).where(
                Preparation.plan_id == plan_id, Preparation.author_id == author_id
            )
        ).first()
        is not None
    )


def progress(session: Session, *, pupil_id: int, plan: PlanPublic | None) -> Progress | None:
    """How far the pupil's preparation has come: answers given to the questions in force,
    "ready for the talk" (one query)."""
    if plan is None:
        return None
    found = queries.PROGRESS.rows(session, {"pupil_id": pupil_id, "plan_id": plan.id})[0]
    return Progress(
        answered=int(found.answered), questions=int(found.questions), ready=bool(found.ready)
    )
