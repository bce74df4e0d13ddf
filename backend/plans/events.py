"""The plan's story (DESIGN, glossary "plan"): each move from one state to the next, who
made it and when. The written plan shows it, and so does every earlier term's record."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from backend.i18n import N_
from backend.names import Namer
from backend.plans import queries
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

    def by(e: Any) -> str:
        if not e.given_name:
            return str(e.by_name)  # imported: a name only; else the system (a date)
        role = "guardian" if e.guardian_id else "self" if e.by_id == pupil_id else "mentor"
        return namer.name(
            person_id=e.by_id,
            given=e.given_name,
            family=e.family_name or "",
            marking=e.security_marking,
            role=role,
        )

    rows = queries.EVENTS.rows(session, {"plan_id": plan_id, "pupil_id": pupil_id})
    return [EventPublic(state=e.state, by=by(e), at=e.at) for e in rows]
