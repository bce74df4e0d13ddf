"""The principal's terms as JSON, the twin of every page in controllers.py: the school's
terms, a new one, a change with the version it is based on (409 with the term as it is
now), opening and closing, and the term's questions (read, or one section set as a list).
Only the school's principals pass FOR_SCHOOL; a term of another school is a 404."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlmodel import Session

from backend.access import FOR_SCHOOL, Staff
from backend.errors import FormError, refusals
from backend.terms import closing, question_editing, service
from backend.terms.schemas import (
    ClosedPublic,
    OpenedPublic,
    QuestionsPublic,
    QuestionsUpdate,
    TermCreate,
    TermPublic,
    TermUpdate,
)
from backend.web import RowId

_NOT_FOUND = {404: "No such school or term, or not one she leads"}
READ = refusals(_NOT_FOUND)
WRITE = refusals(_NOT_FOUND | {422: "Not a valid term or question list"})
OPEN = refusals(_NOT_FOUND | {409: "`term_closed`: the term is closed"})
CLOSE = refusals(_NOT_FOUND | {422: "`term_not_started`: the term has not started yet"})
CHANGE = refusals(
    _NOT_FOUND
    | {
        422: "Not a valid term",
        409: "Changed since `version`: `current` holds the term as it is now",
    }
)
TERM = "/schools/{school_id:int}/terms/{term_id:int}"


def _values(data: TermCreate) -> dict[str, Any]:
    return {
        "code": data.code,
        "starts_on": data.starts_on,
        "ends_on": data.ends_on,
        "talks_from": data.talks_from,
        "talks_until": data.talks_until,
        "summary_years": data.summary_years,
    }


class TermApiController(Controller):
    path = "/api"
    tags = ("terms",)
    dependencies = FOR_SCHOOL

    @get(
        "/schools/{school_id:int}/terms",
        sync_to_thread=False,
        summary="The school's terms, newest first (its principals)",
        responses=READ,
        name="terms.terms_json",
    )
    def terms_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[Staff], school_id: RowId
    ) -> list[TermPublic]:
        return service.terms_of(db, school_id=school_id)

    @post(
        "/schools/{school_id:int}/terms",
        sync_to_thread=False,
        summary="A new term for the school, with the questions of its latest term (or the "
        "default questions)",
        responses=WRITE,
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
            term = service.create_term(db, school_id=school_id, **_values(data))
        except FormError as error:
            raise error.invalid() from error
        return Response(term, status_code=201)

    @get(
        TERM,
        sync_to_thread=False,
        summary="One of the school's terms",
        responses=READ,
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
        TERM,
        sync_to_thread=False,
        summary="Change a term's dates, talk window and summary years, with the `version` it "
        "is based on",
        responses=CHANGE,
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
                db, school_id=school_id, term_id=term_id, version=data.version, **_values(data)
            )
        except FormError as error:
            raise error.invalid() from error

    @post(
        f"{TERM}/close",
        sync_to_thread=False,
        status_code=200,
        summary="Close the term: every plan of it is archived, read-only from then on "
        "(again: nothing changes)",
        responses=CLOSE,
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
        f"{TERM}/open",
        sync_to_thread=False,
        summary="Open the term: a plan for every pupil of the school who has none for it "
        "(again: only those still missing)",
        responses=OPEN,
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

    @get(
        f"{TERM}/questions",
        sync_to_thread=False,
        summary="The term's preparation questions per stage and audience, in order",
        responses=READ,
        name="terms.questions_json",
    )
    def questions_json(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Staff],
        school_id: RowId,
        term_id: RowId,
    ) -> QuestionsPublic:
        return question_editing.questions_of(db, school_id=school_id, term_id=term_id)

    @put(
        f"{TERM}/questions",
        sync_to_thread=False,
        summary="One stage and audience's questions as a list in order: `{id, text?}` keeps "
        "(or rewords) a question, `{text}` adds one, an id left out is removed (retired "
        "when answered)",
        responses=WRITE,
        name="terms.set_questions_json",
    )
    def set_questions_json(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Staff],
        school_id: RowId,
        term_id: RowId,
        data: JSONBody[QuestionsUpdate],
    ) -> QuestionsPublic:
        try:
            return question_editing.set_questions(
                db,
                school_id=school_id,
                term_id=term_id,
                stage=data.stage,
                audience=data.audience.value,
                items=data.questions,
            )
        except FormError as error:
            raise error.invalid() from error
