"""Earlier terms (DESIGN, glossary "history"; issue 9, parts 5–7): every term's plan of a
pupil, and one term's plan whole and read-only, as the written IUP holds it — school,
group, term, the plan's story, goals with every rating, the preparation, the written
summary of measures and the agreements with who signed them and their follow-up. The same
record is the page, its print on A4 and the JSON.

Who reads what follows the rooms that wrote it: staff read every preparation, the pupil
her own, a guardian his own and the other guardians' shared ones (preparation.service);
the family reads the summary and the agreements once the mentor has published them
(agreements/). Running notes and the talk draft are never part of it."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from sqlalchemy import and_, func, or_, true
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from backend.access import FAMILY, Access, Relation
from backend.agreements.schemas import (
    AnswerRecord,
    GoalRecord,
    PlanEntry,
    PlanRecord,
    PreparationRecord,
    RatingPublic,
)
from backend.agreements.signers import agreements_of
from backend.agreements.summary import summary_public
from backend.errors import NotFound
from backend.i18n import N_
from backend.models import (
    Agreement,
    Answer,
    Audience,
    Goal,
    Group,
    GroupPupil,
    Person,
    Plan,
    Preparation,
    Question,
    School,
    SelfAssessment,
    Summary,
    Term,
)
from backend.names import Namer
from backend.plans.events import events_of
from backend.plans.service import RATINGS_PAGE
from backend.settings import Settings
from backend.terms.questions import wording

_AUTHOR_ROLE = {Audience.PUPIL.value: "self", Audience.GUARDIAN.value: "guardian"}
SIGNER_WORDS = {"self": N_("pupil"), "guardian": N_("guardian"), "mentor": N_("mentor")}


def plans_of(
    session: Session, *, pupil_id: int, relation: Relation, today: date | None = None
) -> list[PlanEntry]:
    """Every term's plan of the pupil, newest first, with how many agreements it holds;
    the family counts only those of a published plan (one query). With `today`, only the
    terms begun by then: a term still to come is not an earlier one."""
    rows: Any = session.execute(
        core_select(
            col(Plan.id),
            col(Term.code),
            col(Term.starts_on),
            col(Term.ends_on),
            col(Plan.state),
            col(Summary.published_at),
            col(School.name),
            col(Plan.imported_at),
            func.count(col(Agreement.id)),
        )
        .join(Term, col(Term.id) == Plan.term_id)
        .join(School, col(School.id) == Term.school_id)
        .outerjoin(Summary, col(Summary.plan_id) == Plan.id)
        .outerjoin(Agreement, col(Agreement.plan_id) == Plan.id)
        .where(col(Plan.pupil_id) == pupil_id)
        .where(true() if today is None else col(Term.starts_on) <= today)
        .group_by(
            col(Plan.id),
            col(Term.code),
            col(Term.starts_on),
            col(Term.ends_on),
            col(Plan.state),
            col(Summary.published_at),
            col(School.name),
            col(Plan.imported_at),
        )
        .order_by(col(Term.starts_on).desc(), col(Plan.id).desc())
    ).all()
    return [
        PlanEntry(
            plan_id=int(plan_id),
            term=code,
            starts_on=starts,
            ends_on=ends,
            state=state,
            agreements=0 if relation in FAMILY and published is None else int(count),
            school=school,
            imported_at=imported_at,
        )
        for plan_id, code, starts, ends, state, published, school, imported_at, count in rows
    ]


def plan_record(
    session: Session, *, access: Access, plan_id: int, settings: Settings, goals: bool = True
) -> PlanRecord:
    """One term's whole plan as the viewer's relation may read it; 404 for a plan of
    another pupil. `goals=False` leaves the goals out (the page reads them a page at a
    time: goal_pages)."""
    pupil_id, relation, viewer_id = access.pupil_id, access.relation, access.viewer.person_id
    row = session.exec(
        select(Plan, Term, School, Person)
        .join(Term, col(Term.id) == Plan.term_id)
        .join(School, col(School.id) == Term.school_id)
        .join(Person, col(Person.id) == Plan.pupil_id)
        .where(Plan.id == plan_id, Plan.pupil_id == pupil_id)
    ).first()
    if row is None:
        raise NotFound()
    plan, term, school, pupil = row
    group = session.exec(
        select(Group.name)
        .join(GroupPupil, col(GroupPupil.group_id) == Group.id)
        .where(GroupPupil.pupil_id == pupil_id, Group.school_id == term.school_id)
        .order_by(col(Group.name))
    ).first()
    summary = session.get(Summary, plan_id)
    published = summary is not None and summary.published_at is not None
    shown = relation not in FAMILY or published
    namer = access.namer
    return PlanRecord(
        plan_id=plan_id,
        pupil=namer.person(pupil, role="self"),
        school=school.name,
        group=group or "",
        term=term.code,
        starts_on=term.starts_on,
        ends_on=term.ends_on,
        state=plan.state,
        events=events_of(session, plan_id=plan_id, pupil_id=pupil_id, namer=namer),
        goals=_goals(session, plan_id=plan_id) if goals else [],
        preparations=_preparations(
            session, plan_id=plan_id, relation=relation, viewer_id=viewer_id, namer=namer
        ),
        summary=(
            summary_public(session, plan=plan, term=term, pupil_id=pupil_id, summary=summary)
            if summary is not None and shown
            else None
        ),
        agreements=(
            agreements_of(
                session, plan_id=plan_id, pupil_id=pupil_id, settings=settings, namer=namer
            )
            if shown
            else []
        ),
    )


def _goals(session: Session, *, plan_id: int) -> list[GoalRecord]:
    """The goals in force first, then the retired ones, each with its newest ratings
    (`RATINGS_PAGE`), oldest first, and how many there are (one query)."""
    rows = session.exec(
        select(Goal, SelfAssessment)
        .outerjoin(SelfAssessment, col(SelfAssessment.goal_id) == Goal.id)
        .where(Goal.plan_id == plan_id)
        .order_by(
            col(Goal.retired_at).is_not(None),
            col(Goal.position),
            col(Goal.id),
            col(SelfAssessment.created_at),
            col(SelfAssessment.id),
        )
    ).all()
    goals: dict[int, GoalRecord] = {}
    for goal, rating in rows:
        assert goal.id is not None
        record = goals.get(goal.id)
        if record is None:
            record = goals[goal.id] = GoalRecord(
                id=goal.id,
                area=goal.area,
                text=goal.text,
                how=goal.how,
                retired=goal.retired_at is not None,
                ratings=[],
            )
        if rating is not None:
            record.ratings_total += 1
            record.ratings.append(
                RatingPublic(
                    level=rating.level, comment=rating.comment, created_at=rating.created_at
                )
            )
            del record.ratings[:-RATINGS_PAGE]
    return list(goals.values())


def _preparations(
    session: Session, *, plan_id: int, relation: Relation, viewer_id: int, namer: Namer
) -> list[PreparationRecord]:
    """The answers given before the talk that the viewer may read: staff all of them, the
    pupil her own, a guardian his own and what another guardian shared. Only questions
    answered, in the term's order, each in the reader's language when it is a default."""
    found = session.exec(
        select(Preparation, Person)
        .outerjoin(Person, col(Person.id) == Preparation.author_id)
        .where(Preparation.plan_id == plan_id)
        .order_by(
            col(Preparation.audience).desc(),
            func.coalesce(col(Person.given_name), col(Preparation.author_name)),
            col(Preparation.id),
        )
    ).all()
    visible = [
        (prep, person)
        for prep, person in found
        if relation not in FAMILY
        or prep.author_id == viewer_id
        or (
            relation is Relation.GUARDIAN
            and prep.audience == Audience.GUARDIAN.value
            and prep.shared
        )
    ]
    if not visible:
        return []
    answers: dict[int, list[AnswerRecord]] = {}
    for answer, question in session.exec(
        select(Answer, Question)
        .join(Question, col(Question.id) == Answer.question_id)
        .where(
            col(Answer.preparation_id).in_([prep.id for prep, _person in visible]),
            Answer.text != "",
        )
        .order_by(col(Question.position), col(Question.id))
    ).all():
        answers.setdefault(answer.preparation_id, []).append(
            AnswerRecord(
                question=wording(
                    stage=question.stage,
                    audience=question.audience,
                    key=question.key,
                    text=question.text,
                ),
                text=answer.text,
            )
        )
    return [
        PreparationRecord(
            author=prep.author_name
            if person is None
            else namer.person(person, role=_AUTHOR_ROLE.get(prep.audience, "guardian")),
            audience=prep.audience,
            answers=answers[prep.id],
        )
        for prep, person in visible
        if prep.id in answers
    ]


class RatingsPage(msgspec.Struct, kw_only=True):
    """A page of one goal's ratings, newest first. `before` is the cursor of the next,
    older page (pass it back as `before`); None when these are the oldest."""

    goal_id: int
    total: int  # every rating of the goal
    ratings: list[RatingPublic]
    before: int | None = None


class GoalPage(msgspec.Struct, kw_only=True):
    """A goal on the term's page, with a page of its ratings."""

    id: int
    area: str
    text: str
    how: str
    retired: bool
    page: RatingsPage


def _newer_than_cursor(before: int) -> Any:
    """Older than the rating `before`, in the order (created_at, id)."""
    at = (
        core_select(col(SelfAssessment.created_at))
        .where(col(SelfAssessment.id) == before)
        .scalar_subquery()
    )
    return or_(
        col(SelfAssessment.created_at) < at,
        and_(col(SelfAssessment.created_at) == at, col(SelfAssessment.id) < before),
    )


def _page(goal_id: int, total: int, rows: list[Any], limit: int) -> RatingsPage:
    shown = rows[:limit]
    return RatingsPage(
        goal_id=goal_id,
        total=total,
        ratings=[
            RatingPublic(level=r.level, comment=r.comment, created_at=r.created_at) for r in shown
        ],
        before=int(shown[-1].id) if len(rows) > limit else None,
    )


def ratings_page(
    session: Session, *, goal_id: int, before: int | None = None, limit: int = RATINGS_PAGE
) -> RatingsPage:
    """One page of the goal's ratings, newest first, older than `before` (two queries)."""
    query = (
        core_select(
            col(SelfAssessment.id),
            col(SelfAssessment.level),
            col(SelfAssessment.comment),
            col(SelfAssessment.created_at),
        )
        .where(col(SelfAssessment.goal_id) == goal_id)
        .order_by(col(SelfAssessment.created_at).desc(), col(SelfAssessment.id).desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(_newer_than_cursor(before))
    rows = list(session.execute(query).all())
    total: int = session.execute(
        core_select(func.count()).where(col(SelfAssessment.goal_id) == goal_id)
    ).scalar_one()
    return _page(goal_id, int(total), rows, limit)


def goal_pages(
    session: Session, *, plan_id: int, goal_id: int | None = None, before: int | None = None
) -> list[GoalPage]:
    """The term's goals (in force first, then retired), each with its newest page of
    ratings; the goal `goal_id` with the page older than `before` instead (three queries,
    whatever the number of goals or ratings)."""
    goals = session.exec(
        select(Goal)
        .where(Goal.plan_id == plan_id)
        .order_by(col(Goal.retired_at).is_not(None), col(Goal.position), col(Goal.id))
    ).all()
    totals = dict(
        session.execute(
            core_select(col(SelfAssessment.goal_id), func.count())
            .join(Goal, col(Goal.id) == SelfAssessment.goal_id)
            .where(col(Goal.plan_id) == plan_id)
            .group_by(col(SelfAssessment.goal_id))
        ).all()
    )
    newest = (
        core_select(
            col(SelfAssessment.goal_id),
            col(SelfAssessment.id),
            col(SelfAssessment.level),
            col(SelfAssessment.comment),
            col(SelfAssessment.created_at),
            func.row_number()
            .over(
                partition_by=col(SelfAssessment.goal_id),
                order_by=(col(SelfAssessment.created_at).desc(), col(SelfAssessment.id).desc()),
            )
            .label("n"),
        )
        .join(Goal, col(Goal.id) == SelfAssessment.goal_id)
        .where(col(Goal.plan_id) == plan_id)
    )
    if goal_id is not None and before is not None:
        newest = newest.where(
            or_(col(SelfAssessment.goal_id) != goal_id, _newer_than_cursor(before))
        )
    ranked = newest.subquery()
    rows: dict[int, list[Any]] = {}
    for row in session.execute(
        core_select(ranked)
        .where(ranked.c.n <= RATINGS_PAGE + 1)
        .order_by(ranked.c.goal_id, ranked.c.n)
    ).all():
        rows.setdefault(int(row.goal_id), []).append(row)
    return [
        GoalPage(
            id=goal.id,
            area=goal.area,
            text=goal.text,
            how=goal.how,
            retired=goal.retired_at is not None,
            page=_page(goal.id, int(totals.get(goal.id, 0)), rows.get(goal.id, []), RATINGS_PAGE),
        )
        for goal in goals
        if goal.id is not None
    ]
