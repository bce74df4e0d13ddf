"""Export one pupil's whole history in the open format (schemas.py, docs/exchange.md), in
a fixed number of queries whatever the number of terms, goals or signatures.

Everything the family may read is in it, and what staff wrote for the family: goals,
self-assessments with replies, every preparation (a guardian's unshared one too: it is the
family's own data), the written summary, agreements with their follow-up and signatures.
Never: staff-only running notes, the talk draft, the read log, audit entries."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlmodel import Session, col, func, select
from webauthn.helpers import bytes_to_base64url

from backend import i18n
from backend.agreements.signing import canonical
from backend.errors import NotFound
from backend.exchange import schemas as x
from backend.models import (
    Agreement,
    Answer,
    Goal,
    Group,
    GroupPupil,
    Person,
    Plan,
    PlanEvent,
    Preparation,
    Question,
    Reply,
    School,
    SelfAssessment,
    Signature,
    Summary,
    Term,
    utcnow,
)
from backend.settings import Settings
from backend.terms.questions import wording


def _b64(value: bytes) -> str:
    return bytes_to_base64url(value)


def _school(school: School, settings: Settings) -> x.School:
    """A school with the relying party its signatures were made for: its own when it is
    another installation's (imported), else this installation's."""
    return x.School(
        name=school.name,
        unit_code=school.unit_code,
        rp_id=school.rp_id or settings.rp_id,
        origin=school.origin or settings.origin,
    )


def export(session: Session, *, pupil_id: int, settings: Settings) -> x.ExchangeDocument:
    """The pupil's whole history, every term oldest first. 404: no such person."""
    pupil = session.get(Person, pupil_id)
    if pupil is None:
        raise NotFound()
    rows = session.exec(
        select(Plan, Term, School)
        .join(Term, col(Term.id) == Plan.term_id)
        .join(School, col(School.id) == Term.school_id)
        .where(Plan.pupil_id == pupil_id)
        .order_by(col(Term.starts_on), col(Plan.id))
    ).all()
    home = _home(session, pupil_id=pupil_id)
    if home is None and rows:  # in no group here: the school of her latest term
        _plan, _term, home = rows[-1]
    plan_ids = [int(plan.id or 0) for plan, _term, _school in rows]
    schools = {int(s.id or 0): _school(s, settings) for _p, _t, s in rows}
    events = _events(session, plan_ids)
    goals = _goals(session, plan_ids)
    preparations = _preparations(session, plan_ids)
    summaries = {
        s.plan_id: s
        for s in session.exec(select(Summary).where(col(Summary.plan_id).in_(plan_ids))).all()
    }
    agreements = _agreements(session, plan_ids, pupil_id=pupil_id)
    terms = []
    for plan, term, school in rows:
        assert plan.id is not None
        summary = summaries.get(plan.id)
        terms.append(
            x.Term(
                code=term.code,
                starts_on=term.starts_on,
                ends_on=term.ends_on,
                school=schools[int(school.id or 0)],
                state=plan.imported_state or plan.state,  # type: ignore[arg-type]
                events=events[plan.id],
                goals=goals[plan.id],
                preparations=preparations[plan.id],
                summary=_summary(summary) if summary is not None else None,
                agreements=agreements[plan.id],
            )
        )
    return x.ExchangeDocument(
        format=x.FORMAT,
        exported_at=utcnow(),
        school=(
            _school(home, settings)
            if home is not None
            else x.School(name="", unit_code=None, rp_id=settings.rp_id, origin=settings.origin)
        ),
        pupil=x.Pupil(
            external_id=pupil.external_id,
            given_name=pupil.given_name,
            family_name=pupil.family_name,
        ),
        terms=terms,
    )


def _home(session: Session, *, pupil_id: int) -> School | None:
    """The school she belongs to here (her group's), which sends the document."""
    return session.exec(
        select(School)
        .join(Group, col(Group.school_id) == School.id)
        .join(GroupPupil, col(GroupPupil.group_id) == Group.id)
        .where(GroupPupil.pupil_id == pupil_id)
        .order_by(col(School.id))
    ).first()


def _summary(summary: Summary) -> x.Summary:
    return x.Summary(
        held_on=summary.held_on,
        participants=summary.participants,
        measures_school=summary.measures_school,
        measures_pupil=summary.measures_pupil,
        measures_home=summary.measures_home,
        next_goals=summary.next_goals,
        published_at=summary.published_at,
    )


def _events(session: Session, plan_ids: list[int]) -> dict[int, list[x.Event]]:
    found: dict[int, list[x.Event]] = defaultdict(list)
    for event, person in session.exec(
        select(PlanEvent, Person)
        .outerjoin(Person, col(Person.id) == PlanEvent.by_id)
        .where(col(PlanEvent.plan_id).in_(plan_ids))
        .order_by(col(PlanEvent.at), col(PlanEvent.id))
    ).all():
        found[event.plan_id].append(
            x.Event(
                state=event.state,  # type: ignore[arg-type]
                by=event.by_name or (person.name if person is not None else ""),
                at=event.at,
            )
        )
    return found


def _goals(session: Session, plan_ids: list[int]) -> dict[int, list[x.Goal]]:
    """In force first, then retired, each with every rating and its replies (two queries)."""
    rows = session.exec(
        select(Goal, SelfAssessment)
        .outerjoin(SelfAssessment, col(SelfAssessment.goal_id) == Goal.id)
        .where(col(Goal.plan_id).in_(plan_ids))
        .order_by(
            col(Goal.plan_id),
            col(Goal.retired_at).is_not(None),
            col(Goal.position),
            col(Goal.id),
            col(SelfAssessment.created_at),
            col(SelfAssessment.id),
        )
    ).all()
    rating_ids = [int(r.id or 0) for _g, r in rows if r is not None]
    replies: dict[int, list[x.Reply]] = defaultdict(list)
    for reply, author in session.exec(
        select(Reply, Person)
        .outerjoin(Person, col(Person.id) == Reply.author_id)
        .where(col(Reply.self_assessment_id).in_(rating_ids))
        .order_by(col(Reply.created_at), col(Reply.id))
    ).all():
        replies[reply.self_assessment_id].append(
            x.Reply(
                author=reply.author_name or (author.name if author is not None else ""),
                text=reply.text,
                created_at=reply.created_at,
            )
        )
    goals: dict[int, x.Goal] = {}
    found: dict[int, list[x.Goal]] = defaultdict(list)
    for goal, rating in rows:
        assert goal.id is not None
        record = goals.get(goal.id)
        if record is None:
            record = goals[goal.id] = x.Goal(
                area=goal.area,
                text=goal.text,
                how=goal.how,
                retired=goal.retired_at is not None,
                self_assessments=[],
            )
            found[goal.plan_id].append(record)
        if rating is not None:
            record.self_assessments.append(
                x.SelfAssessment(
                    level=rating.level,
                    comment=rating.comment,
                    created_at=rating.created_at,
                    replies=replies[int(rating.id or 0)],
                )
            )
    return found


def _preparations(session: Session, plan_ids: list[int]) -> dict[int, list[x.Preparation]]:
    """Every preparation with an answer: the pupil's first, then each guardian's (shared
    or not: the family's own data). A default question in the school's language."""
    preps = session.exec(
        select(Preparation, Person)
        .outerjoin(Person, col(Person.id) == Preparation.author_id)
        .where(col(Preparation.plan_id).in_(plan_ids))
        .order_by(
            col(Preparation.audience).desc(),
            func.coalesce(col(Person.given_name), col(Preparation.author_name)),
            col(Preparation.id),
        )
    ).all()
    answers: dict[int, list[x.Answer]] = defaultdict(list)
    with i18n.speaking(i18n.DEFAULT):
        for answer, question in session.exec(
            select(Answer, Question)
            .join(Question, col(Question.id) == Answer.question_id)
            .where(
                col(Answer.preparation_id).in_([int(p.id or 0) for p, _a in preps]),
                Answer.text != "",
            )
            .order_by(col(Question.position), col(Question.id))
        ).all():
            answers[answer.preparation_id].append(
                x.Answer(
                    question=wording(
                        stage=question.stage,
                        audience=question.audience,
                        key=question.key,
                        text=question.text,
                    ),
                    text=answer.text,
                )
            )
    found: dict[int, list[x.Preparation]] = defaultdict(list)
    for prep, author in preps:
        if answers.get(int(prep.id or 0)):
            found[prep.plan_id].append(
                x.Preparation(
                    audience=prep.audience,  # type: ignore[arg-type]
                    author=prep.author_name or (author.name if author is not None else ""),
                    answers=answers[int(prep.id or 0)],
                )
            )
    return found


def _agreements(
    session: Session, plan_ids: list[int], *, pupil_id: int
) -> dict[int, list[x.Agreement]]:
    """Each agreement with its canonical bytes now and every signature, whole (two queries)."""
    rows: list[Any] = list(
        session.exec(
            select(Agreement)
            .where(col(Agreement.plan_id).in_(plan_ids))
            .order_by(col(Agreement.plan_id), col(Agreement.created_at), col(Agreement.id))
        ).all()
    )
    signatures: dict[int, list[x.Signature]] = defaultdict(list)
    for s, signer in session.exec(
        select(Signature, Person)
        .outerjoin(Person, col(Person.id) == Signature.signer_id)
        .where(col(Signature.agreement_id).in_([a.id for a in rows]))
        .order_by(col(Signature.signed_at), col(Signature.id))
    ).all():
        signatures[s.agreement_id].append(
            x.Signature(
                signer=x.Signer(
                    name=signer.name if signer is not None else s.signer_name,
                    role=s.role,  # type: ignore[arg-type]
                ),
                signed_at=s.signed_at,
                voided_at=s.voided_at,
                agreement_version=s.agreement_version,
                document=_b64(s.document),
                nonce=_b64(s.nonce),
                bundle=_b64(s.bundle),
                credential_id=_b64(s.credential_id),
                public_key=_b64(s.public_key),
                authenticator_data=_b64(s.authenticator_data),
                client_data_json=_b64(s.client_data_json),
                signature=_b64(s.signature),
                user_handle=_b64(s.user_handle),
            )
        )
    found: dict[int, list[x.Agreement]] = defaultdict(list)
    for a in rows:
        found[a.plan_id].append(
            x.Agreement(
                text=a.text,
                party=a.party,
                due_on=a.due_on,
                version=a.version,
                state=a.state,
                canonical=_b64(canonical(a, pupil_id=pupil_id)),
                progress_at=a.progress_at,
                progress_comment=a.progress_comment,
                followed_up_at=a.followed_up_at,
                follow_up_comment=a.follow_up_comment,
                signatures=signatures[int(a.id or 0)],
            )
        )
    return found
