"""The principal's terms (issue 8, item 1): her school's terms and a form for a new one,
a term's edit page (409 with both values on a stale save) and opening a term. Every page has
its JSON twin. The policy FOR_SCHOOL lets only the school's principals in; a term of another
school is the service's 404. The questions are in questions_controllers, carrying goals
over in carry_over_controllers."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody, URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel import Session

from backend.access import FOR_SCHOOL, Staff
from backend.errors import Conflict, FormError, refusals
from backend.i18n import N_
from backend.models import School
from backend.terms import closing, service
from backend.terms.schemas import (
    REQUIRED_YEARS,
    SCHOOL_YEARS,
    ClosedPublic,
    CloseForm,
    OpenedPublic,
    TermCreate,
    TermForm,
    TermPublic,
    TermUpdate,
)
from backend.web import Page, RowId, form_int

_NOT_FOUND = {404: "No such school or term, or not one she leads"}
READ = refusals(_NOT_FOUND)
WRITE = refusals(_NOT_FOUND | {422: "Not a valid term or question list"})
OPEN = refusals(_NOT_FOUND | {409: "`term_closed`: the term is closed"})
CLOSE = refusals(_NOT_FOUND | {422: "`term_not_started`: the term has not started yet"})
CONFIRM_CLOSE = N_("Tick the box to confirm that the term's plans become read-only.")
CHANGE = refusals(
    _NOT_FOUND
    | {
        422: "Not a valid term",
        409: "Changed since `version`: `current` holds the term as it is now",
    }
)


def _form_of(term: TermPublic) -> TermForm:
    return TermForm(
        code=term.code,
        starts_on=term.starts_on.isoformat(),
        ends_on=term.ends_on.isoformat(),
        talks_from=term.talks_from.isoformat() if term.talks_from else "",
        talks_until=term.talks_until.isoformat() if term.talks_until else "",
        summary_years=[str(y) for y in term.summary_years],
        version=str(term.version),
    )


def _values(data: TermForm) -> dict[str, Any]:
    """FormError for a date that is not one; the rules are checked by the service."""
    return service.check_form(
        code=data.code,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        talks_from=data.talks_from,
        talks_until=data.talks_until,
        years=data.years(),
    )


def _json_values(data: TermCreate) -> dict[str, Any]:
    return {
        "code": data.code,
        "starts_on": data.starts_on,
        "ends_on": data.ends_on,
        "talks_from": data.talks_from,
        "talks_until": data.talks_until,
        "summary_years": data.summary_years,
    }


class TermController(Controller):
    # ---- Pages --------------------------------------------------------------------------

    @get(
        "/schools/{school_id:int}/terms",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_SCHOOL,
        name="terms.terms",
    )
    def terms(
        self, *, db: NamedDependency[Session], access: NamedDependency[Staff], school_id: RowId
    ) -> Template:
        return _terms_page(db, access, school_id=school_id, form=TermForm())

    @post(
        "/schools/{school_id:int}/terms",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_SCHOOL,
        name="terms.create",
    )
    def create(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Staff],
        school_id: RowId,
        data: URLEncodedBody[TermForm],
    ) -> Response[Any]:
        try:
            term = service.create_term(db, school_id=school_id, **_values(data))
        except FormError as error:
            return _terms_page(
                db, access, school_id=school_id, form=data, errors=error.errors, status=422
            )
        return Redirect(f"/schools/{school_id}/terms/{term.id}?created=1", status_code=303)

    @get(
        "/schools/{school_id:int}/terms/{term_id:int}",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_SCHOOL,
        name="terms.term",
    )
    def term(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Staff],
        school_id: RowId,
        term_id: RowId,
    ) -> Template:
        term = service.get_term(db, school_id=school_id, term_id=term_id)
        return _term_page(db, access, term=term, form=_form_of(term))

    @post(
        "/schools/{school_id:int}/terms/{term_id:int}",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_SCHOOL,
        name="terms.change",
    )
    def change(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Staff],
        school_id: RowId,
        term_id: RowId,
        data: URLEncodedBody[TermForm],
    ) -> Response[Any]:
        term = service.get_term(db, school_id=school_id, term_id=term_id)
        version = form_int(data.version)
        try:
            service.update_term(
                db, school_id=school_id, term_id=term_id, version=version, **_values(data)
            )
        except FormError as error:
            return _term_page(db, access, term=term, form=data, errors=error.errors, status=422)
        except Conflict:
            return _term_page(db, access, term=term, form=data, stale=True, status=409)
        return Redirect(f"/schools/{school_id}/terms/{term_id}?saved=1", status_code=303)

    @post(
        "/schools/{school_id:int}/terms/{term_id:int}/close",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_SCHOOL,
        name="terms.close",
    )
    def close(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Staff],
        school_id: RowId,
        term_id: RowId,
        data: URLEncodedBody[CloseForm],
    ) -> Response[Any]:
        """Only with the box ticked that says what closing does; else the page asks for it."""
        if data.confirm != "yes":
            term = service.get_term(db, school_id=school_id, term_id=term_id)
            form = _form_of(term)
            return _term_page(db, access, term=term, form=form, close_error=True, status=422)
        closed = closing.close_term(
            db,
            school_id=school_id,
            term_id=term_id,
            by_id=access.viewer.person_id,
            today=state.settings.today(),
        )
        url = f"/schools/{school_id}/terms/{term_id}?closed={closed.plans_archived}#close"
        return Redirect(url, status_code=303)

    @post(
        "/schools/{school_id:int}/terms/{term_id:int}/open",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_SCHOOL,
        name="terms.open",
    )
    def open(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Staff],
        school_id: RowId,
        term_id: RowId,
    ) -> Redirect:
        opened = service.open_term(
            db, school_id=school_id, term_id=term_id, by_id=access.viewer.person_id
        )
        url = f"/schools/{school_id}/terms/{term_id}?opened={opened.plans_created}"
        return Redirect(url, status_code=303)

    # ---- JSON ---------------------------------------------------------------------------

    @get(
        "/api/schools/{school_id:int}/terms",
        sync_to_thread=False,
        summary="The school's terms, newest first (its principals)",
        responses=READ,
        dependencies=FOR_SCHOOL,
        name="terms.terms_json",
    )
    def terms_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[Staff], school_id: RowId
    ) -> list[TermPublic]:
        return service.terms_of(db, school_id=school_id)

    @post(
        "/api/schools/{school_id:int}/terms",
        sync_to_thread=False,
        summary="A new term for the school, with the questions of its latest term (or the "
        "default questions)",
        responses=WRITE,
        dependencies=FOR_SCHOOL,
        name="terms.create_json",
    )
    def create_json(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Staff],
        school_id: RowId,
        data: JSONBody[TermCreate],
    ) -> Response[TermPublic]:
        try:
            term = service.create_term(db, school_id=school_id, **_json_values(data))
        except FormError as error:
            raise error.invalid() from error
        return Response(term, status_code=201)

    @get(
        "/api/schools/{school_id:int}/terms/{term_id:int}",
        sync_to_thread=False,
        summary="One of the school's terms",
        responses=READ,
        dependencies=FOR_SCHOOL,
        name="terms.term_json",
    )
    def term_json(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Staff],
        school_id: RowId,
        term_id: RowId,
    ) -> TermPublic:
        return service.get_term(db, school_id=school_id, term_id=term_id)

    @put(
        "/api/schools/{school_id:int}/terms/{term_id:int}",
        sync_to_thread=False,
        summary="Change a term's dates, talk window and summary years, with the `version` it "
        "is based on",
        responses=CHANGE,
        dependencies=FOR_SCHOOL,
        name="terms.update_json",
    )
    def update_json(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Staff],
        school_id: RowId,
        term_id: RowId,
        data: JSONBody[TermUpdate],
    ) -> TermPublic:
        try:
            return service.update_term(
                db,
                school_id=school_id,
                term_id=term_id,
                version=data.version,
                **_json_values(data),
            )
        except FormError as error:
            raise error.invalid() from error

    @post(
        "/api/schools/{school_id:int}/terms/{term_id:int}/close",
        sync_to_thread=False,
        status_code=200,
        summary="Close the term: every plan of it is archived, read-only from then on "
        "(again: nothing changes)",
        responses=CLOSE,
        dependencies=FOR_SCHOOL,
        name="terms.close_json",
    )
    def close_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Staff],
        school_id: RowId,
        term_id: RowId,
    ) -> ClosedPublic:
        return closing.close_term(
            db,
            school_id=school_id,
            term_id=term_id,
            by_id=access.viewer.person_id,
            today=state.settings.today(),
        )

    @post(
        "/api/schools/{school_id:int}/terms/{term_id:int}/open",
        sync_to_thread=False,
        summary="Open the term: a plan for every pupil of the school who has none for it "
        "(again: only those still missing)",
        responses=OPEN,
        dependencies=FOR_SCHOOL,
        name="terms.open_json",
    )
    def open_json(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Staff],
        school_id: RowId,
        term_id: RowId,
    ) -> OpenedPublic:
        return service.open_term(
            db, school_id=school_id, term_id=term_id, by_id=access.viewer.person_id
        )


def _terms_page(
    db: Session,
    access: Staff,
    *,
    school_id: int,
    form: TermForm,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    return Page(
        "terms/list.html",
        status_code=status,
        context={
            "viewer": access.viewer,
            "nav": "home",
            "school": db.get(School, school_id),
            "terms": service.terms_of(db, school_id=school_id),
            "form": form,
            "errors": errors or {},
            "years": SCHOOL_YEARS,
            "required": REQUIRED_YEARS,
        },
    )


def _term_page(
    db: Session,
    access: Staff,
    *,
    term: TermPublic,
    form: TermForm,
    errors: dict[str, str] | None = None,
    stale: bool = False,
    close_error: bool = False,
    status: int = 200,
) -> Template:
    """The edit page; after a 409 the form keeps what she typed, beside the term as it is
    now (`current`), and saves against its version. `close_error`: she pressed "Close the
    term" without ticking that she means it."""
    current = service.get_term(db, school_id=term.school_id, term_id=term.id) if stale else None
    if current is not None:
        form.version = str(current.version)
    return Page(
        "terms/term.html",
        status_code=status,
        context={
            "viewer": access.viewer,
            "nav": "home",
            "school": db.get(School, term.school_id),
            "term": current or term,
            "form": form,
            "errors": errors or {},
            "stale": stale,
            "close_error": CONFIRM_CLOSE if close_error else None,
            "years": SCHOOL_YEARS,
            "required": REQUIRED_YEARS,
        },
    )
