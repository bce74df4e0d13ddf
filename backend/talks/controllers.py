"""Booking the talk, as pages. The family's side: the times of the pupil's mentor group
(book, rebook, cancel) and the booking as an .ics file. The mentor's side: the group's
times (offer a series, see who booked what, move a booking with a message to the family,
remove a free time). Cancelling a booking (a guardian her child's, the mentor anyone's)
shares its path. Pages work without JavaScript (plain forms, post/redirect/get); a refused
booking shows the free times again. The same as JSON is in api.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Template
from sqlmodel import Session

from backend import web
from backend.access import (
    FOR_GROUP,
    FOR_TALK_TIME,
    STAFF,
    Access,
    GroupAccess,
    Relation,
    TalkTimeAccess,
    for_pupil,
)
from backend.errors import Archived, Conflict, FormError, NotFound
from backend.i18n import N_, _
from backend.models import Group, Person
from backend.readlog import ReadKind
from backend.settings import Settings
from backend.talks import ics, series, service
from backend.talks.schemas import BookingForm, MentorForm, SeriesForm, TimeState
from backend.web import Page, form_int

AnyRequest = Request[Any, Any, Any]


class TalkController(Controller):
    include_in_schema = False

    # The family's page -------------------------------------------------------------------

    @get(
        "/pupils/{pupil_id:int}/talk-times",
        sync_to_thread=False,
        dependencies=for_pupil(ReadKind.PLAN, service.FAMILY_AND_STAFF),
        name="talks.pupil_page",
    )
    def pupil_page(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        done: FromQuery[str | None] = None,
    ) -> Template:
        return _pupil_page(db, state.settings, access, done=done)

    @post(
        "/pupils/{pupil_id:int}/talk-times",
        sync_to_thread=False,
        dependencies=for_pupil(None, service.FAMILY_AND_STAFF),
        name="talks.book_form",
    )
    def book_form(
        self,
        *,
        request: AnyRequest,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: URLEncodedBody[BookingForm],
    ) -> Response[Any]:
        service.refuse_unless_guardian(access.relation)
        settings = state.settings
        talk_time_id = form_int(data.talk_time_id)
        times = service.pupil_times(db, access=access, today=settings.today())
        if all(t.id != talk_time_id for t in times.times):  # the form names any id
            return _pupil_page(db, settings, access, refusal="choose", status=422)
        try:
            service.book(
                db,
                talk_time_id=talk_time_id,
                pupil_id=access.pupil_id,
                by_id=access.viewer.person_id,
                today=settings.today(),
            )
        except Conflict as refusal:
            return _pupil_page(db, settings, access, refusal=refusal.reason, status=409)
        return _done(request, "talks.pupil_page", "booked", pupil_id=access.pupil_id)

    @get(
        "/pupils/{pupil_id:int}/talk.ics",
        sync_to_thread=False,
        dependencies=for_pupil(ReadKind.PLAN, service.FAMILY_AND_STAFF),
        name="talks.calendar",
    )
    def calendar(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> Response[bytes]:
        booking = service.booking_of(
            db, pupil_id=access.pupil_id, today=state.settings.today(), namer=access.namer
        )
        if booking is None:
            raise NotFound("no_booking", N_("There is no booked time for the talk yet."))
        pupil = db.get(Person, access.pupil_id)
        assert pupil is not None
        summary = _("Development talk: %(name)s") % {"name": pupil.name}
        host = urlsplit(state.settings.origin).hostname or "iup"
        return Response(
            ics.render(booking, summary=summary, host=host).encode(),
            media_type="text/calendar; charset=utf-8",
            headers={
                "content-disposition": 'attachment; filename="talk.ics"',
                "cache-control": "no-store",
            },
        )

    # A booking's cancellation (the mentor's or a guardian's) -----------------------------

    @post(
        "/talk-times/{talk_time_id:int}/cancel",
        sync_to_thread=False,
        dependencies=FOR_TALK_TIME,
        name="talks.cancel_form",
    )
    def cancel_form(
        self,
        *,
        request: AnyRequest,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[TalkTimeAccess],
        data: URLEncodedBody[MentorForm],
    ) -> Response[Any]:
        """The mentor cancels with a message; a guardian cancels her child's booking."""
        today = state.settings.today()
        pupil_id = service.cancel(db, access=access, message=data.message, today=today)
        if access.relation is Relation.MENTOR:
            return _done(request, "talks.group_page", "cancelled", group_id=access.group_id)
        return _done(request, "talks.pupil_page", "cancelled", pupil_id=pupil_id)

    # The mentor's page -------------------------------------------------------------------

    @get(
        "/groups/{group_id:int}/talk-times",
        sync_to_thread=False,
        dependencies=FOR_GROUP,
        name="talks.group_page",
    )
    def group_page(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[GroupAccess],
        done: FromQuery[str | None] = None,
    ) -> Template:
        return _group_page(db, state.settings, access, done=done)

    @post(
        "/groups/{group_id:int}/talk-times",
        sync_to_thread=False,
        dependencies=FOR_GROUP,
        name="talks.create_series",
    )
    def create_series(
        self,
        *,
        request: AnyRequest,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[GroupAccess],
        data: URLEncodedBody[SeriesForm],
    ) -> Response[Any]:
        service.refuse_unless_mentor(access)
        settings = state.settings
        try:
            made = series.create_series(
                db,
                group_id=access.group.id,
                mentor_id=access.staff.viewer.person_id,
                zone=settings.zone,
                today=settings.today(),
                **series.parse_series(data),
            )
        except FormError as error:
            return _group_page(db, settings, access, form=data, errors=error.errors, status=422)
        return _done(request, "talks.group_page", f"made-{len(made)}", group_id=access.group.id)

    @post(
        "/talk-times/{talk_time_id:int}/move",
        sync_to_thread=False,
        dependencies=FOR_TALK_TIME,
        name="talks.move_form",
    )
    def move_form(
        self,
        *,
        request: AnyRequest,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[TalkTimeAccess],
        data: URLEncodedBody[MentorForm],
    ) -> Response[Any]:
        """A move asks first, saying whose booking goes from when to when (issue 22, item
        7), unless the form comes from that question (`confirm=1`)."""
        to_id = form_int(data.to)
        today = state.settings.today()
        try:
            if data.confirm != "1":
                preview = service.move_preview(db, access=access, to_id=to_id, message=data.message)
                if preview is not None:
                    return Page(
                        "talks/confirm_move.html",
                        context={
                            "viewer": access.viewer,
                            "nav": "home",
                            "group_id": access.group_id,
                            "preview": preview,
                        },
                    )
            service.move(db, access=access, to_id=to_id, message=data.message, today=today)
        except Archived:
            raise  # read-only history: the error page says so
        except (FormError, Conflict):
            done, to_id = "not-moved", access.talk_time_id
        else:
            done = "moved"
        return web.see_other(
            request,
            "talks.group_page",
            query={"done": done},
            fragment=f"time-{to_id}",
            group_id=access.group_id,
        )

    @post(
        "/talk-times/{talk_time_id:int}/remove",
        sync_to_thread=False,
        dependencies=FOR_TALK_TIME,
        name="talks.remove_form",
    )
    def remove_form(
        self,
        *,
        request: AnyRequest,
        db: NamedDependency[Session],
        access: NamedDependency[TalkTimeAccess],
    ) -> Response[Any]:
        service.remove_time(db, access=access)
        return _done(request, "talks.group_page", "removed", group_id=access.group_id)


def _done(request: AnyRequest, name: str, done: str, **path: Any) -> Response[Any]:
    """Back to the page, which says what was done."""
    return web.see_other(request, name, query={"done": done}, **path)


def _days(times: list[Any], settings: Settings) -> dict[Any, list[Any]]:
    """The times by day in the school's time zone, for the page's headings."""
    days: dict[Any, list[Any]] = {}
    for t in times:
        days.setdefault(t.starts_at.astimezone(settings.zone).date(), []).append(t)
    return days


def _pupil_page(
    db: Session,
    settings: Settings,
    access: Access,
    *,
    done: str | None = None,
    refusal: str | None = None,
    status: int = 200,
) -> Template:
    times = service.pupil_times(db, access=access, today=settings.today())
    return Page(
        "talks/pupil.html",
        status_code=status,
        context={
            "viewer": access.viewer,
            "nav": "home",
            "pupil": db.get(Person, access.pupil_id),
            "times": times,
            "days": _days(times.times, settings),
            "states": TimeState,
            "guardian": access.relation is Relation.GUARDIAN,
            "staff": access.relation in STAFF,
            "done": done or "",
            "refusal": refusal or "",
        },
    )


def _group_page(
    db: Session,
    settings: Settings,
    access: GroupAccess,
    *,
    done: str | None = None,
    form: SeriesForm | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    times = series.group_times(db, group_id=access.group.id, today=settings.today())
    return Page(
        "talks/group.html",
        status_code=status,
        context={
            "viewer": access.staff.viewer,
            "nav": "home",
            "group": db.get(Group, access.group.id),
            "mentor": access.group.relation is Relation.MENTOR,
            "times": times,
            "days": _days(times.times, settings),
            "free": [t for t in times.times if t.booking is None],
            "now": service.now(),
            "form": form or SeriesForm(),
            "errors": errors or {},
            "done": done or "",
        },
    )
