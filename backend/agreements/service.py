"""After the talk: the mentor's written plan (that the talk was held, who took part, the
summary of measures, next term's goals), the agreements, their signatures and follow-up,
and the plan's state as it follows from them (DESIGN: draft → preparing → held → signed →
followed_up → archived, every move recorded). The family sees the written plan once the
mentor has published it; only the mentor writes; an archived plan refuses every write."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.access import Relation, namer_for
from backend.agreements import signing
from backend.agreements.schemas import (
    AGREEMENT_MAX,
    COMMENT_MAX,
    MEASURES_MAX,
    AgreementPublic,
    SignerPublic,
    SummaryPublic,
    SummaryUpdate,
)
from backend.errors import Conflict, Forbidden, FormError, NotFound
from backend.i18n import N_
from backend.models import (
    Agreement,
    AgreementState,
    Group,
    GroupMentor,
    GroupPupil,
    Guardianship,
    Party,
    Person,
    Plan,
    PlanEvent,
    PlanState,
    Signature,
    Summary,
    Term,
    utcnow,
)
from backend.names import Namer
from backend.notifications.service import Kind, notify
from backend.plans.service import plan_this_term, refuse_archived
from backend.settings import Settings
from backend.terms.service import years_of
from backend.web import has_control_characters

SIGNERS = frozenset({Relation.SELF, Relation.GUARDIAN, Relation.MENTOR})
AFTER_TALK = frozenset({PlanState.HELD, PlanState.SIGNED, PlanState.FOLLOWED_UP})
FOLLOWED = frozenset({AgreementState.DONE, AgreementState.NOT_DONE})

NO_PLAN = N_("The pupil has no plan this term.")
NOT_PUBLISHED = N_("The written plan has not been published yet.")


class Parties(msgspec.Struct, frozen=True, kw_only=True):
    """Who signs the pupil's agreements: she, each guardian with access (a restricted
    guardian is never asked, and never shown), and one of her mentors."""

    pupil: tuple[int, str, str, str]  # id, given name, family name, security marking
    guardians: list[tuple[int, str, str, str]]
    mentors: list[tuple[int, str, str, str]]


def parties_of(session: Session, *, pupil_id: int) -> Parties:
    pupil = session.get(Person, pupil_id)
    if pupil is None:
        raise NotFound()
    guardians = session.exec(
        select(Person.id, Person.given_name, Person.family_name, Person.security_marking)
        .join(Guardianship, col(Guardianship.guardian_id) == Person.id)
        .where(Guardianship.pupil_id == pupil_id, col(Guardianship.has_access).is_(True))
        .order_by(col(Person.given_name), col(Person.id))
    ).all()
    mentors = session.exec(
        select(Person.id, Person.given_name, Person.family_name, Person.security_marking)
        .join(GroupMentor, col(GroupMentor.mentor_id) == Person.id)
        .join(GroupPupil, col(GroupPupil.group_id) == GroupMentor.group_id)
        .where(GroupPupil.pupil_id == pupil_id)
        .distinct()
        .order_by(col(Person.given_name), col(Person.id))
    ).all()
    assert pupil.id is not None
    return Parties(
        pupil=(pupil.id, pupil.given_name, pupil.family_name, pupil.security_marking),
        guardians=[(int(i or 0), g, f, m) for i, g, f, m in guardians],
        mentors=[(int(i or 0), g, f, m) for i, g, f, m in mentors],
    )


# Reading ----------------------------------------------------------------------------------


def _required(session: Session, *, pupil_id: int, term: Term) -> bool:
    year = session.exec(
        select(Group.school_year)
        .join(GroupPupil, col(GroupPupil.group_id) == Group.id)
        .where(GroupPupil.pupil_id == pupil_id, Group.school_id == term.school_id)
    ).first()
    return year is not None and year in years_of(term.summary_years)


def summary_public(
    session: Session, *, plan: Plan, term: Term, pupil_id: int, summary: Summary | None
) -> SummaryPublic:
    assert plan.id is not None
    s = summary or Summary(plan_id=plan.id, version=0)
    return SummaryPublic(
        plan_id=plan.id,
        term=term.code,
        state=plan.state,
        held_on=s.held_on,
        participants=s.participants,
        measures_school=s.measures_school,
        measures_pupil=s.measures_pupil,
        measures_home=s.measures_home,
        next_goals=s.next_goals,
        required=_required(session, pupil_id=pupil_id, term=term),
        version=s.version,
        published_at=s.published_at,
    )


def _this_plan(session: Session, *, pupil_id: int, today: date) -> tuple[Plan, Term]:
    found = plan_this_term(session, pupil_id=pupil_id, today=today)
    if found is None:
        raise NotFound("no_plan", NO_PLAN)
    return found


def summary_of(
    session: Session, *, pupil_id: int, relation: Relation, today: date
) -> SummaryPublic:
    """This term's written plan; the family sees it once it is published."""
    plan, term = _this_plan(session, pupil_id=pupil_id, today=today)
    summary = session.get(Summary, plan.id)
    if relation not in {Relation.MENTOR, Relation.TEACHER, Relation.PRINCIPAL} and (
        summary is None or summary.published_at is None
    ):
        raise NotFound("not_published", NOT_PUBLISHED)
    return summary_public(session, plan=plan, term=term, pupil_id=pupil_id, summary=summary)


def agreements_of(
    session: Session, *, plan_id: int, pupil_id: int, settings: Settings, namer: Namer
) -> list[AgreementPublic]:
    """The plan's agreements, each with its signers: who has signed the text as it is now
    (and whether the stored signature verifies), and who is still asked, named as `namer`
    allows (a protected guardian is "a guardian" to the other household)."""
    agreements = session.exec(
        select(Agreement).where(Agreement.plan_id == plan_id).order_by(col(Agreement.id))
    ).all()
    if not agreements:
        return []
    parties = parties_of(session, pupil_id=pupil_id)
    signatures = session.exec(
        select(Signature).where(
            col(Signature.agreement_id).in_([a.id for a in agreements]),
            col(Signature.voided_at).is_(None),
        )
    ).all()
    return [
        _agreement_public(a, parties=parties, signatures=signatures, settings=settings, namer=namer)
        for a in agreements
    ]


def _agreement_public(
    a: Agreement, *, parties: Parties, signatures: Any, settings: Settings, namer: Namer
) -> AgreementPublic:
    assert a.id is not None
    mine = {s.signer_id: s for s in signatures if s.agreement_id == a.id}
    live = signing.canonical(a, pupil_id=parties.pupil[0])

    def signer(role: str, person_id: int, given: str, family: str, marking: str) -> SignerPublic:
        s = mine.get(person_id)
        name = namer.name(
            person_id=person_id, given=given, family=family, marking=marking, role=role
        )
        given = namer.given(person_id=person_id, given=given, marking=marking, role=role)
        if s is None:
            return SignerPublic(role=role, name=name, given_name=given)
        return SignerPublic(
            role=role,
            name=name,
            given_name=given,
            signed_at=s.signed_at,
            verified=signing.verify(s, live=live, settings=settings) is None,
        )

    signers = [signer("self", *parties.pupil)]
    signers += [signer("guardian", *g) for g in parties.guardians]
    mentor = next((m for m in parties.mentors if m[0] in mine), None)
    if mentor is not None:
        signers.append(signer("mentor", *mentor))
    elif parties.mentors:  # any one of her mentors signs for the school
        signers.append(
            SignerPublic(
                role="mentor",
                name=" / ".join(
                    namer.name(person_id=i, given=g, family=f, marking=m, role="mentor")
                    for i, g, f, m in parties.mentors
                ),
                given_name=" / ".join(
                    namer.given(person_id=i, given=g, marking=m, role="mentor")
                    for i, g, _f, m in parties.mentors
                ),
            )
        )
    return AgreementPublic(
        id=a.id,
        plan_id=a.plan_id,
        text=a.text,
        party=a.party,
        due_on=a.due_on,
        state=a.state,
        version=a.version,
        signers=signers,
        progress_at=a.progress_at,
        progress_comment=a.progress_comment,
        followed_up_at=a.followed_up_at,
        follow_up_comment=a.follow_up_comment,
    )


def _all_signed(a: AgreementPublic) -> bool:
    return all(s.signed_at is not None for s in a.signers)


# The plan's state follows from its agreements ------------------------------------------------


def _move(session: Session, *, plan: Plan, state: PlanState, by_id: int | None) -> None:
    if plan.state == state:
        return
    assert plan.id is not None
    session.execute(
        update(Plan)
        .where(col(Plan.id) == plan.id)
        .values(state=state.value, version=col(Plan.version) + 1)
    )
    session.add(PlanEvent(plan_id=plan.id, state=state.value, by_id=by_id))
    session.expire(plan)


def advance(
    session: Session, *, plan: Plan, pupil_id: int, settings: Settings, by_id: int | None
) -> None:
    """Each agreement signed by every party becomes `signed`; the published plan is
    `signed` when all its agreements are, `followed_up` when all are followed up, and
    `held` again when a change left one unsigned. Flushed, not committed."""
    assert plan.id is not None
    summary = session.get(Summary, plan.id)
    if plan.state not in AFTER_TALK or summary is None or summary.published_at is None:
        return
    agreements = agreements_of(
        session, plan_id=plan.id, pupil_id=pupil_id, settings=settings, namer=Namer.everyone()
    )
    for a in agreements:
        if a.state == AgreementState.OPEN and _all_signed(a):
            session.execute(
                update(Agreement)
                .where(col(Agreement.id) == a.id, col(Agreement.version) == a.version)
                .values(state=AgreementState.SIGNED.value)
            )
            a.state = AgreementState.SIGNED
    states = {a.state for a in agreements}
    if not agreements:
        target = PlanState.HELD
    elif states <= FOLLOWED:
        target = PlanState.FOLLOWED_UP
    elif AgreementState.OPEN not in states:
        target = PlanState.SIGNED
    else:
        target = PlanState.HELD
    _move(session, plan=plan, state=target, by_id=by_id)


# Writing -----------------------------------------------------------------------------------


def _mentor_only(relation: Relation) -> None:
    if relation is not Relation.MENTOR:
        raise Forbidden("not_mentor", N_("Only the pupil's mentor can do this."))


def _writable(plan: Plan) -> None:
    refuse_archived(plan.state, int(plan.id or 0))


def _text(value: str, field: str, limit: int, errors: dict[str, str]) -> str:
    value = value.replace("\r\n", "\n").strip()
    if len(value) > limit:
        errors[field] = N_("The text is too long.")
    elif has_control_characters(value):
        errors[field] = N_("The text has a sign in it that we cannot save. Write it without it.")
    return value


def check_summary(data: SummaryUpdate) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"held_on": data.held_on}
    values["participants"] = _text(data.participants, "participants", 500, errors)
    for field in ("measures_school", "measures_pupil", "measures_home", "next_goals"):
        values[field] = _text(getattr(data, field), field, MEASURES_MAX, errors)
    if errors:
        raise FormError(errors)
    return values


def save_summary(
    session: Session,
    *,
    pupil_id: int,
    relation: Relation,
    by_id: int,
    data: SummaryUpdate,
    today: date,
) -> SummaryPublic:
    """The mentor's talk record and summary, if nobody saved it since `data.version`; else
    409 with it as it is now. A date for the talk moves the plan to `held`."""
    _mentor_only(relation)
    plan, term = _this_plan(session, pupil_id=pupil_id, today=today)
    _writable(plan)
    values = check_summary(data)
    if values["held_on"] is not None and values["held_on"] > today:
        raise FormError({"held_on": N_("The talk cannot have been held after today.")})
    assert plan.id is not None
    values |= {"updated_by_id": by_id, "updated_at": utcnow()}
    stale = False
    if data.version == 0:
        try:
            with session.begin_nested():
                session.add(Summary(plan_id=plan.id, version=1, **values))
        except IntegrityError:
            stale = True
    else:
        result = session.connection().execute(
            update(Summary)
            .where(col(Summary.plan_id) == plan.id, col(Summary.version) == data.version)
            .values(version=col(Summary.version) + 1, **values)
        )
        stale = result.rowcount == 0
    if (
        not stale
        and values["held_on"] is not None
        and plan.state
        in {
            PlanState.DRAFT,
            PlanState.PREPARING,
        }
    ):
        _move(session, plan=plan, state=PlanState.HELD, by_id=by_id)
    session.commit()
    summary = session.get(Summary, plan.id)
    session.refresh(plan)
    now = summary_public(session, plan=plan, term=term, pupil_id=pupil_id, summary=summary)
    if stale:
        raise Conflict(current=msgspec.to_builtins(now))
    return now


def publish(
    session: Session,
    *,
    pupil_id: int,
    relation: Relation,
    by_id: int,
    settings: Settings,
) -> SummaryPublic:
    """The written plan reaches pupil and guardians, who are told and asked to sign. It
    needs the talk's date, and the summary of measures where the term asks for one."""
    _mentor_only(relation)
    today = settings.today()
    plan, term = _this_plan(session, pupil_id=pupil_id, today=today)
    _writable(plan)
    assert plan.id is not None
    summary = session.get(Summary, plan.id)
    if summary is None or summary.held_on is None:
        raise FormError({"held_on": N_("Write the date the talk was held before you publish.")})
    measures = (summary.measures_school, summary.measures_pupil, summary.measures_home)
    if _required(session, pupil_id=pupil_id, term=term) and not any(m.strip() for m in measures):
        raise FormError(
            {
                "measures_school": N_(
                    "In this school year the written plan needs a summary of measures: write "
                    "what school, pupil or home will do."
                )
            }
        )
    if summary.published_at is None:
        summary.published_at = utcnow()
        summary.published_by_id = by_id
        session.add(summary)
        parties = parties_of(session, pupil_id=pupil_id)
        family = [parties.pupil[0], *(g[0] for g in parties.guardians)]
        notify(
            session,
            person_ids=family,
            kind=Kind.PLAN_PUBLISHED,
            day=today,
            pupil_id=pupil_id,
            actor_id=by_id,
        )
    session.flush()
    advance(session, plan=plan, pupil_id=pupil_id, settings=settings, by_id=by_id)
    session.commit()
    session.refresh(plan)
    return summary_public(session, plan=plan, term=term, pupil_id=pupil_id, summary=summary)


def check_agreement(
    *, text: str, party: str, due_on: str | date | None, errors: dict[str, str] | None = None
) -> tuple[str, Party, date]:
    errors = {} if errors is None else errors
    text = _text(text, "text", AGREEMENT_MAX, errors)
    if not text and "text" not in errors:
        errors["text"] = N_("Write what is agreed.")
    if party not in {p.value for p in Party}:
        errors["party"] = N_("Choose who does it: the pupil, the school or the home.")
    day: date | None = None
    if isinstance(due_on, date):
        day = due_on
    elif due_on:
        try:
            day = date.fromisoformat(due_on)
        except ValueError:
            day = None
    if day is None:
        errors["due_on"] = N_("Write a date by when, like 2026-12-18.")
    if errors:
        raise FormError(errors)
    assert day is not None
    return text, Party(party), day


def create_agreement(
    session: Session,
    *,
    pupil_id: int,
    relation: Relation,
    by_id: int,
    text: str,
    party: str,
    due_on: str | date | None,
    settings: Settings,
) -> AgreementPublic:
    _mentor_only(relation)
    plan, _term = _this_plan(session, pupil_id=pupil_id, today=settings.today())
    _writable(plan)
    text, who, day = check_agreement(text=text, party=party, due_on=due_on)
    assert plan.id is not None
    agreement = Agreement(plan_id=plan.id, text=text, party=who, due_on=day, created_by_id=by_id)
    session.add(agreement)
    session.flush()
    advance(session, plan=plan, pupil_id=pupil_id, settings=settings, by_id=by_id)
    session.commit()
    return one(session, agreement=agreement, pupil_id=pupil_id, settings=settings)


def one(
    session: Session,
    *,
    agreement: Agreement,
    pupil_id: int,
    settings: Settings,
    namer: Namer | None = None,
) -> AgreementPublic:
    """One agreement with its signers; `namer` None: for the mentor who changed it."""
    session.refresh(agreement)
    assert agreement.id is not None
    signatures = session.exec(
        select(Signature).where(
            Signature.agreement_id == agreement.id, col(Signature.voided_at).is_(None)
        )
    ).all()
    parties = parties_of(session, pupil_id=pupil_id)
    return _agreement_public(
        agreement,
        parties=parties,
        signatures=signatures,
        settings=settings,
        namer=namer or Namer.everyone(),
    )


def agreement_of(session: Session, *, agreement_id: int, pupil_id: int) -> tuple[Agreement, Plan]:
    row = session.exec(
        select(Agreement, Plan)
        .join(Plan, col(Plan.id) == Agreement.plan_id)
        .where(Agreement.id == agreement_id, Plan.pupil_id == pupil_id)
    ).first()
    if row is None:
        raise NotFound()
    return row[0], row[1]


def update_agreement(
    session: Session,
    *,
    agreement_id: int,
    pupil_id: int,
    relation: Relation,
    by_id: int,
    version: int,
    settings: Settings,
    text: str | None = None,
    party: str | None = None,
    due_on: str | date | None = None,
) -> AgreementPublic:
    """A change based on `version` (else 409 with the agreement as it is now). Any change
    voids the signatures over the older text, tells those who signed, and asks again."""
    _mentor_only(relation)
    agreement, plan = agreement_of(session, agreement_id=agreement_id, pupil_id=pupil_id)
    _writable(plan)
    new_text, new_party, new_day = check_agreement(
        text=agreement.text if text is None else text,
        party=agreement.party if party is None else party,
        due_on=agreement.due_on if due_on is None else due_on,
    )
    if agreement.version != version:
        raise Conflict(
            current=msgspec.to_builtins(
                one(session, agreement=agreement, pupil_id=pupil_id, settings=settings)
            )
        )
    if (new_text, new_party.value, new_day) == (agreement.text, agreement.party, agreement.due_on):
        return one(session, agreement=agreement, pupil_id=pupil_id, settings=settings)
    result = session.connection().execute(
        update(Agreement)
        .where(col(Agreement.id) == agreement_id, col(Agreement.version) == version)
        .values(
            text=new_text,
            party=new_party.value,
            due_on=new_day,
            version=col(Agreement.version) + 1,
            state=AgreementState.OPEN.value,
            updated_at=utcnow(),
            progress_at=None,
            progress_comment="",
            followed_up_at=None,
            followed_up_by_id=None,
            follow_up_comment="",
        )
    )
    if result.rowcount == 0:
        session.rollback()
        raise Conflict(
            current=msgspec.to_builtins(
                one(session, agreement=agreement, pupil_id=pupil_id, settings=settings)
            )
        )
    signed = session.exec(
        select(Signature.signer_id).where(
            Signature.agreement_id == agreement_id, col(Signature.voided_at).is_(None)
        )
    ).all()
    if signed:
        session.execute(
            update(Signature)
            .where(col(Signature.agreement_id) == agreement_id, col(Signature.voided_at).is_(None))
            .values(voided_at=utcnow())
        )
        notify(
            session,
            person_ids=[i for i in signed if i is not None and i != by_id],
            kind=Kind.AGREEMENT_CHANGED,
            day=settings.today(),
            pupil_id=pupil_id,
            actor_id=by_id,
        )
    session.expire(agreement)
    advance(session, plan=plan, pupil_id=pupil_id, settings=settings, by_id=by_id)
    session.commit()
    return one(session, agreement=agreement, pupil_id=pupil_id, settings=settings)


# Signing -----------------------------------------------------------------------------------


class NotAParty(Forbidden):
    default_reason = "not_a_party"
    default_message = N_(
        "Only the pupil, her guardians and her mentor sign the agreements of her plan."
    )


def _published_plan(session: Session, plan: Plan) -> None:
    _writable(plan)
    summary = session.get(Summary, plan.id)
    if summary is None or summary.published_at is None:
        raise NotFound("not_published", NOT_PUBLISHED)


def waiting_for(
    session: Session, *, agreements: list[AgreementPublic], signer_id: int
) -> list[int]:
    """Of `agreements`, those still open that this person has not signed as they are now
    (one query)."""
    ids = [a.id for a in agreements if a.state == AgreementState.OPEN]
    if not ids:
        return []
    signed = set(
        session.exec(
            select(Signature.agreement_id, Signature.agreement_version).where(
                Signature.signer_id == signer_id,
                col(Signature.agreement_id).in_(ids),
                col(Signature.voided_at).is_(None),
            )
        ).all()
    )
    return [a.id for a in agreements if a.id in ids and (a.id, a.version) not in signed]


def signing_options(
    session: Session,
    *,
    agreement_id: int,
    pupil_id: int,
    relation: Relation,
    signer_id: int,
    every: bool,
    settings: Settings,
) -> str:
    if relation not in SIGNERS:
        raise NotAParty()
    _agreement, plan = agreement_of(session, agreement_id=agreement_id, pupil_id=pupil_id)
    _published_plan(session, plan)
    assert plan.id is not None
    waiting = waiting_for(
        session,
        agreements=agreements_of(
            session, plan_id=plan.id, pupil_id=pupil_id, settings=settings, namer=Namer.everyone()
        ),
        signer_id=signer_id,
    )
    if agreement_id not in waiting:
        refusal = Conflict({"agreement_id": agreement_id}, reason="already_signed")
        refusal.message = N_("You have already signed this agreement.")
        raise refusal
    ids = waiting if every else [agreement_id]
    agreements = session.exec(
        select(Agreement).where(col(Agreement.id).in_(ids)).order_by(col(Agreement.id))
    ).all()
    return signing.options(
        session,
        settings=settings,
        signer_id=signer_id,
        pupil_id=pupil_id,
        agreements=agreements,
    )


def sign(
    session: Session,
    *,
    agreement_id: int,
    pupil_id: int,
    relation: Relation,
    signer_id: int,
    credential: dict[str, object],
    settings: Settings,
) -> list[int]:
    if relation not in SIGNERS:
        raise NotAParty()
    _agreement, plan = agreement_of(session, agreement_id=agreement_id, pupil_id=pupil_id)
    _published_plan(session, plan)
    signatures = signing.finish(
        session,
        settings=settings,
        credential=credential,
        signer_id=signer_id,
        role=relation.value,
        agreement_id=agreement_id,
        pupil_id=pupil_id,
    )
    advance(session, plan=plan, pupil_id=pupil_id, settings=settings, by_id=signer_id)
    session.commit()
    return [s.agreement_id for s in signatures]


def signature_id(session: Session, *, agreement_id: int, signer_id: int) -> int:
    found = session.exec(
        select(Signature.id)
        .where(Signature.agreement_id == agreement_id, Signature.signer_id == signer_id)
        .order_by(col(Signature.id).desc())
    ).first()
    return int(found or 0)


# Follow-up ---------------------------------------------------------------------------------


def _comment(value: str) -> str:
    errors: dict[str, str] = {}
    value = _text(value, "comment", COMMENT_MAX, errors)
    if errors:
        raise FormError(errors)
    return value


def mark_progress(
    session: Session,
    *,
    agreement_id: int,
    pupil_id: int,
    relation: Relation,
    comment: str,
    settings: Settings,
) -> AgreementPublic:
    """The pupil marks her own part done (an agreement the pupil carries out)."""
    if relation is not Relation.SELF:
        raise Forbidden("not_pupil", N_("Only the pupil marks her own part done."))
    agreement, plan = agreement_of(session, agreement_id=agreement_id, pupil_id=pupil_id)
    _published_plan(session, plan)
    if agreement.party != Party.PUPIL:
        raise Forbidden("not_your_part", N_("This agreement is not yours to carry out."))
    checked = _comment(comment)  # before anything of the row changes
    agreement.progress_at = utcnow()
    agreement.progress_comment = checked
    session.add(agreement)
    session.commit()
    namer = namer_for(viewer_id=pupil_id, pupil_id=pupil_id, relation=relation)
    return one(session, agreement=agreement, pupil_id=pupil_id, settings=settings, namer=namer)


def follow_up(
    session: Session,
    *,
    agreement_id: int,
    pupil_id: int,
    relation: Relation,
    by_id: int,
    done: bool,
    comment: str,
    settings: Settings,
) -> AgreementPublic:
    """The mentor confirms an agreement done or not done; when every agreement is followed
    up, the plan is."""
    _mentor_only(relation)
    agreement, plan = agreement_of(session, agreement_id=agreement_id, pupil_id=pupil_id)
    _published_plan(session, plan)
    checked = _comment(comment)  # before anything of the row changes
    agreement.state = (AgreementState.DONE if done else AgreementState.NOT_DONE).value
    agreement.follow_up_comment = checked
    agreement.followed_up_at = utcnow()
    agreement.followed_up_by_id = by_id
    session.add(agreement)
    session.flush()
    advance(session, plan=plan, pupil_id=pupil_id, settings=settings, by_id=by_id)
    session.commit()
    return one(session, agreement=agreement, pupil_id=pupil_id, settings=settings)
