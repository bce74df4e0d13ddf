"""After the talk, as pages: the mentor's written plan (talk record, summary of measures,
agreements, publishing, follow-up) and the family's forms (the pupil's "done"). Plain
forms with post/redirect/get; signing needs a passkey, so it runs in passkey.js against
the JSON endpoints."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel import Session

from backend.access import STAFF, Access, Record, Relation, for_pupil, for_record
from backend.agreements import service, summary
from backend.agreements.page import written
from backend.agreements.schemas import AgreementForm, CommentForm, SummaryForm, SummaryUpdate
from backend.errors import Conflict, FormError
from backend.i18n import N_
from backend.models import Person
from backend.readlog import ReadKind
from backend.web import Page, RowId, form_int, see_other


def _summary_update(data: SummaryForm) -> tuple[SummaryUpdate, dict[str, str]]:
    errors: dict[str, str] = {}
    held_on: date | None = None
    if data.held_on.strip():
        try:
            held_on = date.fromisoformat(data.held_on.strip())
        except ValueError:
            errors["held_on"] = N_("Write the date like 2026-12-02.")
    return (
        SummaryUpdate(
            version=form_int(data.version),
            held_on=held_on,
            participants=data.participants,
            measures_school=data.measures_school,
            measures_pupil=data.measures_pupil,
            measures_home=data.measures_home,
            next_goals=data.next_goals,
        ),
        errors,
    )


def _page(
    db: Session,
    state: State,
    access: Access,
    *,
    status: int = 200,
    **context: Any,
) -> Template:
    return Page(
        "agreements/written.html",
        status_code=status,
        context={
            "viewer": access.viewer,
            "nav": "home",
            "pupil": db.get(Person, access.pupil_id),
            "w": written(db, access=access, settings=state.settings),
            "mentor": access.relation is Relation.MENTOR,
            "errors": {},
            "form": None,
            "form_for": None,
            "stale": None,
            **context,
        },
    )


def _to_agreement(
    request: Request[Any, Any, Any], access: Access, done: str, agreement_id: int
) -> Redirect:
    """Back to the mentor's page, at the agreement just written."""
    return see_other(
        request,
        "agreements.page",
        query={done: agreement_id},
        fragment="done",
        pupil_id=access.pupil_id,
    )


class WrittenPlanController(Controller):
    include_in_schema = False

    @get(
        "/pupils/{pupil_id:int}/written-plan",
        sync_to_thread=False,
        dependencies=for_pupil(ReadKind.WRITTEN, STAFF),
        name="agreements.page",
    )
    def page(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> Template:
        return _page(db, state, access)

    @post(
        "/pupils/{pupil_id:int}/written-plan",
        sync_to_thread=False,
        dependencies=for_pupil(None, STAFF),
        name="agreements.save",
    )
    def save(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: URLEncodedBody[SummaryForm],
    ) -> Response[Any]:
        update, errors = _summary_update(data)
        if errors:
            return _page(
                db, state, access, form=data, form_for="summary", errors=errors, status=422
            )
        try:
            summary.save_summary(
                db,
                access=access,
                data=update,
                today=state.settings.today(),
            )
            if data.publish:
                summary.publish(
                    db,
                    access=access,
                    settings=state.settings,
                )
        except FormError as error:
            db.rollback()
            return _page(
                db, state, access, form=data, form_for="summary", errors=error.errors, status=422
            )
        except Conflict as conflict:
            if conflict.reason == "archived":
                raise
            return _page(db, state, access, form=data, form_for="summary", stale=True, status=409)
        done = "published" if data.publish else "saved"
        return see_other(
            request,
            "agreements.page",
            query={done: 1},
            fragment="done",
            pupil_id=access.pupil_id,
        )

    @post(
        "/pupils/{pupil_id:int}/agreements",
        sync_to_thread=False,
        dependencies=for_pupil(None, STAFF),
        name="agreements.create",
    )
    def create(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: URLEncodedBody[AgreementForm],
    ) -> Response[Any]:
        try:
            made = service.create_agreement(
                db,
                access=access,
                text=data.text,
                party=data.party,
                due_on=data.due_on.strip() or None,
                settings=state.settings,
            )
        except FormError as error:
            return _page(
                db, state, access, form=data, form_for="new", errors=error.errors, status=422
            )
        return _to_agreement(request, access, "added", made.id)

    @post(
        "/agreements/{agreement_id:int}",
        sync_to_thread=False,
        dependencies=for_record(Record.AGREEMENT, None, STAFF),
        name="agreements.change",
    )
    def change(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        agreement_id: RowId,
        data: URLEncodedBody[AgreementForm],
    ) -> Response[Any]:
        try:
            service.update_agreement(
                db,
                access=access,
                agreement_id=agreement_id,
                version=form_int(data.version),
                text=data.text,
                party=data.party,
                due_on=data.due_on.strip() or None,
                settings=state.settings,
            )
        except FormError as error:
            return _page(
                db, state, access, form=data, form_for=agreement_id, errors=error.errors, status=422
            )
        except Conflict as conflict:
            if conflict.reason == "archived":
                raise
            return _page(
                db, state, access, form=data, form_for=agreement_id, stale=True, status=409
            )
        return _to_agreement(request, access, "changed", agreement_id)

    @post(
        "/agreements/{agreement_id:int}/follow-up",
        sync_to_thread=False,
        dependencies=for_record(Record.AGREEMENT, None, STAFF),
        name="agreements.follow_up",
    )
    def follow_up(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        agreement_id: RowId,
        data: URLEncodedBody[CommentForm],
    ) -> Response[Any]:
        try:
            service.follow_up(
                db,
                agreement_id=agreement_id,
                access=access,
                done=data.done == "1",
                comment=data.comment,
                settings=state.settings,
            )
        except FormError as error:
            return _page(
                db,
                state,
                access,
                form=data,
                form_for=f"follow-{agreement_id}",
                errors=error.errors,
                status=422,
            )
        return _to_agreement(request, access, "followed", agreement_id)

    @post(
        "/agreements/{agreement_id:int}/progress",
        sync_to_thread=False,
        dependencies=for_record(Record.AGREEMENT, None, frozenset({Relation.SELF})),
        name="agreements.progress",
    )
    def progress(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        agreement_id: RowId,
        data: URLEncodedBody[CommentForm],
    ) -> Redirect:
        try:
            service.mark_progress(
                db,
                access=access,
                agreement_id=agreement_id,
                comment=data.comment,
                settings=state.settings,
            )
        except FormError as error:  # the field's maxlength keeps this for hand-made posts
            raise error.invalid() from error
        return see_other(
            request,
            "home.home",
            query={"progress": agreement_id},
            fragment="done",
        )
