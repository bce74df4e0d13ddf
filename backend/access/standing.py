"""What a viewer is to a pupil (her relation) and the `Access` a policy hands the handler
when it has proved it; the record kinds a path may name instead of the pupil."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

import msgspec

from backend.errors import Forbidden
from backend.i18n import N_
from backend.names import Namer
from backend.viewer import Viewer


class Relation(StrEnum):
    SELF = "self"
    GUARDIAN = "guardian"
    MENTOR = "mentor"
    TEACHER = "teacher"
    PRINCIPAL = "principal"


ROLE_WORDS = {
    Relation.GUARDIAN: N_("guardian"),
    Relation.MENTOR: N_("mentor"),
    Relation.TEACHER: N_("teacher"),
    Relation.PRINCIPAL: N_("principal"),
}
STAFF = frozenset({Relation.MENTOR, Relation.TEACHER})
# Who reads a pupil's plan. The principal reads an individual plan only with a reason she
# has typed within REASON_LASTS, which the read log keeps and the family sees (DESIGN).
PLAN_READERS = frozenset({Relation.SELF, Relation.GUARDIAN, *STAFF, Relation.PRINCIPAL})
FAMILY = frozenset({Relation.SELF, Relation.GUARDIAN})
# Who takes part in a pupil's threads (backend/threads/): not the principal, who is no
# party to the conversation.
THREAD_READERS = FAMILY | STAFF
REASON_LASTS = timedelta(hours=1)
# The closest relation first: someone who is two things to a pupil is the first of them.
RANK = (Relation.GUARDIAN, Relation.MENTOR, Relation.TEACHER, Relation.PRINCIPAL)


class ReasonNeeded(Forbidden):
    """A principal asked for one pupil's data without a recent reason: the page asks for it
    (`location`), the API answers 403 with this reason."""

    default_reason = "reason_needed"
    default_message = N_(
        "Write why you need to open this pupil's plan. The pupil and the guardians see it."
    )


class Access(msgspec.Struct, frozen=True, kw_only=True):
    """The viewer's standing towards one pupil, and what follows from it."""

    viewer: Viewer
    pupil_id: int
    relation: Relation

    @property
    def is_self(self) -> bool:
        return self.relation is Relation.SELF

    @property
    def may_rate(self) -> bool:
        """Self-assessments are the pupil's own words."""
        return self.relation is Relation.SELF

    @property
    def sees_read_log(self) -> bool:
        return self.relation in {Relation.SELF, Relation.GUARDIAN}

    @property
    def namer(self) -> Namer:
        """Whose names she sees around this pupil (backend/names.py)."""
        return namer_for(
            viewer_id=self.viewer.person_id, pupil_id=self.pupil_id, relation=self.relation
        )


def namer_for(*, viewer_id: int, pupil_id: int, relation: Relation) -> Namer:
    """Staff related to the pupil see every name; the pupil and her guardians see the
    protected ones as role words (backend/names.py)."""
    return Namer(viewer_id=viewer_id, pupil_id=pupil_id, staff=relation not in FAMILY)


class Record(StrEnum):
    """A record in the path that belongs to one pupil: the path parameter that names it."""

    GOAL = "goal_id"
    PROPOSAL = "proposal_id"
    ASSESSMENT = "assessment_id"
    NOTE = "note_id"
    AGREEMENT = "agreement_id"
    PLAN = "plan_id"
    MESSAGE = "message_id"  # a message in a goal's or the plan's thread
