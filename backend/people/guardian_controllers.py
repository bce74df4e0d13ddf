"""A pupil's guardian links for her staff (issue 10): the page and its JSON twin, and the
mentor's or principal's decision to open a restricted link or restrict an open one (a
confirmation step first, without JavaScript too). Teachers read the list; a change is
403 for them. The principal needs no stated reason here: the page shows who the
guardians are, not the plan, and the read is logged for the family like any other."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, URLEncodedBody
from litestar.response import Template
from sqlmodel import Session

from backend import web
from backend.access import STAFF, Access, Relation, for_pupil
from backend.errors import refusals
from backend.models import Person
from backend.people import guardians as service
from backend.people.schemas import GuardianAccessForm, GuardianAccessUpdate, GuardianLinkPublic
from backend.readlog import ReadKind
from backend.web import Page, RowId

STAFF_AND_PRINCIPAL = frozenset({*STAFF, Relation.PRINCIPAL})
READ = refusals({404: "No such pupil, or not one of the viewer's groups or school"})
CHANGE = refusals(
    {
        403: "`not_mentor_or_principal`: a teacher reads the links but does not change them",
        404: "No such pupil or guardian link, or not the viewer's to see",
    }
)


def _page(
    db: Session, access: Access, template: str, *, status: int = 200, **context: Any
) -> Template:
    pupil = db.get(Person, access.pupil_id)
    assert pupil is not None  # the policy found her
    return Page(
        template,
        status_code=status,
        context={
            "viewer": access.viewer,
            "nav": "home",
            "pupil": pupil,
            "relation_words": service.RELATION_WORDS,
            "may_decide": service.may_decide(db, access=access),
            **context,
        },
    )


class GuardianController(Controller):
    """The page of a pupil's guardian links, and the decision's two steps."""

    include_in_schema = False

    @get(
        "/pupils/{pupil_id:int}/guardians",
        sync_to_thread=False,
        dependencies=for_pupil(ReadKind.GUARDIANS, STAFF_AND_PRINCIPAL, reason=False),
        name="people.page",
    )
    def page(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        changed: FromQuery[int | None] = None,
    ) -> Template:
        return _page(
            db,
            access,
            "people/guardians.html",
            links=service.links_of(db, pupil_id=access.pupil_id),
            changed=changed,
        )

    @post(
        "/pupils/{pupil_id:int}/guardians/{guardian_id:int}/access",
        sync_to_thread=False,
        dependencies=for_pupil(None, STAFF_AND_PRINCIPAL, reason=False),
        name="people.change",
    )
    def change(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        guardian_id: RowId,
        data: URLEncodedBody[GuardianAccessForm],
    ) -> Response[Any]:
        """Asks first (a page with the two choices), then decides."""
        if not service.may_decide(db, access=access):
            raise service.NotADecider()
        link = service.link_of(db, pupil_id=access.pupil_id, guardian_id=guardian_id)
        has_access = data.has_access == "1"
        if data.confirm != "yes":
            return _page(db, access, "people/confirm_access.html", link=link, has_access=has_access)
        service.decide(db, access=access, guardian_id=guardian_id, has_access=has_access)
        return web.see_other(
            request, "people.page", query={"changed": guardian_id}, pupil_id=access.pupil_id
        )


class GuardianApiController(Controller):
    """The same as JSON."""

    path = "/api"
    tags = ("people",)

    @get(
        "/pupils/{pupil_id:int}/guardians",
        sync_to_thread=False,
        summary="A pupil's guardian links for her staff: relation type, access, decision",
        description=(
            "Every link, restricted ones too, with its SS 12000 relation type. For the "
            "pupil's mentors, teachers and her school's principal; the read is logged."
        ),
        responses=READ,
        dependencies=for_pupil(ReadKind.GUARDIANS, STAFF_AND_PRINCIPAL, reason=False),
        name="people.links_json",
    )
    def links_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[Access]
    ) -> list[GuardianLinkPublic]:
        return service.links_of(db, pupil_id=access.pupil_id)

    @put(
        "/pupils/{pupil_id:int}/guardians/{guardian_id:int}/access",
        sync_to_thread=False,
        summary="Open a guardian's restricted link, or restrict an open one",
        description=(
            "The pupil's mentor or her school's principal decides; the decision is kept by "
            "later roster imports and by changes of the school's guardian relations, and "
            "written to the audit log."
        ),
        responses=CHANGE,
        dependencies=for_pupil(None, STAFF_AND_PRINCIPAL, reason=False),
        name="people.change_json",
    )
    def change_json(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        guardian_id: RowId,
        data: JSONBody[GuardianAccessUpdate],
    ) -> GuardianLinkPublic:
        return service.decide(
            db, access=access, guardian_id=guardian_id, has_access=data.has_access
        )
