"""Sign-up links from the web: a mentor's list of her group's pupils and guardians, a
principal's list of her school's staff, one person's passkeys (removed when a phone is
lost) and a new one-time link, shown as a QR code and a printable letter in the
recipient's language. The same as JSON under /api/."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Template
from sqlmodel import Session

from backend import i18n, names, web
from backend.access import (
    FOR_GROUP,
    FOR_PERSON,
    FOR_SCHOOL,
    GroupAccess,
    PersonAccess,
    Relation,
    Staff,
)
from backend.auth import sessions
from backend.auth.schemas import PasskeyPublic
from backend.errors import Forbidden, refusals
from backend.models import Group, Person, School, utcnow
from backend.people import service
from backend.people.schemas import (
    EnrolmentLinkPublic,
    PersonPublic,
    PupilEntry,
    RemoveForm,
    StaffEntry,
)
from backend.viewer import Viewer
from backend.web import Page, RowId

REFUSED = refusals(
    {
        403: "Not her mentor (a teacher of the group)",
        404: "No such person or passkey, or not one the viewer may handle",
    }
)


def _mentor(access: GroupAccess) -> None:
    """Sign-up links for a group's pupils and guardians are her mentor's to hand out."""
    if access.group.relation is not Relation.MENTOR:
        raise Forbidden()


def _back(
    request: Request[Any, Any, Any], db: Session, person: PersonPublic, access: PersonAccess
) -> str | None:
    """The list the person was found in: her school's staff, or her group's."""
    if access.relation is Relation.PRINCIPAL and person.roles:
        group = db.get(Group, person.roles[0].group_id)
        if group is not None:
            return request.app.route_reverse("people.staff_page", school_id=group.school_id)
    family = [r for r in person.roles if r.role in {"pupil", "guardian"}]
    if not family:
        return None
    return request.app.route_reverse("people.group_page", group_id=family[0].group_id)


def _person(db: Session, access: PersonAccess) -> PersonPublic:
    """The person as the viewer may see her (only the links that let her issue)."""
    return service.person_of(db, access=access)


def _page(template: str, viewer: Viewer, **context: Any) -> Template:
    return Page(template, context={"viewer": viewer, "nav": "home", **context})


class PeopleController(Controller):
    """The pages: a mentor's group, a principal's staff, one person, her new link."""

    include_in_schema = False

    @get(
        "/groups/{group_id:int}/people",
        sync_to_thread=False,
        dependencies=FOR_GROUP,
        name="people.group_page",
    )
    def group_page(
        self, *, db: NamedDependency[Session], access: NamedDependency[GroupAccess]
    ) -> Template:
        _mentor(access)
        return _page(
            "people/group.html",
            access.staff.viewer,
            group=access.group,
            pupils=service.group_people(db, group_id=access.group.id),
        )

    @get(
        "/schools/{school_id:int}/staff",
        sync_to_thread=False,
        dependencies=FOR_SCHOOL,
        name="people.staff_page",
    )
    def staff_page(
        self, *, db: NamedDependency[Session], access: NamedDependency[Staff], school_id: RowId
    ) -> Template:
        school = db.get(School, school_id)
        assert school is not None  # FOR_SCHOOL found her school
        return _page(
            "people/staff.html",
            access.viewer,
            school=school,
            staff=service.school_staff(db, school_id=school_id),
        )

    @get(
        "/people/{person_id:int}",
        sync_to_thread=False,
        dependencies=FOR_PERSON,
        name="people.person_page",
    )
    def person_page(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[PersonAccess],
        removed: FromQuery[bool] = False,
    ) -> Template:
        person = _person(db, access)
        return _page(
            "people/person.html",
            access.viewer,
            person=person,
            removed=removed,
            hours=state.settings.enrolment_hours,
            back=_back(request, db, person, access),
        )

    @post(
        "/people/{person_id:int}/enrolment-links",
        sync_to_thread=False,
        dependencies=FOR_PERSON,
        status_code=200,
        name="people.issue",
    )
    def issue(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[PersonAccess],
    ) -> Template:
        """The link is shown on this one answer only (no redirect: only its hash is kept)."""
        link = service.issue_for(
            db,
            access=access,
            origin=state.settings.origin,
            hours=state.settings.enrolment_hours,
        )
        person = _person(db, access)
        issuer = db.get(Person, access.viewer.person_id)
        return _page(
            "people/issued.html",
            access.viewer,
            person=person,
            link=link,
            qr=service.qr_svg(link.url),
            letter_lang=person.language,
            letter_dir=i18n.direction(person.language),
            issued_at=utcnow(),
            # The letter goes to the family: a protected issuer is her role, not her name.
            issued_by=names.Namer(viewer_id=0, pupil_id=0, staff=False).person(
                issuer, role=access.relation.value
            )
            if issuer is not None
            else "",
            back=_back(request, db, person, access),
        )

    @post(
        "/people/{person_id:int}/passkeys/{passkey_id:int}/remove",
        sync_to_thread=False,
        dependencies=FOR_PERSON,
        name="people.remove",
    )
    def remove(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        access: NamedDependency[PersonAccess],
        passkey_id: RowId,
        data: URLEncodedBody[RemoveForm],
    ) -> Response[Any]:
        """Asks first (without JavaScript: a page with the two choices), then removes."""
        target, last = sessions.passkey_to_remove(
            db, person_id=access.person_id, passkey_id=passkey_id
        )
        if data.confirm != "yes":
            return _page(
                "people/confirm_remove.html",
                access.viewer,
                person=_person(db, access),
                passkey=target,
                last=last,
            )
        service.remove_passkey(db, access=access, passkey_id=passkey_id)
        return web.see_other(
            request, "people.person_page", query={"removed": 1}, person_id=access.person_id
        )


class PeopleApiController(Controller):
    """The same as JSON."""

    path = "/api"
    tags = ("people",)

    @get(
        "/groups/{group_id:int}/people",
        sync_to_thread=False,
        summary="A mentor's group: its pupils and their guardians, with how many passkeys each has",
        responses=REFUSED,
        dependencies=FOR_GROUP,
        name="people.group_json",
    )
    def group_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[GroupAccess]
    ) -> list[PupilEntry]:
        _mentor(access)
        return service.group_people(db, group_id=access.group.id)

    @get(
        "/schools/{school_id:int}/staff",
        sync_to_thread=False,
        summary="A principal's school: its teachers and mentors, with how many passkeys each has",
        responses=REFUSED,
        dependencies=FOR_SCHOOL,
        name="people.staff_json",
    )
    def staff_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[Staff], school_id: RowId
    ) -> list[StaffEntry]:
        return service.school_staff(db, school_id=school_id)

    @get(
        "/people/{person_id:int}",
        sync_to_thread=False,
        summary="Someone the viewer may issue a sign-up link for: her links, school and passkeys",
        responses=REFUSED,
        dependencies=FOR_PERSON,
        name="people.person_json",
    )
    def person_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[PersonAccess]
    ) -> PersonPublic:
        return _person(db, access)

    @get(
        "/people/{person_id:int}/passkeys",
        sync_to_thread=False,
        summary="The passkeys of someone the viewer may issue a sign-up link for",
        responses=REFUSED,
        dependencies=FOR_PERSON,
        name="people.passkeys_json",
    )
    def passkeys_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[PersonAccess]
    ) -> list[PasskeyPublic]:
        return sessions.passkeys_of(db, person_id=access.person_id)

    @delete(
        "/people/{person_id:int}/passkeys/{passkey_id:int}",
        sync_to_thread=False,
        summary="Remove a passkey (a lost phone); the sessions it started end",
        responses=REFUSED,
        dependencies=FOR_PERSON,
        name="people.remove_json",
    )
    def remove_json(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[PersonAccess],
        passkey_id: RowId,
    ) -> None:
        service.remove_passkey(db, access=access, passkey_id=passkey_id)

    @post(
        "/people/{person_id:int}/enrolment-links",
        sync_to_thread=False,
        summary="Issue a one-time sign-up link; the person's older unused links stop working",
        description=(
            "The link lasts IUP_ENROLMENT_HOURS (72 by default; its `expires_at` says when it "
            "ends) and works once. It is returned only "
            "here: only a hash of its code is stored."
        ),
        responses=REFUSED,
        dependencies=FOR_PERSON,
        name="people.issue_json",
    )
    def issue_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[PersonAccess]
    ) -> EnrolmentLinkPublic:
        return service.issue_for(
            db,
            access=access,
            origin=state.settings.origin,
            hours=state.settings.enrolment_hours,
        )
