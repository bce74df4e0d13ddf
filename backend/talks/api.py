"""Booking the talk as JSON, the twin of the pages in controllers.py: the pupil's times and
her booking, a guardian's booking and cancellation, and the mentor's side (the group's
times, a series, moving a booking, removing a free time)."""

from __future__ import annotations

from litestar import Controller, Response, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from sqlmodel import Session

from backend.access import FOR_GROUP, FOR_TALK_TIME, Access, GroupAccess, TalkTimeAccess, for_pupil
from backend.errors import FormError, refusals
from backend.readlog import ReadKind
from backend.talks import series, service
from backend.talks.schemas import (
    BookingCreate,
    BookingPublic,
    GroupTimesPublic,
    MoveCreate,
    PupilTimesPublic,
    SeriesCreate,
    TalkTimePublic,
)

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
MENTOR_ONLY = refusals(NOT_FOUND | {403: "Not the group's mentor", 422: "Not a valid series"})
MOVE = refusals(
    NOT_FOUND
    | {
        403: "Not the group's mentor",
        409: "`taken`: the time moved to is held; `archived`: the term is closed",
        422: "`to` is not a time of the group",
    }
)


class TalkApiController(Controller):
    path = "/api"
    tags = ("talks",)

    # The family's side -------------------------------------------------------------------

    @get(
        "/pupils/{pupil_id:int}/talk-times",
        sync_to_thread=False,
        summary="The talk times of the pupil's mentor group this term (free, taken, hers, "
        "closed; never another family's name) and her booking",
        responses=READ,
        dependencies=for_pupil(ReadKind.PLAN, service.FAMILY_AND_STAFF),
        name="talks.pupil_json",
    )
    def pupil_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> PupilTimesPublic:
        return service.pupil_times(db, access=access, today=state.settings.today())

    @post(
        "/talk-times/{talk_time_id:int}/booking",
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
        service.refuse_unless_guardian(access.relation)
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
        "/talk-times/{talk_time_id:int}/booking",
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
        try:
            service.cancel(db, access=access, message=message, today=state.settings.today())
        except FormError as error:
            raise error.invalid() from error

    # The mentor's side -------------------------------------------------------------------

    @post(
        "/talk-times/{talk_time_id:int}/move",
        sync_to_thread=False,
        summary="The mentor moves the booking to another free time of the group, with a "
        "message to the family",
        responses=MOVE,
        dependencies=FOR_TALK_TIME,
        name="talks.move_json",
    )
    def move_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[TalkTimeAccess],
        data: JSONBody[MoveCreate],
    ) -> BookingPublic:
        today = state.settings.today()
        try:
            return service.move(db, access=access, to_id=data.to, message=data.message, today=today)
        except FormError as error:
            raise error.invalid() from error

    @delete(
        "/talk-times/{talk_time_id:int}",
        sync_to_thread=False,
        summary="The mentor removes a time nobody has booked",
        responses=refusals(NOT_FOUND | {403: "Not the mentor, or the time is booked"}),
        dependencies=FOR_TALK_TIME,
        name="talks.remove_json",
    )
    def remove_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[TalkTimeAccess]
    ) -> None:
        service.remove_time(db, access=access)

    @get(
        "/groups/{group_id:int}/talk-times",
        sync_to_thread=False,
        summary="The group's talk times this term and who booked each (pupil, who, when)",
        responses=READ,
        dependencies=FOR_GROUP,
        name="talks.group_json",
    )
    def group_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[GroupAccess]
    ) -> GroupTimesPublic:
        return series.group_times(db, group_id=access.group.id, today=state.settings.today())

    @post(
        "/groups/{group_id:int}/talk-times",
        sync_to_thread=False,
        summary="The mentor offers a series of talk times in the school's time zone, in the "
        "current term of the group's school; returns the times made",
        responses=MENTOR_ONLY,
        dependencies=FOR_GROUP,
        name="talks.series_json",
    )
    def series_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[GroupAccess],
        data: JSONBody[SeriesCreate],
    ) -> Response[list[TalkTimePublic]]:
        service.refuse_unless_mentor(access)
        settings = state.settings
        try:
            made = series.create_series(
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
