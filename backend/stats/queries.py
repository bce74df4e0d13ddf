"""The school overview in one statement: a row per group and pupil, with her plan this term,
its goals in force and its latest rating; and the talk cycle's figures in two (the school's
terms, and a row per group and pupil with a plan in the term asked for)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, case, exists, func, or_
from sqlalchemy import select as core_select
from sqlalchemy.orm import aliased
from sqlmodel import col

from backend.db import Query
from backend.models import (
    Agreement,
    Booking,
    Goal,
    Group,
    GroupPupil,
    Guardianship,
    OrganisationSchool,
    Person,
    Plan,
    PlanEvent,
    Preparation,
    School,
    SelfAssessment,
    Summary,
    Term,
)
from backend.terms import current

_TODAY: Any = bindparam("today")
_CURRENT_TERM = current.of_school(bindparam("school_id"))
_GOALS = (
    core_select(func.count())
    .select_from(Goal)
    .where(col(Goal.plan_id) == Plan.id, col(Goal.retired_at).is_(None))
    .correlate(Plan)
    .scalar_subquery()
)
_LAST_RATING = (
    core_select(func.max(col(SelfAssessment.created_at)))
    .join(Goal, col(Goal.id) == SelfAssessment.goal_id)
    .where(col(Goal.plan_id) == Plan.id)
    .correlate(Plan)
    .scalar_subquery()
)
_TERM_CODE = core_select(col(Term.code)).where(col(Term.id) == _CURRENT_TERM).scalar_subquery()

SCHOOL = Query(
    core_select(
        col(Group.id).label("group_id"),
        col(Group.name),
        col(Group.school_year),
        col(Person.id).label("pupil_id"),
        col(Person.given_name),
        col(Person.family_name),
        col(Plan.id).label("plan_id"),
        _GOALS.label("goals"),
        _LAST_RATING.label("last"),
        _TERM_CODE.label("code"),
    )
    .select_from(Group)
    .outerjoin(GroupPupil, col(GroupPupil.group_id) == Group.id)
    .outerjoin(Person, col(Person.id) == GroupPupil.pupil_id)
    .outerjoin(
        Plan, and_(col(Plan.pupil_id) == GroupPupil.pupil_id, col(Plan.term_id) == _CURRENT_TERM)
    )
    .where(col(Group.school_id) == bindparam("school_id"))
    .order_by(
        col(Group.school_year),
        col(Group.name),
        col(Group.id),
        col(Person.given_name),
        col(Person.family_name),
    )
)

# The talk cycle (issue 22): the school's terms, newest first, and which is this term …
TERMS = Query(
    core_select(
        col(Term.id),
        col(Term.code),
        col(Term.summary_years),
        (col(Term.id) == _CURRENT_TERM).label("current"),
    )
    .where(col(Term.school_id) == bindparam("school_id"), col(Term.starts_on) <= _TODAY)
    .order_by(col(Term.starts_on).desc(), col(Term.id).desc())
)


def _one_of(column: Any, *values: str) -> Any:
    """`column IN (...)` as ORs: a prebuilt query binds no list."""
    return or_(*(column == value for value in values))


def _exists_for_plan(model: Any, *where: Any) -> Any:
    return exists().where(col(model.plan_id) == Plan.id, *where).correlate(Plan)


def _agreements(*where: Any) -> Any:
    return (
        core_select(func.count())
        .select_from(Agreement)
        .where(col(Agreement.plan_id) == Plan.id, *where)
        .correlate(Plan)
        .scalar_subquery()
    )


# The plan's term, apart from the term a current-term subquery reads (terms/current.py).
_PlanTerm = aliased(Term)


def _cycle(*where: Any) -> Any:
    """Per group and pupil with a plan in the term `where` names: how far her plan has
    come in the cycle."""
    return (
        core_select(
            col(Group.id).label("group_id"),
            col(Group.name),
            col(Group.school_year),
            col(Group.school_id),
            col(_PlanTerm.summary_years),
            col(Plan.pupil_id),
            _exists_for_plan(
                Preparation,
                col(Preparation.author_id) == Plan.pupil_id,
                col(Preparation.ready_at).is_not(None),
            ).label("prepared"),
            _exists_for_plan(
                Preparation,
                col(Preparation.ready_at).is_not(None),
                exists()
                .where(
                    col(Guardianship.guardian_id) == Preparation.author_id,
                    col(Guardianship.pupil_id) == Plan.pupil_id,
                    col(Guardianship.has_access).is_(True),
                )
                .correlate(Preparation, Plan),
            ).label("guardians_prepared"),
            exists()
            .where(col(Booking.pupil_id) == Plan.pupil_id, col(Booking.term_id) == Plan.term_id)
            .correlate(Plan)
            .label("booked"),
            _exists_for_plan(
                PlanEvent, _one_of(col(PlanEvent.state), "held", "signed", "followed_up")
            ).label("held"),
            col(Summary.published_at),
            _agreements().label("agreements"),
            _agreements(col(Agreement.state) == "open").label("open"),
            _agreements(_one_of(col(Agreement.state), "done", "not_done")).label("followed_up"),
            core_select(func.max(col(SelfAssessment.created_at)))
            .join(Goal, col(Goal.id) == SelfAssessment.goal_id)
            .where(col(Goal.plan_id) == Plan.id)
            .correlate(Plan)
            .scalar_subquery()
            .label("last"),
        )
        .select_from(Group)
        .join(GroupPupil, col(GroupPupil.group_id) == Group.id)
        .join(Plan, col(Plan.pupil_id) == GroupPupil.pupil_id)
        .join(
            _PlanTerm,
            and_(col(_PlanTerm.id) == Plan.term_id, col(_PlanTerm.school_id) == Group.school_id),
        )
        .outerjoin(Summary, col(Summary.plan_id) == Plan.id)
        .where(*where)
        .order_by(col(Group.school_year), col(Group.name), col(Group.id))
    )


# … a school's cycle in one of its terms …
CYCLE = Query(
    _cycle(
        col(Group.school_id) == bindparam("school_id"), col(Plan.term_id) == bindparam("term_id")
    )
)

# … and an organisation's: its schools, the terms they have had (newest first), and the
# cycle at each school in its own current term, or in the term of a code.
_ITS_SCHOOLS = core_select(col(OrganisationSchool.school_id)).where(
    col(OrganisationSchool.organisation_id) == bindparam("organisation_id")
)
ORGANISATION_SCHOOLS = Query(
    core_select(col(School.id), col(School.name))
    .where(col(School.id).in_(_ITS_SCHOOLS))
    .order_by(col(School.name), col(School.id))
)
ORGANISATION_TERMS = Query(
    core_select(col(Term.code), func.max(col(Term.starts_on)).label("starts_on"))
    .where(col(Term.school_id).in_(_ITS_SCHOOLS), col(Term.starts_on) <= _TODAY)
    .group_by(col(Term.code))
    .order_by(func.max(col(Term.starts_on)).desc())
)


def _counted(*where: Any) -> Any:
    """The organisation's cycle counted by the database, per school and school year (with
    the term's written-plan years): each pupil once per school, the counts summed. A
    municipality's 50,000 pupils arrive as a few hundred rows."""
    per_pupil = _cycle(*where).order_by(None).subquery()
    c = per_pupil.c

    def flag(condition: Any) -> Any:
        return case((condition, 1), else_=0)

    pupils = (
        core_select(
            c.school_id,
            c.pupil_id,
            func.min(c.school_year).label("school_year"),
            func.min(c.summary_years).label("summary_years"),
            *(
                func.max(flag(getattr(c, name))).label(name)
                for name in ("prepared", "guardians_prepared", "booked", "held")
            ),
            func.max(flag(c.published_at.is_not(None))).label("published"),
            func.max(c.agreements).label("agreements"),
            func.max(c.open).label("open"),
            func.max(c.followed_up).label("followed_up"),
            func.max(c.last).label("last"),
        )
        .group_by(c.school_id, c.pupil_id)
        .subquery()
    )
    p = pupils.c
    since = bindparam("since", type_=SelfAssessment.__table__.c.created_at.type)  # type: ignore[attr-defined]
    return core_select(
        p.school_id,
        p.school_year,
        p.summary_years,
        func.count().label("pupils"),
        *(
            func.sum(getattr(p, name)).label(name)
            for name in ("prepared", "guardians_prepared", "booked", "held", "published")
        ),
        func.sum(flag(p.agreements > 0)).label("with_agreements"),
        func.sum(flag(and_(p.agreements > 0, p.open == 0))).label("agreements_signed"),
        func.sum(flag(and_(p.agreements > 0, p.followed_up == p.agreements))).label(
            "agreements_followed_up"
        ),
        func.sum(flag(or_(p.last.is_(None), p.last < since))).label("not_rated_this_month"),
    ).group_by(p.school_id, p.school_year, p.summary_years)


ORGANISATION_CYCLE = Query(
    _counted(
        col(Group.school_id).in_(_ITS_SCHOOLS),
        col(Plan.term_id) == current.of_school(Group.school_id),
    )
)
ORGANISATION_CYCLE_IN = Query(
    _counted(col(Group.school_id).in_(_ITS_SCHOOLS), col(_PlanTerm.code) == bindparam("code"))
)
