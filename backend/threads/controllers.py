"""Threads as pages: a goal's thread and the plan's, newest 50 with a link to older ones,
the box to answer in (focused when the page opens: the "New answer" mark on the goal's
card is one tap, "Send" the second), and the writer's change within five minutes."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Template
from sqlmodel import Session

from backend.access import STAFF, THREAD_READERS, Access, Record, Relation, for_record
from backend.errors import FormError
from backend.i18n import N_
from backend.models import Goal, Person
from backend.readlog import ReadKind
from backend.threads import service
from backend.threads.schemas import MessageForm
from backend.web import Page, RowId, see_other

# A writer's role beside her name, in the reader's language.
ROLES = {
    Relation.SELF: N_("pupil"),
    Relation.GUARDIAN: N_("guardian"),
    Relation.MENTOR: N_("mentor"),
    Relation.TEACHER: N_("teacher"),
}


def thread_page(
    request: Request[Any, Any, Any],
    db: Session,
    access: Access,
    *,
    plan_id: int,
    goal: Goal | None,
    before: int | None = None,
    sent: int | None = None,
    errors: dict[str, str] | None = None,
    form: MessageForm | None = None,
    status_code: int = 200,
) -> Template:
    """The page; opening it marks what it shows read for the viewer."""
    shown = service.thread(db, access=access, plan_id=plan_id, goal=goal, before=before)
    return Page(
        "threads/thread.html",
        status_code=status_code,
        context={
            "viewer": access.viewer,
            "nav": "home",
            "thread": shown,
            "pupil": None if access.is_self else db.get(Person, access.pupil_id),
            "own": access.is_self,
            "family": access.relation in {Relation.SELF, Relation.GUARDIAN},
            "staff": access.relation in STAFF,
            "pupil_id": access.pupil_id,
            "sent": sent,
            "errors": errors or {},
            "form": form,
            "roles": ROLES,
            "minutes": int(service.EDIT_WINDOW.total_seconds() // 60),
        },
    )


class ThreadController(Controller):
    include_in_schema = False

    @get(
        "/goals/{goal_id:int}/thread",
        sync_to_thread=False,
        dependencies=for_record(Record.GOAL, ReadKind.THREAD, THREAD_READERS),
        name="threads.goal_page",
    )
    def goal_page(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        goal_id: RowId,
        before: FromQuery[int | None] = None,
        sent: FromQuery[int | None] = None,
    ) -> Template:
        goal = service.goal_thread(db, goal_id=goal_id)
        return thread_page(
            request, db, access, plan_id=goal.plan_id, goal=goal, before=before, sent=sent
        )

    @post(
        "/goals/{goal_id:int}/thread",
        sync_to_thread=False,
        dependencies=for_record(Record.GOAL, None, THREAD_READERS),
        name="threads.goal_write",
    )
    def goal_write(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
        data: URLEncodedBody[MessageForm],
    ) -> Response[Any]:
        goal = service.goal_thread(db, goal_id=goal_id)
        return _write(request, db, state, access, plan_id=goal.plan_id, goal=goal, data=data)

    @get(
        "/plans/{plan_id:int}/thread",
        sync_to_thread=False,
        dependencies=for_record(Record.PLAN, ReadKind.THREAD, THREAD_READERS),
        name="threads.plan_page",
    )
    def plan_page(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        plan_id: RowId,
        before: FromQuery[int | None] = None,
        sent: FromQuery[int | None] = None,
    ) -> Template:
        return thread_page(
            request, db, access, plan_id=plan_id, goal=None, before=before, sent=sent
        )

    @post(
        "/plans/{plan_id:int}/thread",
        sync_to_thread=False,
        dependencies=for_record(Record.PLAN, None, THREAD_READERS),
        name="threads.plan_write",
    )
    def plan_write(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        plan_id: RowId,
        data: URLEncodedBody[MessageForm],
    ) -> Response[Any]:
        return _write(request, db, state, access, plan_id=plan_id, goal=None, data=data)

    @get(
        "/messages/{message_id:int}/edit",
        sync_to_thread=False,
        dependencies=for_record(Record.MESSAGE, ReadKind.THREAD, THREAD_READERS),
        name="threads.edit_page",
    )
    def edit_page(
        self, *, db: NamedDependency[Session], access: NamedDependency[Access], message_id: RowId
    ) -> Template:
        """The writer's own message, to change while she still may (403 after)."""
        message = service.editable(db, access=access, message_id=message_id)
        return _edit(access, message_id=message_id, text=message.text)

    @post(
        "/messages/{message_id:int}/edit",
        sync_to_thread=False,
        dependencies=for_record(Record.MESSAGE, None, THREAD_READERS),
        name="threads.change",
    )
    def change(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        message_id: RowId,
        data: URLEncodedBody[MessageForm],
    ) -> Response[Any]:
        try:
            text = service.check_text(data.text)
            changed = service.edit(db, access=access, message_id=message_id, text=text)
        except FormError as error:
            return _edit(access, message_id=message_id, text=data.text, errors=error.errors)
        return _back_to(request, changed.plan_id, changed.goal_id, changed.id)


def _write(
    request: Request[Any, Any, Any],
    db: Session,
    state: State,
    access: Access,
    *,
    plan_id: int,
    goal: Goal | None,
    data: MessageForm,
) -> Response[Any]:
    """Post/redirect/get to the thread, at the message sent (which takes the focus); on
    an error the thread again with it in place."""
    try:
        text = service.check_text(data.text)
    except FormError as error:
        return thread_page(
            request,
            db,
            access,
            plan_id=plan_id,
            goal=goal,
            errors=error.errors,
            form=data,
            status_code=422,
        )
    sent = service.write(
        db, access=access, plan_id=plan_id, goal=goal, text=text, today=state.settings.today()
    )
    return _back_to(request, plan_id, sent.goal_id, sent.id)


def _back_to(
    request: Request[Any, Any, Any], plan_id: int, goal_id: int | None, message_id: int
) -> Response[Any]:
    at: dict[str, Any] = {"query": {"sent": message_id}, "fragment": f"message-{message_id}"}
    if goal_id is None:
        return see_other(request, "threads.plan_page", plan_id=plan_id, **at)
    return see_other(request, "threads.goal_page", goal_id=goal_id, **at)


def _edit(
    access: Access, *, message_id: int, text: str, errors: dict[str, str] | None = None
) -> Template:
    return Page(
        "threads/edit.html",
        status_code=422 if errors else 200,
        context={
            "viewer": access.viewer,
            "nav": "home",
            "message_id": message_id,
            "text": text,
            "errors": errors or {},
            "family": access.relation in {Relation.SELF, Relation.GUARDIAN},
        },
    )
