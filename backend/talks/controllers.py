"""Booking the talk: the mentor's talk times of a group (a series, who booked what, move
and cancel with a message), a family's times of the pupil's group (book, rebook, cancel),
the booking as an .ics file, and the same as JSON. Pages work without JavaScript (plain
forms, post/redirect/get); a refused booking shows the free times again."""

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
    FOR_GROUP,
    FOR_TALK_TIME,
    STAFF,
    Access,
    GroupAccess,
    Relation,
    TalkTimeAccess,
    for_pupil,
)
from backend.errors import Conflict, Forbidden, FormError, NotFound, refusals
from backend.i18n import N_, _
from backend.models import Group, Person
from backend.readlog import ReadKind
from backend.settings import Settings
from backend.talks import service
from backend.talks.schemas import (
    BookingCreate,
    BookingForm,
    BookingPublic,
    GroupTimesPublic,
    MentorForm,
    MoveCreate,
    PupilTimesPublic,
    SeriesCreate,
    SeriesForm,
    TalkTimePublic,
    TimeState,
)
from backend.web import Page

_NOT_FOUND = {404: "No such pupil, group or time, or not yours to see"}
READ = refusals(_NOT_FOUND)
MENTOR_ONLY = refusals(_NOT_FOUND | {403: "Not the group's mentor", 422: "Not a valid series"})
BOOK = refusals(
    _NOT_FOUND
    | {
        403: "Not a guardian of a pupil in the time's group",
        409: "`taken`: another family holds the time (`current.free`: the free times); "
        "`closed`: booking has closed",
        422: "Several children in the group and no `pupil_id`",
    }
)
MOVE = refusals(
    _NOT_FOUND
    | {
        403: "Not the group's mentor",
        409: "`taken`: the time moved to is held",
        422: "`to` is not a time of the group",
    }
)
FAMILY_AND_STAFF = FAMILY | STAFF
NO_GUARDIAN = N_("Only a guardian books a time for the talk.")


NOT_MENTOR = N_("Only the group's mentor changes its talk times.")


def _settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def _mentor(access: GroupAccess) -> None:
    if access.group.relation is not Relation.MENTOR:
        raise Forbidden("not_mentor", NOT_MENTOR)


def _time_mentor(access: TalkTimeAccess) -> None:
    if access.relation is not Relation.MENTOR:
        raise Forbidden("not_mentor", NOT_MENTOR)


class TalkController(Controller):
    # The mentor's page ---------------------------------------------------------------------

    @get(
        "/groups/{group_id:int}/talk-times",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_GROUP,
    )
    def group_page(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[GroupAccess],
        done: FromQuery[str | None] = None,
    ) -> Template:
        return _group_page(db, _settings(state), access, done=done)

    @post(
        "/groups/{group_id:int}/talk-times",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_GROUP,
    )
    def create_series(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[GroupAccess],
        data: URLEncodedBody[SeriesForm],
    ) -> Response[Any]:
        _mentor(access)
        settings = _settings(state)
        try:
            made = service.create_series(
                db,
                group_id=access.group.id,
                mentor_id=access.staff.viewer.person_id,
                zone=settings.zone,
                today=settings.today(),
                **service.parse_series(data),
            )
        except FormError as error:
            return _group_page(db, settings, access, form=data, errors=error.errors, status=422)
        return Redirect(
            f"/groups/{access.group.id}/talk-times?done=made-{len(made)}", status_code=303
        )

    @post(
        "/talk-times/{talk_time_id:int}/move",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_TALK_TIME,
    )
    def move_form(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[TalkTimeAccess],
        data: URLEncodedBody[MentorForm],
    ) -> Response[Any]:
        _time_mentor(access)
        settings = _settings(state)
        back = f"/groups/{access.group_id}/talk-times"
        try:
            service.move(
                db,
                talk_time_id=access.talk_time_id,
                to_id=int(data.to) if data.to.isdigit() else 0,
                mentor_id=access.viewer.person_id,
                message=data.message,
                today=settings.today(),
            )
        except (FormError, Conflict):
            return Redirect(f"{back}?done=not-moved#time-{access.talk_time_id}", status_code=303)
        return Redirect(f"{back}?done=moved#time-{data.to}", status_code=303)

    @post(
        "/talk-times/{talk_time_id:int}/cancel",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_TALK_TIME,
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
        settings = _settings(state)
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

    @post(
        "/talk-times/{talk_time_id:int}/remove",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_TALK_TIME,
    )
    def remove_form(
        self, *, db: NamedDependency[Session], access: NamedDependency[TalkTimeAccess]
    ) -> Redirect:
        _time_mentor(access)
        service.remove_time(db, talk_time_id=access.talk_time_id)
        return Redirect(f"/groups/{access.group_id}/talk-times?done=removed", status_code=303)

    # The family's page ---------------------------------------------------------------------

    @get(
        "/pupils/{pupil_id:int}/talk-times",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_pupil(ReadKind.PLAN, FAMILY_AND_STAFF),
    )
    def pupil_page(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        done: FromQuery[str | None] = None,
    ) -> Template:
        return _pupil_page(db, _settings(state), access, done=done)

    @post(
        "/pupils/{pupil_id:int}/talk-times",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_pupil(None, FAMILY_AND_STAFF),
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
        settings = _settings(state)
        talk_time_id = int(data.talk_time_id) if data.talk_time_id.isdigit() else 0
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
    )
    def calendar(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
    ) -> Response[bytes]:
        booking = service.booking_of(db, pupil_id=access.pupil_id, today=_settings(state).today())
        if booking is None:
            raise NotFound("no_booking", N_("There is no booked time for the talk yet."))
        pupil = db.get(Person, access.pupil_id)
        assert pupil is not None
        summary = _("Development talk: %(name)s") % {"name": pupil.name}
        host = urlsplit(_settings(state).origin).hostname or "iup"
        return Response(
            service.ics(booking, summary=summary, host=host).encode(),
            media_type="text/calendar; charset=utf-8",
            headers={
                "content-disposition": 'attachment; filename="talk.ics"',
                "cache-control": "no-store",
            },
        )

    # JSON ----------------------------------------------------------------------------------

    @get(
        "/api/pupils/{pupil_id:int}/talk-times",
        sync_to_thread=False,
        summary="The talk times of the pupil's mentor group this term (free, taken, hers, "
        "closed; never another family's name) and her booking",
        responses=READ,
        dependencies=for_pupil(ReadKind.PLAN, FAMILY_AND_STAFF),
    )
    def pupil_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> PupilTimesPublic:
        return service.pupil_times(db, pupil_id=access.pupil_id, today=_settings(state).today())

    @post(
        "/api/talk-times/{talk_time_id:int}/booking",
        sync_to_thread=False,
        summary="A guardian books the time for her child (her booking this term moves here); "
        "the pupil and the other guardians are told",
        responses=BOOK,
        dependencies=FOR_TALK_TIME,
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
            today=_settings(state).today(),
        )
        return Response(booking, status_code=201)

    @delete(
        "/api/talk-times/{talk_time_id:int}/booking",
        sync_to_thread=False,
        summary="Cancel the booking of the time: a guardian her child's (before booking "
        "closes), the mentor anyone's with `message` to the family",
        responses=refusals(_NOT_FOUND | {403: "The pupil only reads", 409: "`closed`"}),
        dependencies=FOR_TALK_TIME,
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
                    today=_settings(state).today(),
                )
            except FormError as error:
                raise error.invalid() from error
            return
        if access.relation is not Relation.GUARDIAN:
            raise Forbidden("not_guardian", NO_GUARDIAN)
        service.cancel_own(db, talk_time_id=access.talk_time_id, pupil_ids=access.pupil_ids)

    @post(
        "/api/talk-times/{talk_time_id:int}/move",
        sync_to_thread=False,
        summary="The mentor moves the booking to another free time of the group, with a "
        "message to the family",
        responses=MOVE,
        dependencies=FOR_TALK_TIME,
    )
    def move_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[TalkTimeAccess],
        data: JSONBody[MoveCreate],
    ) -> BookingPublic:
        _time_mentor(access)
        try:
            return service.move(
                db,
                talk_time_id=access.talk_time_id,
                to_id=data.to,
                mentor_id=access.viewer.person_id,
                message=data.message,
                today=_settings(state).today(),
            )
        except FormError as error:
            raise error.invalid() from error

    @delete(
        "/api/talk-times/{talk_time_id:int}",
        sync_to_thread=False,
        summary="The mentor removes a time nobody has booked",
        responses=refusals(_NOT_FOUND | {403: "Not the mentor, or the time is booked"}),
        dependencies=FOR_TALK_TIME,
    )
    def remove_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[TalkTimeAccess]
    ) -> None:
        _time_mentor(access)
        service.remove_time(db, talk_time_id=access.talk_time_id)

    @get(
        "/api/groups/{group_id:int}/talk-times",
        sync_to_thread=False,
        summary="The group's talk times this term and who booked each (pupil, who, when)",
        responses=READ,
        dependencies=FOR_GROUP,
    )
    def group_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[GroupAccess]
    ) -> GroupTimesPublic:
        return service.group_times(db, group_id=access.group.id, today=_settings(state).today())

    @post(
        "/api/groups/{group_id:int}/talk-times",
        sync_to_thread=False,
        summary="The mentor offers a series of talk times in the school's time zone, in the "
        "current term of the group's school; returns the times made",
        responses=MENTOR_ONLY,
        dependencies=FOR_GROUP,
    )
    def series_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[GroupAccess],
        data: JSONBody[SeriesCreate],
    ) -> Response[list[TalkTimePublic]]:
        _mentor(access)
        settings = _settings(state)
        try:
            made = service.create_series(
                db,
                group_id=access.group.id,
                mentor_id=access.staff.viewer.person_id,
                days=data.days,
                start=data.start,
                end=data.end,
                minutes=data.minutes,
                place=data.place,
                closes_hours=data.closes_hours,
                zone=settings.zone,
                today=settings.today(),
            )
        except FormError as error:
            raise error.invalid() from error
        return Response(made, status_code=201)


def _in_group(db: Session, settings: Settings, *, pupil_id: int, talk_time_id: int) -> bool:
    """Whether the time is one of the pupil's group this term (the form names any id)."""
    times = service.pupil_times(db, pupil_id=pupil_id, today=settings.today())
    return any(t.id == talk_time_id for t in times.times)


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
    times = service.group_times(db, group_id=access.group.id, today=settings.today())
    days: dict[Any, list[Any]] = {}
    for t in times.times:
        days.setdefault(t.starts_at.astimezone(settings.zone).date(), []).append(t)
    return Page(
        "talks/group.html",
        status_code=status,
        context={
            "viewer": access.staff.viewer,
            "nav": "home",
            "group": db.get(Group, access.group.id),
            "mentor": access.group.relation is Relation.MENTOR,
            "times": times,
            "days": days,
            "free": [t for t in times.times if t.booking is None],
            "now": service.now(),
            "form": form or SeriesForm(),
            "errors": errors or {},
            "done": done or "",
        },
    )


def _pupil_page(
    db: Session,
    settings: Settings,
    access: Access,
    *,
    done: str | None = None,
    refusal: str | None = None,
    status: int = 200,
) -> Template:
    times = service.pupil_times(db, pupil_id=access.pupil_id, today=settings.today())
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
