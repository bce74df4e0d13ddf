"""The written plan as the pages show it: on the family's plan page once published (with
what waits for the viewer's signature and, for the pupil, her parts due soon), and on the
mentor's page always."""

from __future__ import annotations

from datetime import date, timedelta

import msgspec
from sqlmodel import Session

from backend.access import STAFF, Access, Relation
from backend.agreements.schemas import AgreementPublic, SummaryPublic
from backend.agreements.signers import SIGNERS, agreements_of, waiting_for
from backend.agreements.summary import this_summary
from backend.i18n import N_
from backend.models import AgreementState, Party, PlanState
from backend.plans.events import events_of
from backend.plans.schemas import EventPublic
from backend.settings import Settings

SOON = timedelta(days=14)

# Template globals (app.py): the words for who does an agreement, its state, a plan's state.
PARTY_WORDS = {
    Party.PUPIL: N_("The pupil"),
    Party.SCHOOL: N_("The school"),
    Party.HOME: N_("The home"),
}
AGREEMENT_WORDS = {
    AgreementState.OPEN: N_("Waiting for signatures"),
    AgreementState.SIGNED: N_("Signed by everyone"),
    AgreementState.DONE: N_("Done"),
    AgreementState.NOT_DONE: N_("Not done"),
}
PLAN_WORDS = {
    PlanState.DRAFT: N_("Draft"),
    PlanState.PREPARING: N_("Preparing for the talk"),
    PlanState.HELD: N_("Talk held"),
    PlanState.SIGNED: N_("Signed"),
    PlanState.FOLLOWED_UP: N_("Followed up"),
    PlanState.ARCHIVED: N_("Archived"),
}


class Written(msgspec.Struct, kw_only=True):
    summary: SummaryPublic
    agreements: list[AgreementPublic]
    waiting: list[int]  # the agreements that wait for the viewer's signature
    due_soon: list[AgreementPublic]  # the pupil's own parts, not done, due within two weeks
    signer: bool  # the viewer signs these agreements (pupil, guardian with access, mentor)
    story: list[EventPublic]  # the plan's moves from state to state, who and when


def written(session: Session, *, access: Access, settings: Settings) -> Written | None:
    """This term's written plan for the viewer, or None: nothing written yet, or (for the
    family) not published yet. Read once: the plan with its summary, then the agreements
    with their parties and signatures, what waits for the viewer and the plan's story."""
    today = settings.today()
    summary = this_summary(session, pupil_id=access.pupil_id, today=today)
    if summary is None:
        return None
    staff = access.relation in STAFF or access.relation is Relation.PRINCIPAL
    if not staff and summary.published_at is None:
        return None
    plan_id = summary.plan_id
    agreements = agreements_of(
        session, plan_id=plan_id, pupil_id=access.pupil_id, settings=settings, namer=access.namer
    )
    signer = access.relation in SIGNERS
    waiting: list[int] = []
    if signer and summary.published_at is not None and summary.state != PlanState.ARCHIVED:
        waiting = waiting_for(session, agreements=agreements, signer_id=access.viewer.person_id)
    return Written(
        summary=summary,
        agreements=agreements,
        waiting=waiting,
        due_soon=_due_soon(agreements, today=today) if access.is_self else [],
        signer=signer,
        story=events_of(session, plan_id=plan_id, pupil_id=access.pupil_id, namer=access.namer),
    )


def _due_soon(agreements: list[AgreementPublic], *, today: date) -> list[AgreementPublic]:
    return [
        a
        for a in agreements
        if a.party == Party.PUPIL
        and a.state not in {AgreementState.DONE, AgreementState.NOT_DONE}
        and a.progress_at is None
        and a.due_on <= today + SOON
    ]
