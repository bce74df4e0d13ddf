"""The term's preparation questions (the principal's): a page per term with each stage and
audience's questions, where she adds one, rewords, moves or removes it; and the JSON to
read them and to set one section as a list."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel import Session

from backend.access import FOR_SCHOOL, Staff
from backend.errors import FormError
from backend.models import Audience, School
from backend.terms import question_editing, service
from backend.terms import questions as question_sets
from backend.terms.controllers import READ, WRITE
from backend.terms.schemas import QuestionForm, QuestionsPublic, QuestionsUpdate
from backend.web import Page, RowId, form_int


class QuestionController(Controller):
    # ---- Pages --------------------------------------------------------------------------

    @get(
        "/schools/{school_id:int}/terms/{term_id:int}/questions",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_SCHOOL,
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
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_SCHOOL,
        name="terms.add_question",
    )
    def add_question(
        self,
        *,
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
        url = f"/schools/{school_id}/terms/{term_id}/questions?saved={question_id}"
        return Redirect(f"{url}#question-{question_id}", status_code=303)

    @post(
        "/schools/{school_id:int}/terms/{term_id:int}/questions/{question_id:int}",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=FOR_SCHOOL,
        name="terms.change_question",
    )
    def change_question(
        self,
        *,
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
        base = f"/schools/{school_id}/terms/{term_id}/questions"
        if data.action == "remove":
            anchor = f"section-{question.audience}-{question.stage}"
            return Redirect(f"{base}?removed=1#{anchor}", status_code=303)
        return Redirect(f"{base}?saved={question_id}#question-{question_id}", status_code=303)

    # ---- JSON ---------------------------------------------------------------------------

    @get(
        "/api/schools/{school_id:int}/terms/{term_id:int}/questions",
        sync_to_thread=False,
        summary="The term's preparation questions per stage and audience, in order",
        responses=READ,
        dependencies=FOR_SCHOOL,
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
        "/api/schools/{school_id:int}/terms/{term_id:int}/questions",
        sync_to_thread=False,
        summary="One stage and audience's questions as a list in order: `{id, text?}` keeps "
        "(or rewords) a question, `{text}` adds one, an id left out is removed (retired "
        "when answered)",
        responses=WRITE,
        dependencies=FOR_SCHOOL,
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
