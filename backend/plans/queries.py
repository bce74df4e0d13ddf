"""The plan's hot reads (the pupil's home page, a rating, every write's archived check):
prebuilt statements with bind parameters, run on the session's connection (db.Query);
building a statement, or the ORM's machinery around it, costs more than running it.
Rows are named by their columns' keys; a key that would come twice is labelled."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import col

from backend.db import Query
from backend.models import Goal, Guardianship, Person, Plan, PlanEvent, Reply, SelfAssessment, Term
from backend.terms import current

_PUPIL: Any = bindparam("pupil_id")

# This term of the pupil's school (terms/current.py), for a `today` bound by the caller.
CURRENT_TERM = current.of_pupil(_PUPIL)

# The pupil's plan this term with its goals and every rating, in the plan's order: one row
# a rating (a goal without one, a plan without goals: one row with the rest None).
PLAN = Query(
    core_select(
        col(Term.code).label("term"),
        col(Plan.id).label("plan_id"),
        col(Plan.state),
        col(Goal.id).label("goal_id"),
        col(Goal.area),
        col(Goal.text),
        col(Goal.how),
        col(Goal.version),
        col(Goal.retired_at),
        col(SelfAssessment.id).label("rating_id"),
        col(SelfAssessment.level),
        col(SelfAssessment.comment),
        col(SelfAssessment.created_at),
    )
    .select_from(Plan)
    .join(Term, col(Term.id) == Plan.term_id)
    .outerjoin(Goal, col(Goal.plan_id) == Plan.id)
    .outerjoin(SelfAssessment, col(SelfAssessment.goal_id) == Goal.id)
    .where(col(Plan.pupil_id) == _PUPIL, col(Plan.term_id) == CURRENT_TERM)
    .order_by(
        col(Goal.position), col(Goal.id), col(SelfAssessment.created_at), col(SelfAssessment.id)
    )
)

# Replies with their authors' names, oldest first: the plan's below, and a teacher's list
# of reflections (which ones it narrows to by itself). An imported reply's author is a name.
REPLY_ROWS = (
    core_select(
        col(Reply.self_assessment_id),
        col(Reply.id),
        col(Person.given_name),
        col(Person.family_name),
        col(Reply.text),
        col(Reply.created_at),
        col(Reply.author_id),
        col(Person.security_marking),
        col(Reply.author_name),  # an imported reply's author: a name only
    )
    .outerjoin(Person, col(Person.id) == Reply.author_id)
    .order_by(col(Reply.created_at), col(Reply.id))
)
REPLIES = Query(
    REPLY_ROWS.join(SelfAssessment, col(SelfAssessment.id) == Reply.self_assessment_id)
    .join(Goal, col(Goal.id) == SelfAssessment.goal_id)
    .where(col(Goal.plan_id) == bindparam("plan_id"))
)

# The plan of a goal the pupil may rate: hers, not retired.
GOAL_OF_PUPIL = Query(
    core_select(col(Plan.id), col(Plan.state))
    .join(Goal, col(Goal.plan_id) == Plan.id)
    .where(
        col(Goal.id) == bindparam("goal_id"),
        col(Plan.pupil_id) == _PUPIL,
        col(Goal.retired_at).is_(None),
    )
)
PLAN_STATE = Query(core_select(col(Plan.state)).where(col(Plan.id) == bindparam("plan_id")))
PLAN_IN_TERM = Query(
    core_select(col(Plan.id), col(Plan.state)).where(
        col(Plan.pupil_id) == _PUPIL, col(Plan.term_id) == bindparam("term_id")
    )
)
# A rating saved before with the same idempotency key.
BY_KEY = Query(
    core_select(
        col(SelfAssessment.id),
        col(SelfAssessment.level),
        col(SelfAssessment.comment),
        col(SelfAssessment.created_at),
    ).where(
        col(SelfAssessment.goal_id) == bindparam("goal_id"),
        col(SelfAssessment.idempotency_key) == bindparam("key"),
    )
)

# The plan's story: each move, who made it (named, or an imported name) and when.
EVENTS = Query(
    core_select(
        col(PlanEvent.state),
        col(PlanEvent.at),
        col(PlanEvent.by_id),
        col(PlanEvent.by_name),
        col(Person.given_name),
        col(Person.family_name),
        col(Person.security_marking),
        col(Guardianship.guardian_id),
    )
    .outerjoin(Person, col(Person.id) == PlanEvent.by_id)
    .outerjoin(
        Guardianship,
        (col(Guardianship.guardian_id) == PlanEvent.by_id) & (col(Guardianship.pupil_id) == _PUPIL),
    )
    .where(col(PlanEvent.plan_id) == bindparam("plan_id"))
    .order_by(col(PlanEvent.at), col(PlanEvent.id))
)
