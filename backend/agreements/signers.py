"""The agreements as everyone reads them: who signs the pupil's agreements (she, each
guardian with access, one of her mentors), who has signed the text as it is now (and
whether the stored signature verifies), and the plan's state that follows from them
(DESIGN: held → signed → followed_up, every move recorded)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import update
from sqlmodel import Session, col, select

from backend.access import Relation
from backend.agreements import queries, signing
from backend.agreements.schemas import AgreementPublic, SignerPublic
from backend.errors import NotFound
from backend.models import (
    Agreement,
    AgreementState,
    Plan,
    PlanEvent,
    PlanState,
    Signature,
    Summary,
)
from backend.names import Namer
from backend.settings import Settings

SIGNERS = frozenset({Relation.SELF, Relation.GUARDIAN, Relation.MENTOR})
AFTER_TALK = frozenset({PlanState.HELD, PlanState.SIGNED, PlanState.FOLLOWED_UP})
FOLLOWED = frozenset({AgreementState.DONE, AgreementState.NOT_DONE})


class Signer(NamedTuple):
    id: int
    given_name: str
    family_name: str
    marking: str  # the security marking: a protected identity is named by role


class Parties(msgspec.Struct, frozen=True, kw_only=True):
    """Who signs the pupil's agreements: she, each guardian with access (a restricted
    guardian is never asked, and never shown), and one of her mentors."""

    pupil: Signer
    guardians: list[Signer]
    mentors: list[Signer]


def parties_of(session: Session, *, pupil_id: int) -> Parties:
    pupil: Signer | None = None
    guardians: list[Signer] = []
    mentors: list[Signer] = []
    for kind, *person in queries.PARTIES.rows(session, {"pupil_id": pupil_id}):
        signer = Signer(*person)
        if kind == queries.PUPIL:
            pupil = signer
        else:
            (guardians if kind == queries.GUARDIAN else mentors).append(signer)
    if pupil is None:
        raise NotFound()
    return Parties(pupil=pupil, guardians=guardians, mentors=mentors)


def agreements_of(
    session: Session, *, plan_id: int, pupil_id: int, settings: Settings, namer: Namer
) -> list[AgreementPublic]:
    """The plan's agreements, each with its signers: who has signed the text as it is now
    (and whether the stored signature verifies), and who is still asked, named as `namer`
    allows (a protected guardian is "a guardian" to the other household). Three reads."""
    agreements = queries.AGREEMENTS.rows(session, {"plan_id": plan_id})
    if not agreements:
        return []
    parties = parties_of(session, pupil_id=pupil_id)
    signatures = queries.SIGNATURES.rows(session, {"plan_id": plan_id})
    school = (  # a plan imported with its signatures: the school they were made at
        queries.SCHOOL_OF_PLAN.rows(session, {"plan_id": plan_id})[0].name
        if any(signing.imported(s) for s in signatures)
        else None
    )
    return [
        _agreement_public(
            a,
            parties=parties,
            signatures=signatures,
            settings=settings,
            namer=namer,
            imported_from=school,
        )
        for a in agreements
    ]


def _agreement_public(
    a: Agreement | Any,  # the model, or its row (queries.AGREEMENTS)
    *,
    parties: Parties,
    signatures: Sequence[Signature | Any],
    settings: Settings,
    namer: Namer,
    imported_from: str | None = None,
) -> AgreementPublic:
    assert a.id is not None
    mine = {s.signer_id: s for s in signatures if s.agreement_id == a.id}
    live = signing.canonical(a, pupil_id=parties.pupil.id)
    brought = [s for s in signatures if s.agreement_id == a.id and signing.imported(s)]
    if brought:  # signed at another school: by its people, named as they signed there
        return _public(a, [
            SignerPublic(
                role=s.role,
                name=s.signer_name,
                given_name=s.signer_name,
                signed_at=s.signed_at,
                verified=signing.verify(s, live=live, settings=settings) is None,
                imported_from=imported_from or "?",
            )
            for s in brought
        ])  # fmt: skip

    def signer(role: str, person: Signer) -> SignerPublic:
        s = mine.get(person.id)
        name = _name(namer, person, role)
        given = namer.given(
            person_id=person.id, given=person.given_name, marking=person.marking, role=role
        )
        if s is None:
            return SignerPublic(role=role, name=name, given_name=given)
        return SignerPublic(
            role=role,
            name=name,
            given_name=given,
            signed_at=s.signed_at,
            verified=signing.verify(s, live=live, settings=settings) is None,
        )

    signers = [signer("self", parties.pupil)]
    signers += [signer("guardian", g) for g in parties.guardians]
    mentor = next((m for m in parties.mentors if m.id in mine), None)
    if mentor is not None:
        signers.append(signer("mentor", mentor))
    elif parties.mentors:  # any one of her mentors signs for the school
        signers.append(
            SignerPublic(
                role="mentor",
                name=" / ".join(_name(namer, m, "mentor") for m in parties.mentors),
                given_name=" / ".join(
                    namer.given(
                        person_id=m.id, given=m.given_name, marking=m.marking, role="mentor"
                    )
                    for m in parties.mentors
                ),
            )
        )
    return _public(a, signers)


def _public(a: Agreement | Any, signers: list[SignerPublic]) -> AgreementPublic:
    assert a.id is not None
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


def _name(namer: Namer, person: Signer, role: str) -> str:
    return namer.name(
        person_id=person.id,
        given=person.given_name,
        family=person.family_name,
        marking=person.marking,
        role=role,
    )


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
    agreement, plan = row
    return agreement, plan


def waiting_for(
    session: Session, *, agreements: list[AgreementPublic], signer_id: int
) -> list[int]:
    """Of `agreements` (one plan's), those still open that this person has not signed as
    they are now (one read)."""
    ids = [a.id for a in agreements if a.state == AgreementState.OPEN]
    if not ids:
        return []
    params = {"plan_id": agreements[0].plan_id, "signer_id": signer_id}
    signed = {
        (row.agreement_id, row.agreement_version) for row in queries.SIGNED_BY.rows(session, params)
    }
    return [a.id for a in agreements if a.id in ids and (a.id, a.version) not in signed]


def signature_id(session: Session, *, agreement_id: int, signer_id: int) -> int:
    found = session.exec(
        select(Signature.id)
        .where(Signature.agreement_id == agreement_id, Signature.signer_id == signer_id)
        .order_by(col(Signature.id).desc())
    ).first()
    return int(found or 0)


# The plan's state follows from its agreements ------------------------------------------------


def move(session: Session, *, plan: Plan, state: PlanState, by_id: int | None) -> None:
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
        if a.state == AgreementState.OPEN and all(s.signed_at is not None for s in a.signers):
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
    move(session, plan=plan, state=target, by_id=by_id)
