"""The plan page as every domain shows it: the pupil's own, a guardian's or a member of
staff's view, with what each domain adds to it (goal tools and proposals, shared notes,
replies, the read log). Kept apart from the controllers so that other domains render it
after their own forms without importing a controller."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from sqlmodel import Session

from backend import readlog
from backend.access import STAFF, THREAD_READERS, Access, Relation, readers_of
from backend.agreements.page import written
from backend.goals.carry_over import offered
from backend.goals.proposals import plan_context as goals_context
from backend.models import Person, PlanState
from backend.notes.service import notes_of
from backend.plans import service
from backend.plans.schemas import PlanPublic
from backend.preparation.service import is_ready
from backend.preparation.service import progress as preparation_progress
from backend.settings import Settings
from backend.talks.service import booking_of
from backend.threads.service import marks as thread_marks
from backend.web import render

# A shared note or an answered proposal is "new" for a week: its folded list on her home
# opens by itself until then (nothing records which of them she has read).
NEW_FOR = timedelta(days=7)


def _new(times: Iterable[datetime | None], *, since: datetime) -> bool:
    """Whether any of these times (stored without a zone are UTC) is at or after `since`."""
    return any(t is not None and (t if t.tzinfo else t.replace(tzinfo=UTC)) >= since for t in times)


def _new_since(settings: Settings) -> datetime:
    return datetime.combine(settings.today() - NEW_FOR, time(0), tzinfo=settings.zone)


def plan_page(
    request: HTMXRequest,
    db: Session,
    settings: Settings,
    access: Access,
    *,
    goal_id: int | None = None,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """The plan page, or for htmx the card of the goal just rated. An archived plan is
    read-only history: labelled so, with no control that would write to it (no rating,
    proposal, goal tools or carry-over)."""
    today = settings.today()
    plan = service.plan_of(db, pupil_id=access.pupil_id, today=today, namer=access.namer)
    archived = plan is not None and plan.state == PlanState.ARCHIVED
    goal = next((g for g in plan.goals if g.id == goal_id), None) if plan else None
    partial = goal is not None and request.htmx
    opened = context.pop("open", None)
    saved = context.pop("saved", None)
    goals = goals_context(db, access=access, plan=plan, partial=bool(partial))
    if archived:
        goals["rights"] = None  # nobody writes goals or answers proposals in history
    goals["proposals_new"] = _new(
        (p.decided_at for p in goals.get("proposals") or []), since=_new_since(settings)
    )
    return render(
        request,
        "plans/plan.html",
        partial=None if goal is None else "plans/_saved.html" if saved else "plans/_goal.html",
        status_code=status_code,
        viewer=access.viewer,
        plan=plan,
        pupil=None if access.is_self else db.get(Person, access.pupil_id),
        own=access.is_self,
        writable=access.may_rate and not archived,
        archived=archived,
        archived_term=plan.term if plan else None,
        goal=goal,
        levels=service.LEVEL_WORDS,
        nav="home",
        errors=context.pop("errors", {}),
        form=context.pop("form", None),
        saved=saved,
        open=opened,
        readers=readers_of(db, pupil_id=access.pupil_id, namer=access.namer) if opened else [],
        staff=access.relation in STAFF,
        talk_pupil_id=access.pupil_id,
        guardian=access.relation is Relation.GUARDIAN,
        # Each goal's thread: how many messages, how many unread for her ("New answer").
        threads=(
            thread_marks(db, plan_id=plan.id, reader_id=access.viewer.person_id)
            if plan and access.relation in THREAD_READERS
            else None
        ),
        rated_this_month=(
            service.rated_this_month(plan, today=today, zone=settings.zone) if plan else set()
        ),
        **_around(db, settings, access, plan=plan, partial=bool(partial), archived=archived),
        **goals,
        **context,
    )


def _around(
    db: Session,
    settings: Settings,
    access: Access,
    *,
    plan: PlanPublic | None,
    partial: bool,
    archived: bool,
) -> dict[str, Any]:
    """What the other domains add around the goals: the read log, shared notes, goals to
    carry over, the talk and its preparation, the published written plan. A goal's card
    (the htmx partial) needs only the preparation line, which rides along with "to do now"."""
    today = settings.today()
    reads = None
    if access.sees_read_log and not partial:
        reads = readlog.reads_of(
            db,
            pupil_id=access.pupil_id,
            zone=settings.zone,
            viewer_id=access.viewer.person_id,
            namer=access.namer,
            rows=readlog.PAGE,
        )
    shared_notes = (
        []
        if partial
        else notes_of(db, pupil_id=access.pupil_id, shared_only=True, namer=access.namer)
    )
    return {
        "reads": reads,
        "shared_notes": shared_notes,
        "notes_new": _new((n.created_at for n in shared_notes), since=_new_since(settings)),
        "carry_over": (
            offered(db, access=access, today=today)
            if plan and not partial and not archived and access.relation in STAFF
            else []
        ),
        "talk_booking": None
        if partial
        else booking_of(db, pupil_id=access.pupil_id, today=today, namer=access.namer),
        # Before the talk: her progress line, or the guardian's link to her own answers.
        "prep": (
            preparation_progress(db, pupil_id=access.pupil_id, plan=plan)
            if access.is_self
            else None
        ),
        # A guardian's own preparation: "Ready" on her card once she has said so.
        "guardian_ready": (
            plan is not None
            and not partial
            and access.relation is Relation.GUARDIAN
            and is_ready(db, plan_id=plan.id, author_id=access.viewer.person_id)
        ),
        # After the talk: the published written plan, and what waits for the viewer.
        "written": written(db, access=access, settings=settings),
    }
