"""The written plan of this term: the mentor's talk record (that the talk was held, who
took part), the summary of measures and next term's goals. The family sees it once the
mentor has published it; only the mentor writes; an archived plan refuses every write.
Also the rules every write after the talk shares (who writes, which text is stored)."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.access import Access, Relation
from backend.agreements import queries
from backend.agreements.schemas import MEASURES_MAX, SummaryPublic, SummaryUpdate
from backend.agreements.signers import advance, move, parties_of
from backend.errors import Conflict, Forbidden, FormError, NotFound
from backend.i18n import N_
from backend.models import Group, GroupPupil, Plan, PlanState, Summary, Term, utcnow
from backend.notifications.service import Kind, notify
from backend.plans.service import plan_this_term, refuse_archived
from backend.settings import Settings
from backend.terms.service import years_of
from backend.web import has_control_characters

NO_PLAN = N_("The pupil has no plan this term.")
NOT_PUBLISHED = N_("The written plan has not been published yet.")
READERS_BEFORE_PUBLISHING = frozenset({Relation.MENTOR, Relation.TEACHER, Relation.PRINCIPAL})


def mentor_only(relation: Relation) -> None:
    if relation is not Relation.MENTOR:
        raise Forbidden("not_mentor", N_("Only the pupil's mentor can do this."))


def writable(plan: Plan) -> None:
    refuse_archived(plan.state, int(plan.id or 0))


def published(session: Session, plan: Plan) -> None:
    """Signing and follow-up need the written plan published (and not archived)."""
    writable(plan)
    summary = session.get(Summary, plan.id)
    if summary is None or summary.published_at is None:
        raise NotFound("not_published", NOT_PUBLISHED)


def clean_text(value: str, field: str, limit: int, errors: dict[str, str]) -> str:
    value = value.replace("\r\n", "\n").strip()
    if len(value) > limit:
        errors[field] = N_("The text is too long.")
    elif has_control_characters(value):
        errors[field] = N_("The text has a sign in it that we cannot save. Write it without it.")
    return value


def this_plan(session: Session, *, pupil_id: int, today: date) -> tuple[Plan, Term]:
    found = plan_this_term(session, pupil_id=pupil_id, today=today)
    if found is None:
        raise NotFound("no_plan", NO_PLAN)
    return found


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


def this_summary(session: Session, *, pupil_id: int, today: date) -> SummaryPublic | None:
    """This term's written plan with its plan's state (empty texts and version 0 before
    the mentor's first save); None when the pupil has no plan this term. One read."""
    row = queries.WRITTEN.first(session, {"pupil_id": pupil_id, "today": today})
    if row is None:
        return None
    required = row.school_year is not None and row.school_year in years_of(row.summary_years)
    fields = (name for name in SummaryPublic.__struct_fields__ if name != "required")
    return SummaryPublic(**{name: getattr(row, name) for name in fields}, required=required)


def summary_of(session: Session, *, access: Access, today: date) -> SummaryPublic:
    """This term's written plan; the family sees it once it is published."""
    summary = this_summary(session, pupil_id=access.pupil_id, today=today)
    if summary is None:
        raise NotFound("no_plan", NO_PLAN)
    if access.relation not in READERS_BEFORE_PUBLISHING and summary.published_at is None:
        raise NotFound("not_published", NOT_PUBLISHED)
    return summary


# Writing -----------------------------------------------------------------------------------


def check_summary(data: SummaryUpdate) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"held_on": data.held_on}
    values["participants"] = clean_text(data.participants, "participants", 500, errors)
    for field in ("measures_school", "measures_pupil", "measures_home", "next_goals"):
        values[field] = clean_text(getattr(data, field), field, MEASURES_MAX, errors)
    if errors:
        raise FormError(errors)
    return values


def save_summary(
    session: Session, *, access: Access, data: SummaryUpdate, today: date
) -> SummaryPublic:
    """The mentor's talk record and summary, if nobody saved it since `data.version`; else
    409 with it as it is now. A date for the talk moves the plan to `held`."""
    mentor_only(access.relation)
    pupil_id, by_id = access.pupil_id, access.viewer.person_id
    plan, term = this_plan(session, pupil_id=pupil_id, today=today)
    writable(plan)
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
    before_talk = plan.state in {PlanState.DRAFT, PlanState.PREPARING}
    if not stale and values["held_on"] is not None and before_talk:
        move(session, plan=plan, state=PlanState.HELD, by_id=by_id)
    session.commit()
    summary = session.get(Summary, plan.id)
    session.refresh(plan)
    now = summary_public(session, plan=plan, term=term, pupil_id=pupil_id, summary=summary)
    if stale:
        raise Conflict(current=msgspec.to_builtins(now))
    return now


def publish(session: Session, *, access: Access, settings: Settings) -> SummaryPublic:
    """The written plan reaches pupil and guardians, who are told and asked to sign. It
    needs the talk's date, and the summary of measures where the term asks for one."""
    mentor_only(access.relation)
    pupil_id, by_id = access.pupil_id, access.viewer.person_id
    today = settings.today()
    plan, term = this_plan(session, pupil_id=pupil_id, today=today)
    writable(plan)
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
        notify(
            session,
            person_ids=[parties.pupil.id, *(g.id for g in parties.guardians)],
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
