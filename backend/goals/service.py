"""Goals as staff write them. The rule of who may write which goal lives here (the access
policy only says the viewer is linked to the pupil): the mentor any goal of the pupil's
current plan, a subject teacher the goals in her subjects in a group of the pupil. Every
change of a goal's words raises its version; a change based on an older one is refused with
the goal as it is now (DESIGN: nothing silently overwritten). A goal is retired, never
deleted: its ratings are its history. The pupil's own proposals, which become goals when
the mentor accepts them, are in proposals.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, Protocol

import msgspec
from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.access import Access, Relation
from backend.errors import Archived, Conflict, Forbidden, FormError, Invalid, NotFound
from backend.goals import queries
from backend.goals.schemas import (
    AREA_MAX,
    HOW_MAX,
    REASON_MAX,
    TEXT_MAX,
    GoalSavedPublic,
)
from backend.i18n import N_
from backend.models import (
    Goal,
    Plan,
    SelfAssessment,
    utcnow,
)
from backend.plans.service import plan_this_term, refuse_archived
from backend.web import has_control_characters

SOCIAL_AREAS = ("Socialt", "Studieteknik")  # areas are data, in Swedish like the subjects

TOO_LONG = {
    "area": N_("The area is too long. Write at most 100 characters."),
    "text": N_("The goal is too long. Write at most 1000 characters."),
    "how": N_("“How I will get there” is too long. Write at most 1000 characters."),
    "reason": N_("The reason is too long. Write at most 500 characters."),
}
MISSING = {
    "area": N_("Choose or write the area the goal is about."),
    "text": N_("Write the goal."),
    "reason": N_("Write why the proposal is declined, shortly."),
}
CONTROL = N_("The text has a sign in it that we cannot save. Write it again without it.")
NOT_YOUR_SUBJECT = N_("You can only write goals in your own subjects.")
RETIRED = N_("This goal has been retired. It can no longer be changed.")


class Rights(msgspec.Struct, frozen=True, kw_only=True):
    """Which of the pupil's goals the viewer may write: the mentor all, a teacher those in
    her subjects (in a group the pupil is in)."""

    mentor: bool
    subjects: tuple[str, ...] = ()

    def may(self, area: str) -> bool:
        return self.mentor or area in self.subjects


def rights_of(session: Session, *, access: Access) -> Rights | None:
    """None for anyone who writes no goals (the pupil, guardians, the principal)."""
    if access.relation is Relation.MENTOR:
        return Rights(mentor=True)
    if access.relation is Relation.TEACHER:
        rows = queries.TEACHER_SUBJECTS.rows(
            session, {"viewer_id": access.viewer.person_id, "pupil_id": access.pupil_id}
        )
        subjects = tuple(sorted({row.subject for row in rows}))
        return Rights(mentor=False, subjects=subjects) if subjects else None
    return None


def _conflict(goal: Goal, reason: str, message: str) -> Conflict:
    refusal = Conflict(current(goal), reason=reason)
    refusal.message = message
    return refusal


def writer(session: Session, *, access: Access) -> Rights:
    """The viewer's rights, or 403: she is linked to the pupil but writes no goals."""
    rights = rights_of(session, access=access)
    if rights is None:
        raise Forbidden(message=NOT_YOUR_SUBJECT)
    return rights


def area_choices(
    session: Session, *, access: Access, rights: Rights, plan_id: int | None
) -> list[str]:
    """What the area field offers: a teacher her subjects; the mentor the subjects taught
    in the pupil's groups, the social areas and any area the plan already has."""
    if not rights.mentor:
        return list(rights.subjects)
    rows = queries.GROUP_SUBJECTS.rows(session, {"pupil_id": access.pupil_id})
    found = {row.subject for row in rows}
    if plan_id is not None:
        found |= set(session.exec(select(Goal.area).where(Goal.plan_id == plan_id)).all())
    return sorted(found - set(SOCIAL_AREAS)) + list(SOCIAL_AREAS)


def _clean(value: str, field: str, limit: int, errors: dict[str, str]) -> str:
    value = value.strip()
    if not value and field in MISSING:
        errors[field] = MISSING[field]
    elif len(value) > limit:
        errors[field] = TOO_LONG[field]
    elif has_control_characters(value):
        errors[field] = CONTROL
    return value


def check_goal(*, area: str, text: str, how: str) -> tuple[str, str, str]:
    """A goal's three fields, stripped, or FormError naming each field that is wrong."""
    errors: dict[str, str] = {}
    area = _clean(area, "area", AREA_MAX, errors)
    text = _clean(text, "text", TEXT_MAX, errors)
    how = _clean(how, "how", HOW_MAX, errors)
    if errors:
        raise FormError(errors)
    return area, text, how


def check_reason(reason: str) -> str:
    errors: dict[str, str] = {}
    reason = _clean(reason, "reason", REASON_MAX, errors)
    if errors:
        raise FormError(errors)
    return reason


class Words(Protocol):
    """A goal's words as a goal or a proposal holds them."""

    area: str
    text: str
    how: str


def check_changes(
    base: Words, *, area: str | None, text: str | None, how: str | None
) -> tuple[str, str, str]:
    """check_goal for JSON, where a field left out (None) keeps the base's words."""
    return check_goal(
        area=base.area if area is None else area,
        text=base.text if text is None else text,
        how=base.how if how is None else how,
    )


@contextmanager
def as_invalid() -> Iterator[None]:
    """For the API: a FormError raised inside becomes a 422 with its first error."""
    try:
        yield
    except FormError as error:
        raise error.invalid() from error


def public(goal: Goal) -> GoalSavedPublic:
    return msgspec.convert(goal, GoalSavedPublic, from_attributes=True)


def current(goal: Goal) -> dict[str, Any]:
    """The goal as it is now, for a 409."""
    return msgspec.to_builtins(public(goal))  # type: ignore[no-any-return]


def writable_plan(session: Session, *, pupil_id: int, today: date) -> int:
    """The current plan, made for the term when the pupil has none yet; 409 `archived` when
    its term is closed."""
    found = plan_this_term(session, pupil_id=pupil_id, today=today)
    if found is None:
        term = queries.CURRENT_TERM.first(session, {"pupil_id": pupil_id, "today": today})
        if term is None or term.term_id is None:
            raise NotFound()
        plan = Plan(pupil_id=pupil_id, term_id=int(term.term_id))
        session.add(plan)
        session.flush()
        assert plan.id is not None
        return plan.id
    plan, _term = found
    assert plan.id is not None
    refuse_archived(plan.state, plan.id)
    return plan.id


def add_goal(
    session: Session, *, access: Access, today: date, area: str, text: str, how: str
) -> Goal:
    """A goal last in the pupil's current plan, by the viewer (flushed, not committed):
    written by staff, or a proposal the mentor accepts. Checked values only."""
    plan_id = writable_plan(session, pupil_id=access.pupil_id, today=today)
    last = session.exec(select(func.max(Goal.position)).where(Goal.plan_id == plan_id)).one()
    goal = Goal(
        plan_id=plan_id,
        area=area,
        text=text,
        how=how,
        position=0 if last is None else int(last) + 1,
        created_by_id=access.viewer.person_id,
    )
    session.add(goal)
    session.flush()
    return goal


def create_goal(
    session: Session, *, access: Access, today: date, area: str, text: str, how: str
) -> GoalSavedPublic:
    """A new goal, last in the plan. 403 for a teacher outside her subjects."""
    if not writer(session, access=access).may(area):
        raise Forbidden(message=NOT_YOUR_SUBJECT)
    goal = add_goal(session, access=access, today=today, area=area, text=text, how=how)
    session.commit()
    return public(goal)


def goal_to_write(session: Session, *, access: Access, goal_id: int, today: date) -> Goal:
    """The goal, if the viewer may change it: 403 outside her subjects, 409 when it is
    retired or its plan is not the current one (history stays as it was)."""
    rights = writer(session, access=access)
    goal = session.get(Goal, goal_id)
    if goal is None:
        raise NotFound()
    if not rights.may(goal.area):
        raise Forbidden(message=NOT_YOUR_SUBJECT)
    if goal.retired_at is not None:
        raise _conflict(goal, "retired", RETIRED)
    found = plan_this_term(session, pupil_id=access.pupil_id, today=today)
    if found is None or found[0].id != goal.plan_id:
        raise Archived(goal.plan_id)  # another term's plan: history, as an archived one
    refuse_archived(found[0].state, goal.plan_id)
    return goal


def update_goal(
    session: Session,
    *,
    access: Access,
    goal_id: int,
    today: date,
    version: int,
    area: str | None = None,
    text: str | None = None,
    how: str | None = None,
    position: int | None = None,
) -> GoalSavedPublic:
    """Changes what is given. A stale `version` is 409 with the goal as it is now. The
    version rises when the words change; a new place in the list is not a new text, so an
    edit opened before a reorder still saves."""
    goal = goal_to_write(session, access=access, goal_id=goal_id, today=today)
    if version != goal.version:
        raise Conflict(current(goal))
    if area is not None and area != goal.area and not writer(session, access=access).may(area):
        raise Forbidden(message=NOT_YOUR_SUBJECT)
    words = {"area": area, "text": text, "how": how}
    changed = {k: v for k, v in words.items() if v is not None and v != getattr(goal, k)}
    for key, value in changed.items():
        setattr(goal, key, value)
    if changed:
        goal.version += 1
    if position is not None:
        _place(session, goal=goal, index=position)
    if changed or position is not None:
        goal.updated_at = utcnow()
        goal.updated_by_id = access.viewer.person_id
        session.add(goal)
        session.commit()
    return public(goal)


def _in_force(session: Session, *, plan_id: int) -> list[Goal]:
    query = (
        select(Goal)
        .where(Goal.plan_id == plan_id, col(Goal.retired_at).is_(None))
        .order_by(col(Goal.position), col(Goal.id))
    )
    return list(session.exec(query).all())


def _place(session: Session, *, goal: Goal, index: int) -> None:
    """Puts the goal at `index` among the goals in force and numbers them 0, 1, 2 …"""
    goals = [g for g in _in_force(session, plan_id=goal.plan_id) if g.id != goal.id]
    goals.insert(max(0, min(index, len(goals))), goal)
    for position, each in enumerate(goals):
        if each.position != position:
            each.position = position
            session.add(each)


def move_goal(
    session: Session, *, access: Access, goal_id: int, today: date, direction: str
) -> GoalSavedPublic:
    """One step up or down in the list (buttons, no drag and drop)."""
    if direction not in {"up", "down"}:
        raise Invalid("invalid_direction")
    goal = goal_to_write(session, access=access, goal_id=goal_id, today=today)
    ids = [g.id for g in _in_force(session, plan_id=goal.plan_id)]
    index = ids.index(goal.id) + (-1 if direction == "up" else 1)
    if 0 <= index < len(ids):
        _place(session, goal=goal, index=index)
        goal.updated_at = utcnow()
        goal.updated_by_id = access.viewer.person_id
        session.add(goal)
        session.commit()
    return public(goal)


def ratings_count(session: Session, *, goal_id: int) -> int:
    query = (
        select(func.count()).select_from(SelfAssessment).where(SelfAssessment.goal_id == goal_id)
    )
    return int(session.exec(query).one())


def retire_goal(session: Session, *, access: Access, goal_id: int, today: date) -> GoalSavedPublic:
    """Takes the goal out of the plan in force; it stays, with every rating, among the
    earlier goals. Never a delete: even an unrated goal was something the pupil was shown.
    Retiring a retired goal again changes nothing."""
    goal = session.get(Goal, goal_id)
    if goal is not None and goal.retired_at is not None:
        if not writer(session, access=access).may(goal.area):
            raise Forbidden(message=NOT_YOUR_SUBJECT)
        return public(goal)
    goal = goal_to_write(session, access=access, goal_id=goal_id, today=today)
    goal.retired_at = goal.updated_at = utcnow()
    goal.updated_by_id = access.viewer.person_id
    goal.version += 1
    session.add(goal)
    session.commit()
    return public(goal)
