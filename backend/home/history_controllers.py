"""Earlier terms: the list of a pupil's plans and one term's written IUP (read-only; the
page prints on A4), and the same as JSON (the paths are the contract of issue 9)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from sqlmodel import Session

from backend.access import FAMILY, Access, Record, for_pupil, for_record
from backend.agreements.schemas import PlanEntry, PlanRecord
from backend.errors import refusals
from backend.exchange.importing import IMPORTERS
from backend.home import history
from backend.models import Person
from backend.plans.service import LEVEL_WORDS, RATINGS_PAGE
from backend.readlog import ReadKind
from backend.web import MAX_ROW_ID, Page, RowId, render

# The rating a page of older ones starts below (RatingsPage.before).
Cursor = Annotated[int | None, QueryParameter(name="before", ge=1, le=MAX_ROW_ID)]
_NOT_FOUND = {404: "No such pupil or plan, or not the viewer's to read"}
READ = refusals(_NOT_FOUND | {403: "`reason_needed`: a principal gives a reason first"})


def _words() -> dict[str, object]:
    return {
        "levels": LEVEL_WORDS,
        "signer_roles": history.SIGNER_WORDS,
    }


def _record(db: Session, state: State, access: Access, plan_id: int) -> PlanRecord:
    return history.plan_record(db, access=access, plan_id=plan_id, settings=state.settings)


class HistoryController(Controller):
    include_in_schema = False

    @get(
        "/pupils/{pupil_id:int}/plans",
        sync_to_thread=False,
        dependencies=for_pupil(ReadKind.HISTORY),
        name="home.plans_page",
    )
    def plans_page(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> Template:
        pupil = db.get(Person, access.pupil_id)
        return Page(
            "plans/history.html",
            context={
                "viewer": access.viewer,
                "nav": "home",
                "pupil": pupil.name if pupil else "",
                "pupil_id": access.pupil_id,
                "is_self": access.is_self,
                "may_import": access.relation in IMPORTERS,
                "today": state.settings.today(),
                "plans": history.plans_of(
                    db,
                    pupil_id=access.pupil_id,
                    relation=access.relation,
                    today=state.settings.today(),
                ),
                **_words(),
            },
        )

    @get(
        "/plans/{plan_id:int}",
        sync_to_thread=False,
        dependencies=for_record(Record.PLAN, ReadKind.HISTORY),
        name="home.plan_page",
    )
    def plan_page(
        self,
        *,
        request: HTMXRequest,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        plan_id: RowId,
        goal: Annotated[int | None, QueryParameter(name="goal", ge=1, le=MAX_ROW_ID)] = None,
        before: Cursor = None,
    ) -> Template:
        """The term's record; each goal shows its newest ratings, a page at a time: `goal`
        and `before` (a rating's id) show that goal's older page, the whole page or, for
        htmx, the page of ratings alone, which takes the place of its link."""
        record = history.plan_record(
            db, access=access, plan_id=plan_id, settings=state.settings, goals=False
        )
        goals = history.goal_pages(db, plan_id=plan_id, goal_id=goal, before=before)
        shown = next((g for g in goals if g.id == goal), None)
        context: dict[str, Any] = {
            "viewer": access.viewer,
            "nav": "home",
            "r": record,
            "goals": goals,
            "plan_id": plan_id,
            "pupil_id": access.pupil_id,
            "is_self": access.is_self,
            "staff": access.relation not in FAMILY,
            **_words(),
        }
        if shown is not None and request.htmx and not request.htmx.boosted:
            return render(
                request,
                "plans/record.html",
                partial="plans/_ratings.html",
                goal=shown,
                older=True,
                **context,
            )
        return Page("plans/record.html", context=context)


class HistoryApiController(Controller):
    path = "/api"
    tags = ("home",)

    @get(
        "/pupils/{pupil_id:int}/plans",
        sync_to_thread=False,
        summary="Every term's plan of the pupil, newest first, terms still to come left out: "
        "term, dates, state and how many agreements it holds (the family counts those of a "
        "published plan only)",
        responses=READ,
        dependencies=for_pupil(ReadKind.HISTORY),
        name="home.plans_json",
    )
    def plans_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> list[PlanEntry]:
        return history.plans_of(
            db, pupil_id=access.pupil_id, relation=access.relation, today=state.settings.today()
        )

    @get(
        "/plans/{plan_id:int}",
        sync_to_thread=False,
        summary="One term's whole plan, read-only, as the written IUP holds it: school, "
        "group, term, the plan's story, goals with every rating, the preparation the viewer "
        "may read, and the written summary and agreements with their signatures and "
        "follow-up (for the family once published). Never staff-only notes",
        responses=READ,
        dependencies=for_record(Record.PLAN, ReadKind.HISTORY),
        name="home.plan_json",
    )
    def plan_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        plan_id: RowId,
    ) -> PlanRecord:
        return _record(db, state, access, plan_id)

    @get(
        "/goals/{goal_id:int}/ratings",
        sync_to_thread=False,
        summary="A goal's ratings a page at a time, newest first: `before` is the cursor "
        "the previous page gave (none: the newest page), `limit` 1–200 (50)",
        responses=READ,
        dependencies=for_record(Record.GOAL, ReadKind.HISTORY),
        name="home.ratings_json",
    )
    def ratings_json(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        goal_id: RowId,
        before: Cursor = None,
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=200)] = RATINGS_PAGE,
    ) -> history.RatingsPage:
        return history.ratings_page(db, goal_id=goal_id, before=before, limit=limit)
