"""The mentor's compilation for one pupil's talk: the page (it prints on A4), the talk
draft (staff only; a stale save is a 409 that shows both texts) and "the talk is held",
and the same as JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody, URLEncodedBody
from litestar.response import Template
from sqlmodel import Session

from backend.access import STAFF, Access, for_pupil
from backend.compilation import service
from backend.compilation.schemas import (
    CompilationPublic,
    TalkDraftForm,
    TalkDraftPublic,
    TalkDraftUpdate,
    TalkHeldPublic,
)
from backend.errors import ARCHIVED_409, Archived, Conflict, FormError, refusals
from backend.models import Person
from backend.plans.service import LEVEL_WORDS
from backend.readlog import ReadKind
from backend.web import Page, form_int, see_other

_NOT_FOUND = {404: "No such pupil, or not one of the viewer's mentor or teaching groups"}
READ = refusals(_NOT_FOUND)
WRITE = refusals(_NOT_FOUND | {403: "Not the pupil's mentor", 409: ARCHIVED_409})
CHANGE = refusals(
    _NOT_FOUND
    | {
        403: "Not the pupil's mentor",
        409: "Changed since `version`: `current` holds the draft as it is now; or " + ARCHIVED_409,
        422: "Not a valid draft",
    }
)


class HeldForm(msgspec.Struct, kw_only=True):
    """The talk-held button's form: `confirm` is "1" from the page that asked first."""

    confirm: str = ""


def _page(
    db: Session,
    state: State,
    access: Access,
    *,
    form: TalkDraftForm | None = None,
    errors: dict[str, str] | None = None,
    stale: bool = False,
    status: int = 200,
) -> Template:
    settings = state.settings
    found = service.compilation(
        db, pupil_id=access.pupil_id, today=settings.today(), zone=settings.zone
    )
    return Page(
        "compilation/page.html",
        status_code=status,
        context={
            "viewer": access.viewer,
            "nav": "home",
            "c": found,
            "levels": LEVEL_WORDS,
            "mentor": access.relation.value == "mentor",
            "form": form,
            "errors": errors or {},
            "stale": stale,
        },
    )


class CompilationController(Controller):
    include_in_schema = False

    @get(
        "/pupils/{pupil_id:int}/compilation",
        sync_to_thread=False,
        dependencies=for_pupil(ReadKind.COMPILATION, STAFF),
        name="compilation.page",
    )
    def page(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> Template:
        return _page(db, state, access)

    @post(
        "/pupils/{pupil_id:int}/talk-draft",
        sync_to_thread=False,
        dependencies=for_pupil(None, STAFF),
        name="compilation.save_draft",
    )
    def save_draft(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: URLEncodedBody[TalkDraftForm],
    ) -> Response[Any]:
        try:
            service.save_draft(
                db,
                access=access,
                text=data.text,
                version=form_int(data.version),
                today=state.settings.today(),
            )
        except FormError as error:
            return _page(db, state, access, form=data, errors=error.errors, status=422)
        except Archived:
            raise  # read-only history: the error page says so
        except Conflict:
            return _page(db, state, access, form=data, stale=True, status=409)
        return see_other(
            request,
            "compilation.page",
            query={"saved": 1},
            fragment="done",
            pupil_id=access.pupil_id,
        )

    @post(
        "/pupils/{pupil_id:int}/talk-held",
        sync_to_thread=False,
        dependencies=for_pupil(None, STAFF),
        name="compilation.held",
    )
    def held(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: URLEncodedBody[HeldForm],
    ) -> Response[Any]:
        """Before the booked time it asks first (issue 22, item 7), unless the form comes
        from that question (`confirm=1`)."""
        today = state.settings.today()
        if data.confirm != "1":
            booking = service.held_too_early(db, access=access, today=today, now=datetime.now(UTC))
            if booking is not None:
                pupil = db.get(Person, access.pupil_id)
                return Page(
                    "compilation/confirm_held.html",
                    context={
                        "viewer": access.viewer,
                        "nav": "home",
                        "pupil_id": access.pupil_id,
                        "pupil": pupil.name if pupil else "",
                        "booking": booking,
                    },
                )
        service.mark_held(db, access=access, today=today)
        return see_other(
            request,
            "compilation.page",
            query={"held": 1},
            fragment="held",
            pupil_id=access.pupil_id,
        )


class CompilationApiController(Controller):
    path = "/api"
    tags = ("compilation",)

    @get(
        "/pupils/{pupil_id:int}/compilation",
        sync_to_thread=False,
        summary="Everything for one pupil's talk, for her mentor and teachers: this term's "
        "notes, self-assessments with their history, the preparations, the booked time, "
        "last term's plan and the talk draft",
        responses=READ,
        dependencies=for_pupil(ReadKind.COMPILATION, STAFF),
        name="compilation.compilation_json",
    )
    def compilation_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> CompilationPublic:
        settings = state.settings
        return service.compilation(
            db, pupil_id=access.pupil_id, today=settings.today(), zone=settings.zone
        )

    @put(
        "/pupils/{pupil_id:int}/talk-draft",
        sync_to_thread=False,
        summary="The mentor's talk draft, with the `version` it is based on (0: new); "
        "staff only until the talk",
        responses=CHANGE,
        dependencies=for_pupil(None, STAFF),
        name="compilation.draft_json",
    )
    def draft_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: JSONBody[TalkDraftUpdate],
    ) -> TalkDraftPublic:
        try:
            return service.save_draft(
                db,
                access=access,
                text=data.text,
                version=data.version,
                today=state.settings.today(),
            )
        except FormError as error:
            raise error.invalid() from error

    @post(
        "/pupils/{pupil_id:int}/talk-held",
        sync_to_thread=False,
        summary="The mentor marks the talk held: the plan moves to `held` (recorded once)",
        responses=WRITE,
        dependencies=for_pupil(None, STAFF),
        name="compilation.held_json",
    )
    def held_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> Response[TalkHeldPublic]:
        changed = service.mark_held(db, access=access, today=state.settings.today())
        return Response(TalkHeldPublic(held=True, changed=changed), status_code=200)
