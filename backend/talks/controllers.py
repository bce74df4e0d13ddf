"""Booking the talk, the family's side: the times of the pupil's mentor group (book,
rebook, cancel), the booking as an .ics file, and the same as JSON; cancelling a booking
(a guardian her child's, the mentor anyone's) shares its path. Pages work without
JavaScript (plain forms, post/redirect/get); a refused booking shows the free times again.
The mentor's routes are in `mentor_controllers.py`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel import Session

from backend.access import (
    FAMILY,
    FOR_TALK_TIME,
    STAFF,
    Access,
    Relation,
    TalkTimeAccess,
    for_pupil,
)
from backend.errors import Conflict, Forbidden, FormError, NotFound, refusals
from backend.i18n import N_, _
from backend.models import Person
from backend.names import Namer
from backend.readlog import ReadKind
from backend.settings import Settings
from backend.talks import ics, service
from backend.talks.schemas import (
    BookingCreate,
    BookingForm,
    BookingPublic,
    MentorForm,
    PupilTimesPublic,
    TimeState,
)
from backend.web import Page, form_int

NOT_FOUND = {404: "No such pupil, group or time, or not yours to see"}
READ = refusals(NOT_FOUND)
BOOK = refusals(
    NOT_FOUND
    | {
        403: "Not a guardian of a pupil in the time's group",
        409: "`taken`: another family holds the time (`current.free`: the free times); "
        "`closed`: booking has closed; `archived`: the term is closed, its plans read-only",
        422: "Several children in the group and no `pupil_id`",
    }
)
FAMILY_AND_STAFF = FAMILY | STAFF
NO_GUARDIAN = N_("Only a guardian books a time for the talk.")


class TalkController(Controller):
    # The family's page ---------------------------------------------------------------------

    @get(
        "/pupils/{pupil_id:int}/talk-times",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_pupil(ReadKind.PLAN, FAMILY_AND_STAFF),
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
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_pupil(None, FAMILY_AND_STAFF),
        name="talks.book_form",
    )
    def book_form(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: URLEncodedBody[BookingForm],
    ) -> Response[Any]:
        if access.relation is not Relation.GUARDIAN:
            raise Forbidden("not_guardian", NO_GUARDIAN)
        settings = state.settings
        talk_time_id = form_int(data.talk_time_id)
        if not _in_group(db, settings, pupil_id=access.pupil_id, talk_time_id=talk_time_id):
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
        return Redirect(f"/pupils/{access.pupil_id}/talk-times?done=booked", status_code=303)

    @get(
        "/pupils/{pupil_id:int}/talk.ics",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_pupil(ReadKind.PLAN, FAMILY_AND_STAFF),
        name="talks.calendar",
    )
    def calendar(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
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

    # A booking's cancellation (the mentor's or a guardian's) -------------------------------

    @post(
        "/talk-times/{talk_time_id:int}/cancel",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_TALK_TIME,
        name="talks.cancel_form",
    )
    def cancel_form(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[TalkTimeAccess],
        data: URLEncodedBody[MentorForm],
    ) -> Response[Any]:
        """The mentor cancels with a message; a guardian cancels her child's booking."""
        settings = state.settings
        if access.relation is Relation.MENTOR:
            service.cancel_by_mentor(
                db,
                talk_time_id=access.talk_time_id,
                mentor_id=access.viewer.person_id,
                message=data.message,
                today=settings.today(),
            )
            return Redirect(f"/groups/{access.group_id}/talk-times?done=cancelled", status_code=303)
        if access.relation is not Relation.GUARDIAN:
            raise Forbidden("not_guardian", NO_GUARDIAN)
        pupil_id = service.cancel_own(
            db, talk_time_id=access.talk_time_id, pupil_ids=access.pupil_ids
        )
        return Redirect(f"/pupils/{pupil_id}/talk-times?done=cancelled", status_code=303)

    # JSON ----------------------------------------------------------------------------------

    @get(
        "/api/pupils/{pupil_id:int}/talk-times",
        sync_to_thread=False,
        summary="The talk times of the pupil's mentor group this term (free, taken, hers, "
        "closed; never another family's name) and her booking",
        responses=READ,
        dependencies=for_pupil(ReadKind.PLAN, FAMILY_AND_STAFF),
        name="talks.pupil_json",
    )
    def pupil_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> PupilTimesPublic:
        return service.pupil_times(
            db, pupil_id=access.pupil_id, today=state.settings.today(), namer=access.namer
        )

    @post(
        "/api/talk-times/{talk_time_id:int}/booking",
        sync_to_thread=False,
        summary="A guardian books the time for her child (her booking this term moves here); "
        "the pupil and the other guardians are told",
        responses=BOOK,
        dependencies=FOR_TALK_TIME,
        name="talks.book_json",
    )
    def book_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[TalkTimeAccess],
        data: JSONBody[BookingCreate],
    ) -> Response[BookingPublic]:
        if access.relation is not Relation.GUARDIAN:
            raise Forbidden("not_guardian", NO_GUARDIAN)
        try:
            pupil_id = service.pupil_for_booking(access.pupil_ids, data.pupil_id)
        except FormError as error:
            raise error.invalid() from error
        booking = service.book(
            db,
            talk_time_id=access.talk_time_id,
            pupil_id=pupil_id,
            by_id=access.viewer.person_id,
            today=state.settings.today(),
        )
        return Response(booking, status_code=201)

    @delete(
        "/api/talk-times/{talk_time_id:int}/booking",
        sync_to_thread=False,
        summary="Cancel the booking of the time: a guardian her child's (before booking "
        "closes), the mentor anyone's with `message` to the family",
        responses=refusals(
            NOT_FOUND | {403: "The pupil only reads", 409: "`closed`; `archived`: a closed term"}
        ),
        dependencies=FOR_TALK_TIME,
        name="talks.cancel_json",
    )
    def cancel_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[TalkTimeAccess],
        message: FromQuery[str] = "",
    ) -> None:
        if access.relation is Relation.MENTOR:
            try:
                service.cancel_by_mentor(
                    db,
                    talk_time_id=access.talk_time_id,
                    mentor_id=access.viewer.person_id,
                    message=message,
                    today=state.settings.today(),
                )
            except FormError as error:
                raise error.invalid() from error
            return
        if access.relation is not Relation.GUARDIAN:
            raise Forbidden("not_guardian", NO_GUARDIAN)
        service.cancel_own(db, talk_time_id=access.talk_time_id, pupil_ids=access.pupil_ids)


def _in_group(db: Session, settings: Settings, *, pupil_id: int, talk_time_id: int) -> bool:
    """Whether the time is one of the pupil's group this term (the form names any id)."""
    times = service.pupil_times(
        db, pupil_id=pupil_id, today=settings.today(), namer=Namer.everyone()
    )
    return any(t.id == talk_time_id for t in times.times)


def _pupil_page(
    db: Session,
    settings: Settings,
    access: Access,
    *,
    done: str | None = None,
    refusal: str | None = None,
    status: int = 200,
) -> Template:
    times = service.pupil_times(
        db, pupil_id=access.pupil_id, today=settings.today(), namer=access.namer
    )
    days: dict[Any, list[Any]] = {}
    for t in times.times:
        days.setdefault(t.starts_at.astimezone(settings.zone).date(), []).append(t)
    return Page(
        "talks/pupil.html",
        status_code=status,
        context={
            "viewer": access.viewer,
            "nav": "home",
            "pupil": db.get(Person, access.pupil_id),
            "times": times,
            "days": days,
            "states": TimeState,
            "guardian": access.relation is Relation.GUARDIAN,
            "staff": access.relation in STAFF,
            "done": done or "",
            "refusal": refusal or "",
        },
    )
