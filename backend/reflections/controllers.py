"""Reflections, reviewed: a teacher's "New from my pupils" list, marking one as seen or
answering it (htmx swaps the item in place; without JavaScript, post/redirect/get), and
the same as JSON."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from sqlmodel import Session

from backend import readlog
from backend.access import STAFF, STAFF_ONLY, Access, Record, Staff, for_record, staff_of
from backend.errors import ARCHIVED_409, FormError, refusals
from backend.plans.schemas import ReplyPublic
from backend.plans.service import LEVEL_WORDS
from backend.readlog import ReadKind
from backend.reflections import service
from backend.reflections.schemas import (
    ReflectionList,
    ReflectionPublic,
    ReplyCreate,
    ReplyForm,
)
from backend.threads import service as threads
from backend.threads.controllers import ROLES
from backend.threads.schemas import NewMessage
from backend.web import Page, RowId, is_head, see_other

READ = refusals({403: "Not a teacher, mentor or principal"})
WRITE = refusals(
    {404: "No such self-assessment, or not one of your pupils'", 422: "Not a valid reply"}
)
REPLY = refusals(
    {
        404: "No such self-assessment, or not one of your pupils'",
        422: "Not a valid reply",
        409: ARCHIVED_409,
    }
)


class ReflectionController(Controller):
    include_in_schema = False

    @get(
        "/reflections",
        sync_to_thread=False,
        dependencies=STAFF_ONLY,
        name="reflections.page",
    )
    def page(
        self,
        *,
        request: HTMXRequest,
        db: NamedDependency[Session],
        access: NamedDependency[Staff],
        replied: FromQuery[int | None] = None,
        seen: FromQuery[int | None] = None,
    ) -> Template:
        """The list; after a plain (no-JS) save, the item saved says so."""
        done = {replied: "replied"} if replied else {seen: "seen"} if seen else {}
        return _list_page(db, access, done=done, zone=_reads_in(request))

    @post(
        "/self-assessments/{assessment_id:int}/replies",
        sync_to_thread=False,
        dependencies=for_record(Record.ASSESSMENT, None, STAFF),
        name="reflections.reply",
    )
    def reply(
        self,
        *,
        request: HTMXRequest,
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        assessment_id: RowId,
        data: URLEncodedBody[ReplyForm],
    ) -> Response[Any]:
        try:
            text = service.check_reply(data.text)
        except FormError as error:
            return _answer(request, db, access, assessment_id, errors=error.errors, form=data)
        service.add_reply(
            db,
            assessment_id=assessment_id,
            author=access.viewer,
            text=text,
            pupil_id=access.pupil_id,
            day=request.app.state.settings.today(),
            access=access,
        )
        return _answer(request, db, access, assessment_id, done="replied")

    @post(
        "/self-assessments/{assessment_id:int}/seen",
        sync_to_thread=False,
        dependencies=for_record(Record.ASSESSMENT, None, STAFF),
        name="reflections.seen",
    )
    def seen(
        self,
        *,
        request: HTMXRequest,
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        assessment_id: RowId,
    ) -> Response[Any]:
        service.mark_seen(db, access=access, assessment_id=assessment_id)
        return _answer(request, db, access, assessment_id, done="seen")


class ReflectionApiController(Controller):
    path = "/api"
    tags = ("reflections",)

    @get(
        "/reflections",
        sync_to_thread=False,
        summary="New from my pupils: self-assessments with comments from the pupils of the "
        "viewer's groups, her subjects first, then newest first",
        responses=READ,
        dependencies=STAFF_ONLY,
        name="reflections.list_json",
    )
    def list_json(
        self, *, request: HTMXRequest, db: NamedDependency[Session], access: NamedDependency[Staff]
    ) -> ReflectionList:
        zone = _reads_in(request)
        items = _read(db, access, zone=zone)
        messages = _messages(db, access, zone=zone)
        return ReflectionList(
            items=items, days=service.DAYS, limit=service.LIMIT, messages=messages
        )

    @post(
        "/self-assessments/{assessment_id:int}/replies",
        sync_to_thread=False,
        summary="Answer a pupil's self-assessment (also marks it seen)",
        responses=REPLY,
        dependencies=for_record(Record.ASSESSMENT, None, STAFF),
        name="reflections.reply_json",
    )
    def reply_json(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        assessment_id: RowId,
        data: JSONBody[ReplyCreate],
    ) -> Response[ReplyPublic]:
        try:
            text = service.check_reply(data.text)
        except FormError as error:
            raise error.invalid() from error
        reply = service.add_reply(
            db,
            assessment_id=assessment_id,
            author=access.viewer,
            text=text,
            pupil_id=access.pupil_id,
            day=state.settings.today(),
            access=access,
        )
        return Response(reply, status_code=201)

    @post(
        "/self-assessments/{assessment_id:int}/seen",
        sync_to_thread=False,
        status_code=200,
        summary="Mark a pupil's self-assessment as seen: no longer new in the viewer's list",
        responses=WRITE,
        dependencies=for_record(Record.ASSESSMENT, None, STAFF),
        name="reflections.seen_json",
    )
    def seen_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[Access], assessment_id: RowId
    ) -> ReflectionPublic:
        service.mark_seen(db, access=access, assessment_id=assessment_id)
        staff = staff_of(db, viewer=access.viewer)
        return service.reflection(db, staff=staff, assessment_id=assessment_id)


def _reads_in(request: Request[Any, Any, Any]) -> ZoneInfo | None:
    """The school's time zone, whose days the read log counts in; None for a HEAD (no data
    left the server: nothing is logged)."""
    return None if is_head(request.scope) else request.app.state.settings.zone


def _read(db: Session, staff: Staff, *, zone: ZoneInfo | None) -> list[ReflectionPublic]:
    """Her list, with a read of each pupil shown in the read log (`zone`: _reads_in)."""
    items = service.reflections_for(db, staff=staff)
    if zone is not None:
        readlog.record_many(
            db,
            reader_id=staff.viewer.person_id,
            pupils=service.readers(staff, items),
            kind=ReadKind.REFLECTIONS,
            zone=zone,
        )
    return items


def _messages(db: Session, staff: Staff, *, zone: ZoneInfo | None) -> list[NewMessage]:
    """The pupils' and guardians' messages she has not read, each pupil's read logged."""
    found = threads.new_for_staff(db, staff=staff)
    if zone is not None:
        readlog.record_many(
            db,
            reader_id=staff.viewer.person_id,
            pupils=threads.readers(staff, found),
            kind=ReadKind.THREAD,
            zone=zone,
        )
    return found


def _list_page(
    db: Session,
    staff: Staff,
    *,
    errors: dict[int, dict[str, str]] | None = None,
    form: ReplyForm | None = None,
    done: dict[int, str] | None = None,
    status: int = 200,
    zone: ZoneInfo | None,
) -> Template:
    items = _read(db, staff, zone=zone)
    messages = _messages(db, staff, zone=zone)
    return Page(
        "reflections/list.html",
        status_code=status,
        context={
            "viewer": staff.viewer,
            "nav": "reflections",
            "items": items,
            "messages": messages,
            "roles": ROLES,
            "unread": sum(item.unread for item in items),
            "days": service.DAYS,
            "limit": service.LIMIT,
            "levels": LEVEL_WORDS,
            "errors": errors or {},
            "form": form,
            "done": done or {},
        },
    )


def _answer(
    request: HTMXRequest,
    db: Session,
    access: Access,
    assessment_id: int,
    *,
    done: str = "",
    errors: dict[str, str] | None = None,
    form: ReplyForm | None = None,
) -> Response[Any]:
    """After a reply or a seen mark: for htmx the item, swapped in place; without
    JavaScript post/redirect/get to the list, or on an error the list with it at the item."""
    if not request.htmx and not errors:
        query = {done: assessment_id}
        return see_other(
            request, "reflections.page", query=query, fragment=f"reflection-{assessment_id}-done"
        )
    staff = staff_of(db, viewer=access.viewer)
    status = 422 if errors else 200
    marked = {assessment_id: errors} if errors else {}
    if not request.htmx:
        return _list_page(
            db, staff, errors=marked, form=form, status=status, zone=_reads_in(request)
        )
    return Page(
        "reflections/_item.html",
        status_code=status,
        headers={"vary": "HX-Request"},
        context={
            "item": service.reflection(db, staff=staff, assessment_id=assessment_id),
            "levels": LEVEL_WORDS,
            "errors": marked,
            "form": form,
            "done": {assessment_id: done} if done else {},
        },
    )
