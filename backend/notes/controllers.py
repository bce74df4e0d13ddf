"""Running notes: the note form that opens in place from the group list (three
interactions: open, type, save as staff-only or shared), a pupil's notes for staff, the
author's edit and delete, and the same as JSON."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlmodel import Session

from backend.access import FAMILY, STAFF, Access, Record, for_pupil, for_record
from backend.errors import Conflict, FormError, refusals
from backend.models import Person
from backend.notes import service
from backend.notes.schemas import NoteCreate, NoteForm, NotePublic, NoteUpdate
from backend.readlog import ReadKind
from backend.web import Page, RowId, form_int, render, safe_next, see_other

_NOT_FOUND = {404: "No such pupil or note, or not yours to see"}
_WRITE = _NOT_FOUND | {403: "Not the note's author", 422: "Not a valid note"}
READ = refusals(_NOT_FOUND)
WRITE = refusals(_WRITE)
CHANGE = refusals(_WRITE | {409: "Changed since `version`: `current` holds the note as it is now"})


def _back(request: HTMXRequest, value: str | None, pupil_id: int) -> str:
    """Where a plain save returns: our own path from `back`, else the pupil's notes."""
    if value:
        return safe_next(value)
    return request.app.route_reverse("notes.pupil_notes", pupil_id=pupil_id)


class NoteController(Controller):
    include_in_schema = False

    @get(
        "/pupils/{pupil_id:int}/notes/new",
        sync_to_thread=False,
        dependencies=for_pupil(None, STAFF),
        name="notes.new",
    )
    def new(
        self,
        *,
        request: HTMXRequest,
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        back: FromQuery[str | None] = None,
    ) -> Template:
        """The form: in place for htmx (the group list's "Note" link), else a page."""
        form = NoteForm(back=_back(request, back, access.pupil_id))
        return _new_form(request, db, access, form=form)

    @post(
        "/pupils/{pupil_id:int}/notes",
        sync_to_thread=False,
        dependencies=for_pupil(None, STAFF),
        name="notes.create",
    )
    def create(
        self,
        *,
        request: HTMXRequest,
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        data: URLEncodedBody[NoteForm],
    ) -> Response[Any]:
        try:
            note = service.add_note(
                db,
                author=access.viewer,
                pupil_id=access.pupil_id,
                text=data.text,
                shared=data.shared == "1",
                subject=data.subject,
            )
        except FormError as error:
            return _new_form(request, db, access, form=data, errors=error.errors, status_code=422)
        if not request.htmx:
            return Redirect(_back(request, data.back, access.pupil_id), status_code=303)
        return Page(
            "notes/_saved.html",
            headers={"vary": "HX-Request"},
            context={"note": note, "pupil": db.get(Person, access.pupil_id)},
        )

    @get(
        "/pupils/{pupil_id:int}/notes",
        sync_to_thread=False,
        dependencies=for_pupil(ReadKind.NOTES, STAFF),
        name="notes.pupil_notes",
    )
    def pupil_notes(
        self, *, db: NamedDependency[Session], access: NamedDependency[Access]
    ) -> Template:
        return Page(
            "notes/list.html",
            context={
                "viewer": access.viewer,
                "nav": "home",
                "pupil": db.get(Person, access.pupil_id),
                "notes": service.notes_of(
                    db, pupil_id=access.pupil_id, shared_only=False, namer=access.namer
                ),
            },
        )

    @get(
        "/notes/{note_id:int}/edit",
        sync_to_thread=False,
        dependencies=for_record(Record.NOTE, ReadKind.NOTES, STAFF),
        name="notes.edit",
    )
    def edit(
        self, *, db: NamedDependency[Session], access: NamedDependency[Access], note_id: RowId
    ) -> Template:
        return _edit_page(db, access, note_id=note_id)

    @post(
        "/notes/{note_id:int}/edit",
        sync_to_thread=False,
        dependencies=for_record(Record.NOTE, None, STAFF),
        name="notes.change",
    )
    def change(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        note_id: RowId,
        data: URLEncodedBody[NoteForm],
    ) -> Response[Any]:
        try:
            note = service.update_note(
                db,
                access=access,
                note_id=note_id,
                text=data.text,
                shared=data.shared == "1",
                version=form_int(data.version),
            )
        except FormError as error:
            return _edit_page(
                db, access, note_id=note_id, form=data, errors=error.errors, status=422
            )
        except Conflict:
            return _edit_page(db, access, note_id=note_id, form=data, stale=True, status=409)
        return see_other(
            request, "notes.pupil_notes", fragment=f"note-{note_id}", pupil_id=note.pupil_id
        )

    @post(
        "/notes/{note_id:int}/delete",
        sync_to_thread=False,
        dependencies=for_record(Record.NOTE, None, STAFF),
        name="notes.remove",
    )
    def remove(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        note_id: RowId,
    ) -> Redirect:
        note = service.delete_note(db, access=access, note_id=note_id)
        return see_other(request, "notes.pupil_notes", query={"deleted": 1}, pupil_id=note.pupil_id)


class NoteApiController(Controller):
    path = "/api"
    tags = ("notes",)

    @get(
        "/pupils/{pupil_id:int}/notes",
        sync_to_thread=False,
        summary="Running notes about a pupil: all for her mentor and teachers, shared ones "
        "for the pupil and her guardians",
        responses=READ,
        dependencies=for_pupil(ReadKind.NOTES, STAFF | FAMILY),
        name="notes.notes_json",
    )
    def notes_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[Access]
    ) -> list[NotePublic]:
        staff = access.relation in STAFF
        return service.notes_of(
            db, pupil_id=access.pupil_id, shared_only=not staff, namer=access.namer
        )

    @post(
        "/pupils/{pupil_id:int}/notes",
        sync_to_thread=False,
        summary="Write a running note about a pupil (her mentor or a teacher), tagged with "
        "the author's subject",
        responses=WRITE,
        dependencies=for_pupil(None, STAFF),
        name="notes.create_json",
    )
    def create_json(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        data: JSONBody[NoteCreate],
    ) -> Response[NotePublic]:
        try:
            note = service.add_note(
                db,
                author=access.viewer,
                pupil_id=access.pupil_id,
                text=data.text,
                shared=data.shared,
                subject=data.subject or "",
            )
        except FormError as error:
            raise error.invalid() from error
        return Response(note, status_code=201)

    @patch(
        "/notes/{note_id:int}",
        sync_to_thread=False,
        summary="Change one's own note, with the `version` it is based on",
        responses=CHANGE,
        dependencies=for_record(Record.NOTE, None, STAFF),
        name="notes.update_json",
    )
    def update_json(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        note_id: RowId,
        data: JSONBody[NoteUpdate],
    ) -> NotePublic:
        try:
            return service.update_note(
                db,
                access=access,
                note_id=note_id,
                text=data.text,
                shared=data.shared,
                version=data.version,
            )
        except FormError as error:
            raise error.invalid() from error

    @delete(
        "/notes/{note_id:int}",
        sync_to_thread=False,
        summary="Delete one's own note",
        responses=WRITE,
        dependencies=for_record(Record.NOTE, None, STAFF),
        name="notes.delete_json",
    )
    def delete_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[Access], note_id: RowId
    ) -> None:
        service.delete_note(db, access=access, note_id=note_id)


def _new_form(
    request: HTMXRequest,
    db: Session,
    access: Access,
    *,
    form: NoteForm,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    return render(
        request,
        "notes/new.html",
        partial="notes/_form.html",
        status_code=status_code,
        viewer=access.viewer,
        nav="home",
        pupil=db.get(Person, access.pupil_id),
        choices=service.subjects_for(db, viewer=access.viewer, pupil_id=access.pupil_id),
        form=form,
        errors=errors or {},
        note=None,
    )


def _edit_page(
    db: Session,
    access: Access,
    *,
    note_id: int,
    form: NoteForm | None = None,
    errors: dict[str, str] | None = None,
    stale: bool = False,
    status: int = 200,
) -> Template:
    """The edit page with the note as it is now (after a 409: the other person's text), and
    the form as sent, else as the note is."""
    note = service.own_note(db, access=access, note_id=note_id)
    form = form or NoteForm(text=note.text, shared="1" if note.shared else "0")
    return Page(
        "notes/edit.html",
        status_code=status,
        context={
            "viewer": access.viewer,
            "nav": "home",
            "pupil": db.get(Person, note.pupil_id),
            "note": note,
            "choices": [note.subject],
            "form": form,
            "errors": errors or {},
            "stale": stale,
        },
    )
