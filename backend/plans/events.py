"""The plan's story (DESIGN, glossary "plan"): each move from one state to the next, who
made it and when. The written plan shows it, and so does every earlier term's record."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select as core_select
from sqlmodel import Session, col

from backend.i18n import N_
from backend.models import Guardianship, Person, PlanEvent
from backend.names import Namer
from backend.plans.schemas import EventPublic

# A step of the plan's story: "Talk held 2 Dec by Karin Lind".
EVENT_WORDS = {
    "draft": N_("Created"),
    "preparing": N_("Opened for preparation"),
    "held": N_("Talk held"),
    "signed": N_("Signed by everyone"),
    "followed_up": N_("Followed up"),
    "archived": N_("Archived"),
}


def events_of(session: Session, *, plan_id: int, pupil_id: int, namer: Namer) -> list[EventPublic]:
    """The plan's story: each move to another state, who and when, oldest first; who is
    named as `namer` allows (a guardian's signature moves the plan, too)."""
    rows: Any = session.execute(
        core_select(
            PlanEvent,
            col(Person.given_name),
            col(Person.family_name),
            col(Person.security_marking),
            col(Guardianship.guardian_id),
        )
        .outerjoin(Person, col(Person.id) == PlanEvent.by_id)
        .outerjoin(
            Guardianship,
            (col(Guardianship.guardian_id) == PlanEvent.by_id)
            & (col(Guardianship.pupil_id) == pupil_id),
        )
        .where(col(PlanEvent.plan_id) == plan_id)
        .order_by(col(PlanEvent.at), col(PlanEvent.id))
    ).all()

    def by(
        e: PlanEvent,
        given: str | None,
        family: str | None,
        marking: str | None,
        guardian: int | None,
    ) -> str:
        if not given:
            return e.by_name  # imported: a name only; else the system (a date)
        role = "guardian" if guardian else "self" if e.by_id == pupil_id else "mentor"
        return namer.name(
            person_id=e.by_id, given=given, family=family or "", marking=marking, role=role
        )

    return [EventPublic(state=e.state, by=by(e, *rest), at=e.at) for e, *rest in rows]
