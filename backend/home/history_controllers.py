"""Earlier terms: the list of a pupil's plans and one term's written IUP (read-only; the
page prints on A4), and the same as JSON (the paths are the contract of issue 9)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.response import Template
from sqlmodel import Session

from backend.access import FAMILY, Access, Record, for_pupil, for_record
from backend.agreements.schemas import PlanEntry, PlanRecord
from backend.errors import refusals
from backend.exchange.importing import IMPORTERS
from backend.home import history
from backend.models import Person
from backend.plans.service import LEVEL_WORDS
from backend.readlog import ReadKind
from backend.web import Page, RowId

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
                "plans": history.plans_of(db, pupil_id=access.pupil_id, relation=access.relation),
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
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        plan_id: RowId,
    ) -> Template:
        return Page(
            "plans/record.html",
            context={
                "viewer": access.viewer,
                "nav": "home",
                "r": _record(db, state, access, plan_id),
                "pupil_id": access.pupil_id,
                "is_self": access.is_self,
                "staff": access.relation not in FAMILY,
                **_words(),
            },
        )


class HistoryApiController(Controller):
    path = "/api"
    tags = ("home",)

    @get(
        "/pupils/{pupil_id:int}/plans",
        sync_to_thread=False,
        summary="Every term's plan of the pupil, newest first: term, dates, state and how "
        "many agreements it holds (the family counts those of a published plan only)",
        responses=READ,
        dependencies=for_pupil(ReadKind.HISTORY),
        name="home.plans_json",
    )
    def plans_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[Access]
    ) -> list[PlanEntry]:
        return history.plans_of(db, pupil_id=access.pupil_id, relation=access.relation)

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
