"""Booking the talk, the mentor's side: the group's talk times (offer a series, see who
booked what, move a booking with a message to the family, remove a free time), and the
same as JSON."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel import Session

from backend.access import FOR_GROUP, FOR_TALK_TIME, GroupAccess, Relation, TalkTimeAccess
from backend.errors import Archived, Conflict, Forbidden, FormError, refusals
from backend.i18n import N_
from backend.models import Group
from backend.settings import Settings
from backend.talks import series, service
from backend.talks.controllers import NOT_FOUND, READ
from backend.talks.schemas import (
    BookingPublic,
    GroupTimesPublic,
    MentorForm,
    MoveCreate,
    SeriesCreate,
    SeriesForm,
    TalkTimePublic,
)
from backend.web import Page, form_int

MENTOR_ONLY = refusals(NOT_FOUND | {403: "Not the group's mentor", 422: "Not a valid series"})
MOVE = refusals(
    NOT_FOUND
    | {
        403: "Not the group's mentor",
        409: "`taken`: the time moved to is held; `archived`: the term is closed",
        422: "`to` is not a time of the group",
    }
)
NOT_MENTOR = N_("Only the group's mentor changes its talk times.")


def _mentor(access: GroupAccess) -> None:
    if access.group.relation is not Relation.MENTOR:
        raise Forbidden("not_mentor", NOT_MENTOR)


def _time_mentor(access: TalkTimeAccess) -> None:
    if access.relation is not Relation.MENTOR:
        raise Forbidden("not_mentor", NOT_MENTOR)


class MentorTalkController(Controller):
    # The mentor's page ---------------------------------------------------------------------

    @get(
        "/groups/{group_id:int}/talk-times",
        include_in_schema=False,
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
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_GROUP,
        name="talks.create_series",
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
        return Redirect(
            f"/groups/{access.group.id}/talk-times?done=made-{len(made)}", status_code=303
        )

    @post(
        "/talk-times/{talk_time_id:int}/move",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_TALK_TIME,
        name="talks.move_form",
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
        settings = state.settings
        back = f"/groups/{access.group_id}/talk-times"
        try:
            service.move(
                db,
                talk_time_id=access.talk_time_id,
                to_id=form_int(data.to),
                mentor_id=access.viewer.person_id,
                message=data.message,
                today=settings.today(),
            )
        except Archived:
            raise  # read-only history: the error page says so
        except (FormError, Conflict):
            return Redirect(f"{back}?done=not-moved#time-{access.talk_time_id}", status_code=303)
        return Redirect(f"{back}?done=moved#time-{data.to}", status_code=303)

    @post(
        "/talk-times/{talk_time_id:int}/remove",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_TALK_TIME,
        name="talks.remove_form",
    )
    def remove_form(
        self, *, db: NamedDependency[Session], access: NamedDependency[TalkTimeAccess]
    ) -> Redirect:
        _time_mentor(access)
        service.remove_time(db, talk_time_id=access.talk_time_id)
        return Redirect(f"/groups/{access.group_id}/talk-times?done=removed", status_code=303)

    # JSON ----------------------------------------------------------------------------------

    @post(
        "/api/talk-times/{talk_time_id:int}/move",
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
        _time_mentor(access)
        try:
            return service.move(
                db,
                talk_time_id=access.talk_time_id,
                to_id=data.to,
                mentor_id=access.viewer.person_id,
                message=data.message,
                today=state.settings.today(),
            )
        except FormError as error:
            raise error.invalid() from error

    @delete(
        "/api/talk-times/{talk_time_id:int}",
        sync_to_thread=False,
        summary="The mentor removes a time nobody has booked",
        responses=refusals(NOT_FOUND | {403: "Not the mentor, or the time is booked"}),
        dependencies=FOR_TALK_TIME,
        name="talks.remove_json",
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
        name="talks.group_json",
    )
    def group_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[GroupAccess]
    ) -> GroupTimesPublic:
        return series.group_times(db, group_id=access.group.id, today=state.settings.today())

    @post(
        "/api/groups/{group_id:int}/talk-times",
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
        _mentor(access)
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
