"""After the talk: the agreements of the written plan (what, who does it, by when), their
signing and their follow-up. Only the mentor writes an agreement; a change voids the
signatures over the older text and asks again; the pupil marks her own part done, the
mentor confirms each one done or not done. The plan's state follows (signers.advance).

The summary of measures lives in summary.py, who signs and who has signed in signers.py."""

from __future__ import annotations

from datetime import date

import msgspec
from sqlalchemy import update
from sqlmodel import Session, col, select

from backend.access import Access
from backend.agreements import signing
from backend.agreements.schemas import AGREEMENT_MAX, COMMENT_MAX, AgreementPublic
from backend.agreements.signers import (
    SIGNERS,
    advance,
    agreement_of,
    agreements_of,
    one,
    parties_of,
    waiting_for,
)
from backend.agreements.summary import (
    clean_text,
    mentor_only,
    published,
    summary_of,
    this_plan,
    writable,
)
from backend.errors import Conflict, Forbidden, FormError
from backend.i18n import N_
from backend.models import Agreement, AgreementState, Party, Signature, Summary, utcnow
from backend.names import Namer
from backend.notifications.service import Kind, notify
from backend.settings import Settings

# The agreements ----------------------------------------------------------------------------


def agreements_for(
    session: Session, *, access: Access, settings: Settings
) -> list[AgreementPublic]:
    """This term's agreements as the viewer may read them: the family's once published."""
    summary = summary_of(session, access=access, today=settings.today())
    return agreements_of(
        session,
        plan_id=summary.plan_id,
        pupil_id=access.pupil_id,
        settings=settings,
        namer=access.namer,
    )


def check_agreement(
    *, text: str, party: str, due_on: str | date | None, errors: dict[str, str] | None = None
) -> tuple[str, Party, date]:
    errors = {} if errors is None else errors
    text = clean_text(text, "text", AGREEMENT_MAX, errors)
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
    access: Access,
    text: str,
    party: str,
    due_on: str | date | None,
    settings: Settings,
) -> AgreementPublic:
    """The mentor writes an agreement into this term's plan."""
    mentor_only(access.relation)
    pupil_id, by_id = access.pupil_id, access.viewer.person_id
    plan, _term = this_plan(session, pupil_id=pupil_id, today=settings.today())
    writable(plan)
    text, who, day = check_agreement(text=text, party=party, due_on=due_on)
    assert plan.id is not None
    agreement = Agreement(plan_id=plan.id, text=text, party=who, due_on=day, created_by_id=by_id)
    session.add(agreement)
    session.flush()
    summary = session.get(Summary, plan.id)
    if summary is not None and summary.published_at is not None:  # the family sees it: sign
        parties = parties_of(session, pupil_id=pupil_id)
        notify(
            session,
            person_ids=[parties.pupil.id, *(g.id for g in parties.guardians)],
            kind=Kind.AGREEMENT_TO_SIGN,
            day=settings.today(),
            pupil_id=pupil_id,
            actor_id=by_id,
        )
    advance(session, plan=plan, pupil_id=pupil_id, settings=settings, by_id=by_id)
    session.commit()
    return one(session, agreement=agreement, pupil_id=pupil_id, settings=settings)


def update_agreement(
    session: Session,
    *,
    access: Access,
    agreement_id: int,
    version: int,
    settings: Settings,
    text: str | None = None,
    party: str | None = None,
    due_on: str | date | None = None,
) -> AgreementPublic:
    """A change based on `version` (else 409 with the agreement as it is now). Any change
    voids the signatures over the older text, tells those who signed, and asks again."""
    mentor_only(access.relation)
    pupil_id, by_id = access.pupil_id, access.viewer.person_id
    agreement, plan = agreement_of(session, agreement_id=agreement_id, pupil_id=pupil_id)
    writable(plan)
    new_text, new_party, new_day = check_agreement(
        text=agreement.text if text is None else text,
        party=agreement.party if party is None else party,
        due_on=agreement.due_on if due_on is None else due_on,
    )
    if agreement.version != version:
        raise _stale(session, agreement=agreement, pupil_id=pupil_id, settings=settings)
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
        raise _stale(session, agreement=agreement, pupil_id=pupil_id, settings=settings)
    _void_signatures(
        session, agreement_id=agreement_id, by_id=by_id, settings=settings, pupil_id=pupil_id
    )
    session.expire(agreement)
    advance(session, plan=plan, pupil_id=pupil_id, settings=settings, by_id=by_id)
    session.commit()
    return one(session, agreement=agreement, pupil_id=pupil_id, settings=settings)


def _stale(
    session: Session, *, agreement: Agreement, pupil_id: int, settings: Settings
) -> Conflict:
    now = one(session, agreement=agreement, pupil_id=pupil_id, settings=settings)
    return Conflict(current=msgspec.to_builtins(now))


def _void_signatures(
    session: Session, *, agreement_id: int, by_id: int, pupil_id: int, settings: Settings
) -> None:
    """The signatures over the older text no longer count; those who signed are told."""
    signed = session.exec(
        select(Signature.signer_id).where(
            Signature.agreement_id == agreement_id, col(Signature.voided_at).is_(None)
        )
    ).all()
    if not signed:
        return
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


# Signing -----------------------------------------------------------------------------------


class NotAParty(Forbidden):
    default_reason = "not_a_party"
    default_message = N_(
        "Only the pupil, her guardians and her mentor sign the agreements of her plan."
    )


def signing_options(
    session: Session, *, access: Access, agreement_id: int, every: bool, settings: Settings
) -> str:
    """WebAuthn options for this agreement, or (`every`) all that wait for the signer."""
    if access.relation not in SIGNERS:
        raise NotAParty()
    pupil_id, signer_id = access.pupil_id, access.viewer.person_id
    _agreement, plan = agreement_of(session, agreement_id=agreement_id, pupil_id=pupil_id)
    published(session, plan)
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
    access: Access,
    agreement_id: int,
    credential: dict[str, object],
    settings: Settings,
) -> list[int]:
    """Stores her signature of each agreement of the ceremony (signing.finish); the ids."""
    if access.relation not in SIGNERS:
        raise NotAParty()
    pupil_id, signer_id = access.pupil_id, access.viewer.person_id
    _agreement, plan = agreement_of(session, agreement_id=agreement_id, pupil_id=pupil_id)
    published(session, plan)
    signatures = signing.finish(
        session,
        settings=settings,
        credential=credential,
        signer_id=signer_id,
        role=access.relation.value,
        agreement_id=agreement_id,
        pupil_id=pupil_id,
    )
    advance(session, plan=plan, pupil_id=pupil_id, settings=settings, by_id=signer_id)
    session.commit()
    return [s.agreement_id for s in signatures]


# Follow-up ---------------------------------------------------------------------------------


def _comment(value: str) -> str:
    errors: dict[str, str] = {}
    value = clean_text(value, "comment", COMMENT_MAX, errors)
    if errors:
        raise FormError(errors)
    return value


def mark_progress(
    session: Session, *, access: Access, agreement_id: int, comment: str, settings: Settings
) -> AgreementPublic:
    """The pupil marks her own part done (an agreement the pupil carries out)."""
    if not access.is_self:
        raise Forbidden("not_pupil", N_("Only the pupil marks her own part done."))
    pupil_id = access.pupil_id
    agreement, plan = agreement_of(session, agreement_id=agreement_id, pupil_id=pupil_id)
    published(session, plan)
    if agreement.party != Party.PUPIL:
        raise Forbidden("not_your_part", N_("This agreement is not yours to carry out."))
    checked = _comment(comment)  # before anything of the row changes
    agreement.progress_at = utcnow()
    agreement.progress_comment = checked
    session.add(agreement)
    session.commit()
    return one(
        session, agreement=agreement, pupil_id=pupil_id, settings=settings, namer=access.namer
    )


def follow_up(
    session: Session,
    *,
    access: Access,
    agreement_id: int,
    done: bool,
    comment: str,
    settings: Settings,
) -> AgreementPublic:
    """The mentor confirms an agreement done or not done; when every agreement is followed
    up, the plan is."""
    mentor_only(access.relation)
    pupil_id, by_id = access.pupil_id, access.viewer.person_id
    agreement, plan = agreement_of(session, agreement_id=agreement_id, pupil_id=pupil_id)
    published(session, plan)
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
