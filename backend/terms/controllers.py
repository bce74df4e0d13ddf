"""The principal's terms as pages (issue 8, item 1): her school's terms and a form for a new
one, a term's edit page (409 with both values on a stale save), opening and closing a term,
and the term's preparation questions, where she adds one, rewords, moves or removes it. The
policy FOR_SCHOOL lets only the school's principals in; a term of another school is the
service's 404. The same as JSON is in api.py."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.response import Template
from sqlmodel import Session

from backend import web
from backend.access import FOR_SCHOOL, Staff
from backend.errors import Conflict, FormError
from backend.i18n import N_
from backend.models import Audience, School
from backend.terms import closing, question_editing, service
from backend.terms import questions as question_sets
from backend.terms.schemas import (
    REQUIRED_YEARS,
    SCHOOL_YEARS,
    CloseForm,
    OpenForm,
    QuestionForm,
    TermForm,
    TermPublic,
)
from backend.web import Page, RowId, form_int

CONFIRM_CLOSE = N_("Tick the box to confirm that the term's plans become read-only.")
AnyRequest = Request[Any, Any, Any]


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


class TermController(Controller):
    include_in_schema = False
    dependencies = FOR_SCHOOL

    @get("/schools/{school_id:int}/terms", sync_to_thread=False, name="terms.terms")
    def terms(
        self, *, db: NamedDependency[Session], access: NamedDependency[Staff], school_id: RowId
    ) -> Template:
        return _terms_page(db, access, school_id=school_id, form=TermForm())

    @post("/schools/{school_id:int}/terms", sync_to_thread=False, name="terms.create")
    def create(
        self,
        *,
        request: AnyRequest,
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
        return web.see_other(
            request, "terms.term", query={"created": 1}, school_id=school_id, term_id=term.id
        )

    @get("/schools/{school_id:int}/terms/{term_id:int}", sync_to_thread=False, name="terms.term")
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

    @post("/schools/{school_id:int}/terms/{term_id:int}", sync_to_thread=False, name="terms.change")
    def change(
        self,
        *,
        request: AnyRequest,
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
        return web.see_other(
            request, "terms.term", query={"saved": 1}, school_id=school_id, term_id=term_id
        )

    @post(
        "/schools/{school_id:int}/terms/{term_id:int}/close",
        sync_to_thread=False,
        name="terms.close",
    )
    def close(
        self,
        *,
        request: AnyRequest,
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
        query = {"closed": closed.plans_archived}
        return web.see_other(
            request,
            "terms.term",
            query=query,
            fragment="close",
            school_id=school_id,
            term_id=term_id,
        )

    @post(
        "/schools/{school_id:int}/terms/{term_id:int}/open", sync_to_thread=False, name="terms.open"
    )
    def open(
        self,
        *,
        request: AnyRequest,
        db: NamedDependency[Session],
        access: NamedDependency[Staff],
        school_id: RowId,
        term_id: RowId,
        data: URLEncodedBody[OpenForm],
    ) -> Response[Any]:
        """Asks first, saying how many plans it makes (issue 22, item 7), unless the form
        comes from that question (`confirm=1`) or it makes none."""
        if data.confirm != "1":
            count = service.plans_to_make(db, school_id=school_id, term_id=term_id)
            if count:
                return Page(
                    "terms/confirm_open.html",
                    context={
                        "viewer": access.viewer,
                        "nav": "home",
                        "school": db.get(School, school_id),
                        "term": service.get_term(db, school_id=school_id, term_id=term_id),
                        "count": count,
                    },
                )
        opened = service.open_term(
            db, school_id=school_id, term_id=term_id, by_id=access.viewer.person_id
        )
        query = {"opened": opened.plans_created}
        return web.see_other(
            request, "terms.term", query=query, school_id=school_id, term_id=term_id
        )

    # ---- The term's preparation questions ------------------------------------------------

    @get(
        "/schools/{school_id:int}/terms/{term_id:int}/questions",
        sync_to_thread=False,
        name="terms.questions",
    )
    def questions(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Staff],
        school_id: RowId,
        term_id: RowId,
    ) -> Template:
        return _questions_page(db, access, school_id=school_id, term_id=term_id)

    @post(
        "/schools/{school_id:int}/terms/{term_id:int}/questions",
        sync_to_thread=False,
        name="terms.add_question",
    )
    def add_question(
        self,
        *,
        request: AnyRequest,
        db: NamedDependency[Session],
        access: NamedDependency[Staff],
        school_id: RowId,
        term_id: RowId,
        data: URLEncodedBody[QuestionForm],
    ) -> Response[Any]:
        stage = form_int(data.stage)
        try:
            question_id = question_editing.add_question(
                db,
                school_id=school_id,
                term_id=term_id,
                stage=stage,
                audience=data.audience,
                text=data.text,
            )
        except FormError as error:
            section = f"new-{data.audience}-{stage}"
            return _questions_page(
                db,
                access,
                school_id=school_id,
                term_id=term_id,
                errors={section: error.errors["text"]},
                typed={section: data.text},
                status=422,
            )
        return _back_to_question(request, school_id, term_id, question_id)

    @post(
        "/schools/{school_id:int}/terms/{term_id:int}/questions/{question_id:int}",
        sync_to_thread=False,
        name="terms.change_question",
    )
    def change_question(
        self,
        *,
        request: AnyRequest,
        db: NamedDependency[Session],
        access: NamedDependency[Staff],
        school_id: RowId,
        term_id: RowId,
        question_id: RowId,
        data: URLEncodedBody[QuestionForm],
    ) -> Response[Any]:
        try:
            question = question_editing.change_question(
                db,
                school_id=school_id,
                term_id=term_id,
                question_id=question_id,
                action=data.action,
                text=data.text,
            )
        except FormError as error:
            key = f"question-{question_id}"
            return _questions_page(
                db,
                access,
                school_id=school_id,
                term_id=term_id,
                errors={key: error.errors["text"]},
                typed={key: data.text},
                status=422,
            )
        if data.action == "remove":
            return web.see_other(
                request,
                "terms.questions",
                query={"removed": 1},
                fragment=f"section-{question.audience}-{question.stage}",
                school_id=school_id,
                term_id=term_id,
            )
        return _back_to_question(request, school_id, term_id, question_id)


def _back_to_question(
    request: AnyRequest, school_id: int, term_id: int, question_id: int
) -> Response[Any]:
    return web.see_other(
        request,
        "terms.questions",
        query={"saved": question_id},
        fragment=f"question-{question_id}",
        school_id=school_id,
        term_id=term_id,
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


def _questions_page(
    db: Session,
    access: Staff,
    *,
    school_id: int,
    term_id: int,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    found = question_editing.questions_of(db, school_id=school_id, term_id=term_id)
    return Page(
        "terms/questions.html",
        status_code=status,
        context={
            "viewer": access.viewer,
            "nav": "home",
            "school": db.get(School, school_id),
            "term": service.get_term(db, school_id=school_id, term_id=term_id),
            "sections": found.sections,
            "stages": question_sets.STAGES,
            "audiences": {Audience.PUPIL: "pupil", Audience.GUARDIAN: "guardian"},
            "errors": errors or {},
            "typed": typed or {},
        },
    )
