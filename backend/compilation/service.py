"""The mentor's compilation (sammanställning) for one pupil's talk: this term's notes from
all teachers, the self-assessments with their history, the pupil's and each guardian's
preparation, the booked time and last term's plan; and the talk draft the mentor writes
from it, which only staff read until the talk. Only the mentor writes the draft and marks
the talk held; a teacher reads."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.access import Access, Relation
from backend.compilation.schemas import (
    DRAFT_MAX,
    AnswerPublic,
    BookingPublic,
    CompilationPublic,
    LastAgreementPublic,
    LastGoalPublic,
    LastTermPublic,
    PreparationPublic,
    TalkDraftPublic,
)
from backend.errors import Conflict, Forbidden, FormError, NotFound
from backend.i18n import N_
from backend.models import (
    Agreement,
    Answer,
    Audience,
    Booking,
    Goal,
    Group,
    GroupPupil,
    Guardianship,
    Person,
    Plan,
    PlanEvent,
    PlanState,
    Preparation,
    SelfAssessment,
    TalkDraft,
    TalkTime,
    Term,
    utcnow,
)
from backend.names import Namer
from backend.notes.service import notes_of
from backend.plans.service import plan_of, plan_this_term, refuse_archived
from backend.terms.questions import questions_for, stage_of
from backend.web import has_control_characters


def _name(person: Person | None) -> str:
    return f"{person.given_name} {person.family_name}" if person else ""


def _stage(session: Session, *, pupil_id: int) -> int:
    year = session.exec(
        select(Group.school_year)
        .join(GroupPupil, col(GroupPupil.group_id) == Group.id)
        .where(GroupPupil.pupil_id == pupil_id)
    ).first()
    return stage_of(year)


def preparations(
    session: Session, *, pupil_id: int, plan_id: int, term_id: int
) -> list[PreparationPublic]:
    """The pupil's preparation and each guardian's with access (staff see all of them),
    each with every question of the term for her stage, answered or not."""
    stage = _stage(session, pupil_id=pupil_id)
    questions = {
        audience: questions_for(session, term_id=term_id, stage=stage, audience=audience)
        for audience in (Audience.PUPIL, Audience.GUARDIAN)
    }
    found = {
        prep.author_id: prep
        for prep in session.exec(select(Preparation).where(Preparation.plan_id == plan_id))
    }
    answers: dict[int, dict[int, str]] = {}
    if found:
        for answer in session.exec(
            select(Answer).where(
                col(Answer.preparation_id).in_([p.id for p in found.values() if p.id])
            )
        ):
            answers.setdefault(answer.preparation_id, {})[answer.question_id] = answer.text
    result = []
    for person, audience in _authors(session, pupil_id=pupil_id):
        assert person.id is not None
        prep = found.get(person.id)
        given = answers.get(prep.id, {}) if prep and prep.id else {}
        rows = [
            AnswerPublic(question_id=q.id, question=q.text, text=given.get(q.id, ""))
            for q in questions[audience]
        ]
        result.append(_preparation(person.id, _name(person), audience, prep, rows))
    return result


def _authors(session: Session, *, pupil_id: int) -> list[tuple[Person, Audience]]:
    """Who prepares: the pupil, then each guardian with access."""
    authors: list[tuple[Person, Audience]] = []
    pupil = session.get(Person, pupil_id)
    if pupil is not None:
        authors.append((pupil, Audience.PUPIL))
    for guardian in session.exec(
        select(Person)
        .join(Guardianship, col(Guardianship.guardian_id) == Person.id)
        .where(Guardianship.pupil_id == pupil_id, col(Guardianship.has_access).is_(True))
        .order_by(col(Person.given_name), col(Person.id))
    ):
        authors.append((guardian, Audience.GUARDIAN))
    return authors


def _preparation(
    author_id: int,
    author: str,
    audience: Audience,
    prep: Preparation | None,
    rows: list[AnswerPublic],
) -> PreparationPublic:
    answered = sum(1 for a in rows if a.text.strip())
    state = (
        "ready"
        if prep and prep.ready_at
        else "started"
        if answered or (prep and prep.updated_at)
        else "not_started"
    )
    return PreparationPublic(
        author_id=author_id,
        author=author,
        audience=audience.value,
        state=state,
        shared=bool(prep and prep.shared),
        answers=rows,
        answered=answered,
        ready_at=prep.ready_at if prep else None,
        updated_at=prep.updated_at if prep else None,
    )


def booking_of(session: Session, *, pupil_id: int, term_id: int) -> BookingPublic | None:
    row = session.exec(
        select(Booking, TalkTime, Person)
        .join(TalkTime, col(TalkTime.id) == Booking.talk_time_id)
        .join(Person, col(Person.id) == Booking.booked_by_id)
        .where(Booking.pupil_id == pupil_id, Booking.term_id == term_id)
    ).first()
    if row is None:
        return None
    booking, slot, by = row
    return BookingPublic(
        talk_time_id=booking.talk_time_id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        place=slot.place,
        booked_by=_name(by),
    )


def last_term(session: Session, *, pupil_id: int, before: date) -> LastTermPublic | None:
    """The pupil's plan of the latest term that began before this one: its goals, each
    with its last rating, and its agreements with how they went."""
    row = session.exec(
        select(Plan, Term)
        .join(Term, col(Term.id) == Plan.term_id)
        .where(Plan.pupil_id == pupil_id, Term.starts_on < before)
        .order_by(col(Term.starts_on).desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    plan, term = row
    goals = list(
        session.exec(
            select(Goal)
            .where(Goal.plan_id == plan.id, col(Goal.retired_at).is_(None))
            .order_by(col(Goal.position), col(Goal.id))
        )
    )
    latest: dict[int, SelfAssessment] = {}
    if goals:
        for rating in session.exec(
            select(SelfAssessment)
            .where(col(SelfAssessment.goal_id).in_([g.id for g in goals]))
            .order_by(col(SelfAssessment.created_at), col(SelfAssessment.id))
        ):
            latest[rating.goal_id] = rating
    agreements = session.exec(
        select(Agreement).where(Agreement.plan_id == plan.id).order_by(col(Agreement.id))
    ).all()
    return LastTermPublic(
        term=term.code,
        state=plan.state,
        plan_id=plan.id or 0,
        agreements=[
            LastAgreementPublic(
                text=a.text, party=a.party, state=a.state, follow_up_comment=a.follow_up_comment
            )
            for a in agreements
        ],
        goals=[
            LastGoalPublic(
                id=g.id or 0,
                area=g.area,
                text=g.text,
                level=latest[g.id].level if g.id in latest else None,
                rated_at=latest[g.id].created_at if g.id in latest else None,
            )
            for g in goals
        ],
    )


def draft_of(session: Session, *, plan_id: int) -> TalkDraftPublic:
    draft = session.get(TalkDraft, plan_id)
    if draft is None:
        return TalkDraftPublic(text="", version=0)
    session.refresh(draft)
    by = session.get(Person, draft.updated_by_id) if draft.updated_by_id else None
    return TalkDraftPublic(
        text=draft.text,
        version=draft.version,
        updated_at=draft.updated_at,
        updated_by=_name(by) or None,
    )


def compilation(
    session: Session, *, pupil_id: int, today: date, zone: ZoneInfo
) -> CompilationPublic:
    """Everything for one pupil's talk (staff only: the access policy decides who)."""
    pupil = session.get(Person, pupil_id)
    if pupil is None:
        raise NotFound()
    found = plan_this_term(session, pupil_id=pupil_id, today=today)
    notes = notes_of(session, pupil_id=pupil_id, shared_only=False, namer=Namer.everyone())
    if found is None:
        return CompilationPublic(
            pupil_id=pupil_id,
            pupil=_name(pupil),
            plan=None,
            notes=notes,
            preparations=[],
            booking=None,
            last_term=None,
            draft=TalkDraftPublic(text="", version=0),
            held=False,
        )
    plan, term = found
    assert plan.id is not None and term.id is not None
    since = datetime.combine(term.starts_on, time(), tzinfo=zone)
    return CompilationPublic(
        pupil_id=pupil_id,
        pupil=_name(pupil),
        plan=plan_of(session, pupil_id=pupil_id, today=today, namer=Namer.everyone()),
        notes=[n for n in notes if n.created_at >= since],
        preparations=preparations(session, pupil_id=pupil_id, plan_id=plan.id, term_id=term.id),
        booking=booking_of(session, pupil_id=pupil_id, term_id=term.id),
        last_term=last_term(session, pupil_id=pupil_id, before=term.starts_on),
        draft=draft_of(session, plan_id=plan.id),
        held=plan.state
        in {PlanState.HELD, PlanState.SIGNED, PlanState.FOLLOWED_UP, PlanState.ARCHIVED},
    )


def _mentor_only(relation: Relation) -> None:
    if relation is not Relation.MENTOR:
        raise Forbidden("not_mentor", N_("Only the pupil's mentor can do this."))


def _plan(session: Session, *, pupil_id: int, today: date) -> Plan:
    """The plan to write to: 404 without one this term, 409 `archived` when it is."""
    found = plan_this_term(session, pupil_id=pupil_id, today=today)
    if found is None:
        raise NotFound("no_plan", N_("The pupil has no plan this term."))
    plan, _term = found
    assert plan.id is not None
    refuse_archived(plan.state, plan.id)
    return plan


def _plan_id(session: Session, *, pupil_id: int, today: date) -> int:
    plan_id = _plan(session, pupil_id=pupil_id, today=today).id
    assert plan_id is not None
    return plan_id


def check_draft(text: str) -> str:
    if len(text) > DRAFT_MAX:
        raise FormError({"text": N_("The draft is too long. Write at most 10000 characters.")})
    if has_control_characters(text):
        raise FormError(
            {"text": N_("The draft has a sign in it that we cannot save. Write it without it.")}
        )
    return text.replace("\r\n", "\n")


def save_draft(
    session: Session, *, access: Access, text: str, version: int, today: date
) -> TalkDraftPublic:
    """The mentor's draft, if nobody has saved it since `version` (0: not written yet);
    else 409 with the draft as it is now, so she sees both texts."""
    _mentor_only(access.relation)
    text = check_draft(text)
    plan_id = _plan_id(session, pupil_id=access.pupil_id, today=today)
    by_id = access.viewer.person_id
    values: dict[str, Any] = {"text": text, "updated_by_id": by_id, "updated_at": utcnow()}
    stale = False
    if version == 0:
        try:
            with session.begin_nested():
                session.add(TalkDraft(plan_id=plan_id, version=1, **values))
        except IntegrityError:
            stale = True
    else:
        result = session.connection().execute(
            update(TalkDraft)
            .where(col(TalkDraft.plan_id) == plan_id, col(TalkDraft.version) == version)
            .values(version=col(TalkDraft.version) + 1, **values)
        )
        stale = result.rowcount == 0
    session.commit()
    now = draft_of(session, plan_id=plan_id)
    if stale:
        raise Conflict(current=msgspec.to_builtins(now))
    return now


def held_too_early(
    session: Session, *, access: Access, today: date, now: datetime
) -> BookingPublic | None:
    """The booked time, when marking the talk held now would come before it: the page then
    asks first (issue 22, item 7), since a talk marked held before its time is most likely a
    slip or the wrong pupil. None when it is done at once: the time has begun, no time is
    booked (a talk arranged outside the app), or the plan is past `preparing` (nothing
    changes). Changes nothing; the same refusals as mark_held."""
    _mentor_only(access.relation)
    plan = _plan(session, pupil_id=access.pupil_id, today=today)
    if plan.state not in (PlanState.DRAFT, PlanState.PREPARING):
        return None
    booking = booking_of(session, pupil_id=access.pupil_id, term_id=plan.term_id)
    return booking if booking is not None and booking.starts_at > now else None


def mark_held(session: Session, *, access: Access, today: date) -> bool:
    """ "Samtalet är hållet": the plan moves to held, recorded as a plan event (once).
    Returns whether it moved now."""
    _mentor_only(access.relation)
    plan_id = _plan_id(session, pupil_id=access.pupil_id, today=today)
    result = session.connection().execute(
        update(Plan)
        .where(
            col(Plan.id) == plan_id,
            col(Plan.state).in_([PlanState.DRAFT.value, PlanState.PREPARING.value]),
        )
        .values(state=PlanState.HELD.value, version=col(Plan.version) + 1)
    )
    moved = bool(result.rowcount)
    if moved:
        session.add(
            PlanEvent(plan_id=plan_id, state=PlanState.HELD.value, by_id=access.viewer.person_id)
        )
    session.commit()
    return moved
