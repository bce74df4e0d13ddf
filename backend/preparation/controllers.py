"""Preparing for the talk: the pupil's page (/preparation) and each guardian's
(/pupils/{id}/preparation), one form each that works without JavaScript and keeps typed
text on the device when there is no connection (pwa/static/js/preparation.js sends it when
the connection returns), a stale save answered with both texts to choose from, and the
same as JSON: the own preparation (GET|PUT) and, for staff, everyone's."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, URLEncodedBody
from litestar.response import Template
from sqlmodel import Session

from backend import web
from backend.access import OWN, STAFF, Access, Relation, for_pupil
from backend.errors import ARCHIVED_409, Archived, Conflict, FormError, Invalid, refusals
from backend.models import Audience, Person
from backend.plans import service as plans_service
from backend.preparation import service
from backend.preparation.schemas import PreparationPublic, PreparationUpdate
from backend.readlog import ReadKind
from backend.web import Page, form_int

_NOT_FOUND = {404: "No plan this term, or not yours to see"}
READ = refusals(_NOT_FOUND)
CHANGE = refusals(
    _NOT_FOUND
    | {
        409: "Saved by someone else since `version`: `current` holds the preparation as it is "
        "now; or " + ARCHIVED_409,
        422: "Not a valid answer",
    }
)
GUARDIANS = frozenset({Relation.GUARDIAN})
_FORM_LIMIT = 200  # form fields read from a preparation form; more is not a person


def _answers(data: dict[str, str]) -> dict[int, str]:
    """The form's `q<id>` fields; where she chose the saved text after a conflict
    (`choose-<id>` = "saved"), her text is not sent and the saved one stays."""
    answers: dict[int, str] = {}
    for name, value in list(data.items())[:_FORM_LIMIT]:
        question_id = form_int(name[1:]) if name.startswith("q") else 0
        if question_id and data.get(f"choose-{question_id}") != "saved":
            answers[question_id] = value
    return answers


def _invalid(error: FormError) -> Invalid:
    return Invalid("invalid_answer", next(iter(error.errors.values())))


class PreparationController(Controller):
    include_in_schema = False

    @get(
        "/preparation",
        sync_to_thread=False,
        dependencies=OWN,
        name="preparation.page",
    )
    def page(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        saved: FromQuery[bool] = False,
    ) -> Template:
        return _page(db, state, access, audience=Audience.PUPIL, saved=saved)

    @post(
        "/preparation",
        sync_to_thread=False,
        dependencies=OWN,
        name="preparation.save",
    )
    def save(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        return _save_form(request, db, state, access, data=data, audience=Audience.PUPIL)

    @get(
        "/pupils/{pupil_id:int}/preparation",
        sync_to_thread=False,
        dependencies=for_pupil(None, GUARDIANS),
        name="preparation.guardian_page",
    )
    def guardian_page(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        saved: FromQuery[bool] = False,
    ) -> Template:
        return _page(db, state, access, audience=Audience.GUARDIAN, saved=saved)

    @post(
        "/pupils/{pupil_id:int}/preparation",
        sync_to_thread=False,
        dependencies=for_pupil(None, GUARDIANS),
        name="preparation.guardian_save",
    )
    def guardian_save(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response[Any]:
        return _save_form(request, db, state, access, data=data, audience=Audience.GUARDIAN)


class PreparationApiController(Controller):
    path = "/api"
    tags = ("preparation",)

    @get(
        "/plan/preparation",
        sync_to_thread=False,
        summary="The signed-in pupil's preparation for this term's talk: every question "
        "with her answer; `version` 0 before her first save",
        responses=READ,
        dependencies=OWN,
        name="preparation.own_json",
    )
    def own_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> PreparationPublic:
        return service.preparation_of(
            db,
            pupil_id=access.pupil_id,
            author_id=access.viewer.person_id,
            audience=Audience.PUPIL,
            today=state.settings.today(),
        )

    @put(
        "/plan/preparation",
        sync_to_thread=False,
        summary="Save the signed-in pupil's answers, with the `version` they are based on; "
        "`ready` marks her ready for the talk",
        responses=CHANGE,
        dependencies=OWN,
        name="preparation.own_put",
    )
    def own_put(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: JSONBody[PreparationUpdate],
    ) -> PreparationPublic:
        return _save_json(db, state, access, data=data, audience=Audience.PUPIL)

    @get(
        "/pupils/{pupil_id:int}/guardian-preparation",
        sync_to_thread=False,
        summary="The signed-in guardian's own preparation for the pupil's talk this term",
        responses=READ,
        dependencies=for_pupil(None, GUARDIANS),
        name="preparation.guardian_json",
    )
    def guardian_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> PreparationPublic:
        return service.preparation_of(
            db,
            pupil_id=access.pupil_id,
            author_id=access.viewer.person_id,
            audience=Audience.GUARDIAN,
            today=state.settings.today(),
        )

    @put(
        "/pupils/{pupil_id:int}/guardian-preparation",
        sync_to_thread=False,
        summary="Save the signed-in guardian's answers, with the `version` they are based "
        "on; `shared` lets the pupil's other guardians read them",
        responses=CHANGE,
        dependencies=for_pupil(None, GUARDIANS),
        name="preparation.guardian_put",
    )
    def guardian_put(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: JSONBody[PreparationUpdate],
    ) -> PreparationPublic:
        return _save_json(db, state, access, data=data, audience=Audience.GUARDIAN)

    @get(
        "/pupils/{pupil_id:int}/preparations",
        sync_to_thread=False,
        summary="Everyone's preparation for the pupil's talk this term, shared or not: for "
        "her mentor and teachers",
        responses=READ,
        dependencies=for_pupil(ReadKind.PREPARATION, STAFF),
        name="preparation.all_json",
    )
    def all_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> list[PreparationPublic]:
        return service.preparations_of(db, access=access, today=state.settings.today())


def _save_json(
    db: Session, state: State, access: Access, *, data: PreparationUpdate, audience: Audience
) -> PreparationPublic:
    try:
        return service.save_preparation(
            db,
            pupil_id=access.pupil_id,
            author_id=access.viewer.person_id,
            audience=audience,
            version=data.version,
            answers={a.question_id: a.text for a in data.answers},
            ready=data.ready,
            shared=data.shared,
            today=state.settings.today(),
        )
    except FormError as error:
        raise _invalid(error) from error


def _save_form(
    request: Request[Any, Any, Any],
    db: Session,
    state: State,
    access: Access,
    *,
    data: dict[str, str],
    audience: Audience,
) -> Response[Any]:
    answers = _answers(data)
    ready = data.get("ready")
    try:
        service.save_preparation(
            db,
            pupil_id=access.pupil_id,
            author_id=access.viewer.person_id,
            audience=audience,
            version=form_int(data.get("version", "")),
            answers=answers,
            ready=None if ready is None else ready == "1",
            shared=(data.get("shared") == "1") if audience is Audience.GUARDIAN else None,
            today=state.settings.today(),
        )
    except FormError as error:
        return _page(
            db, state, access, audience=audience, typed=answers, errors=error.errors, status=422
        )
    except Archived:
        raise  # read-only history: the error page says so
    except Conflict:
        return _page(db, state, access, audience=audience, typed=answers, stale=True, status=409)
    if audience is Audience.PUPIL:
        return web.see_other(request, "preparation.page", query={"saved": 1})
    return web.see_other(
        request, "preparation.guardian_page", query={"saved": 1}, pupil_id=access.pupil_id
    )


def _page(
    db: Session,
    state: State,
    access: Access,
    *,
    audience: Audience,
    typed: dict[int, str] | None = None,
    errors: dict[str, str] | None = None,
    stale: bool = False,
    saved: bool = False,
    status: int = 200,
) -> Template:
    """The preparation page: the questions with her answers (after a refused save, with what
    she typed; after a 409, her text beside the saved one where they differ)."""
    today = state.settings.today()
    viewer = access.viewer
    prep = service.preparation_of(
        db,
        pupil_id=access.pupil_id,
        author_id=viewer.person_id,
        audience=audience,
        today=today,
    )
    stored = {a.question_id: a.text for a in prep.answers}
    typed = typed or {}
    texts = {q: typed.get(q, text) for q, text in stored.items()}
    differ = {q for q in typed if stale and q in stored and typed[q].strip() != stored[q]}
    guardian = audience is Audience.GUARDIAN
    plan = (
        None
        if guardian
        else plans_service.plan_of(db, pupil_id=access.pupil_id, today=today, namer=access.namer)
    )
    talk = service.talk_of(db, pupil_id=access.pupil_id, today=today)
    return Page(
        "preparation/page.html",
        status_code=status,
        headers={"cache-control": "no-store"},
        context={
            "viewer": viewer,
            "nav": "home",
            "prep": prep,
            "texts": texts,
            "differ": differ,
            "stale": stale,
            "saved": saved,
            "errors": errors or {},
            "guardian": guardian,
            "pupil": db.get(Person, access.pupil_id) if guardian else None,
            "plan": plan,
            "archived": talk is not None and talk.archived,
            "others": service.shared_with(db, access=access, today=today) if guardian else [],
            "other_names": service.other_guardians(db, access=access) if guardian else [],
            "draft_key": f"prep:{viewer.person_id}:{access.pupil_id}",
        },
    )
