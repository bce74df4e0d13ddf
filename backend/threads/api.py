"""Threads as JSON (issue 24, item 6: the paths are a contract): a goal's thread and the
plan's, read a page at a time and written to; one message marked read or changed by its
writer within five minutes."""

from __future__ import annotations

from litestar import Controller, Response, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from sqlmodel import Session

from backend.access import THREAD_READERS, Access, Record, for_record
from backend.errors import ARCHIVED_409, FormError, refusals
from backend.models import Goal
from backend.readlog import ReadKind
from backend.threads import service
from backend.threads.schemas import MessageCreate, MessagePublic, MessageUpdate, ThreadPublic
from backend.web import RowId

_NOT_FOUND = {404: "No such goal, plan or message, or not one of the viewer's threads"}
READ = refusals(_NOT_FOUND | {422: "Not a valid `before` or `limit`"})
WRITE = refusals(
    _NOT_FOUND
    | {
        403: "Linked to the pupil, but not one who writes in this thread",
        409: ARCHIVED_409,
        422: "Not a valid message",
    }
)
MARK = refusals(_NOT_FOUND)
CHANGE = refusals(
    _NOT_FOUND
    | {
        403: "Not the message's writer, or more than five minutes after it was written",
        409: ARCHIVED_409,
        422: "Not a valid message",
    }
)
LIMIT_MAX = 200


def _limit(limit: int) -> int:
    return max(1, min(limit, LIMIT_MAX))


class ThreadApiController(Controller):
    path = "/api"
    tags = ("threads",)

    @get(
        "/goals/{goal_id:int}/messages",
        sync_to_thread=False,
        summary="A goal's thread, a page at a time: the newest `limit` messages older than "
        "`before` (oldest first), each with its writer, role, times and whether the reader "
        "has read it; `before` in the answer is the next cursor, null at the oldest. "
        "Reading here marks nothing read (POST …/read does)",
        responses=READ,
        dependencies=for_record(Record.GOAL, ReadKind.THREAD, THREAD_READERS),
        name="threads.goal_json",
    )
    def goal_json(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        goal_id: RowId,
        before: FromQuery[RowId | None] = None,
        limit: FromQuery[int] = service.PAGE,
    ) -> ThreadPublic:
        goal = service.goal_thread(db, goal_id=goal_id)
        return service.thread(
            db,
            access=access,
            plan_id=goal.plan_id,
            goal=goal,
            before=before,
            limit=_limit(limit),
            mark=False,
        )

    @post(
        "/goals/{goal_id:int}/messages",
        sync_to_thread=False,
        summary="Write in a goal's thread (the pupil, her guardians with access, her mentor, "
        "the goal's teacher); each other party is told in the day's digest",
        responses=WRITE,
        dependencies=for_record(Record.GOAL, None, THREAD_READERS),
        name="threads.goal_write_json",
    )
    def goal_write_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        goal_id: RowId,
        data: JSONBody[MessageCreate],
    ) -> Response[MessagePublic]:
        goal = service.goal_thread(db, goal_id=goal_id)
        return _write(db, state, access, plan_id=goal.plan_id, goal=goal, text=data.text)

    @get(
        "/plans/{plan_id:int}/messages",
        sync_to_thread=False,
        summary="The plan's own thread (about the plan as a whole), a page at a time, as a goal's",
        responses=READ,
        dependencies=for_record(Record.PLAN, ReadKind.THREAD, THREAD_READERS),
        name="threads.plan_json",
    )
    def plan_json(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        plan_id: RowId,
        before: FromQuery[RowId | None] = None,
        limit: FromQuery[int] = service.PAGE,
    ) -> ThreadPublic:
        return service.thread(
            db,
            access=access,
            plan_id=plan_id,
            goal=None,
            before=before,
            limit=_limit(limit),
            mark=False,
        )

    @post(
        "/plans/{plan_id:int}/messages",
        sync_to_thread=False,
        summary="Write in the plan's thread (the pupil, her guardians with access, her mentor "
        "and any of her teachers)",
        responses=WRITE,
        dependencies=for_record(Record.PLAN, None, THREAD_READERS),
        name="threads.plan_write_json",
    )
    def plan_write_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        plan_id: RowId,
        data: JSONBody[MessageCreate],
    ) -> Response[MessagePublic]:
        return _write(db, state, access, plan_id=plan_id, goal=None, text=data.text)

    @post(
        "/messages/{message_id:int}/read",
        sync_to_thread=False,
        status_code=200,
        summary="Mark one message read by the viewer (idempotent)",
        responses=MARK,
        dependencies=for_record(Record.MESSAGE, None, THREAD_READERS),
        name="threads.read_json",
    )
    def read_json(
        self, *, db: NamedDependency[Session], access: NamedDependency[Access], message_id: RowId
    ) -> MessagePublic:
        return service.mark_read(db, access=access, message_id=message_id)

    @patch(
        "/messages/{message_id:int}",
        sync_to_thread=False,
        summary="Change one's own message within five minutes of writing it (403 after)",
        responses=CHANGE,
        dependencies=for_record(Record.MESSAGE, None, THREAD_READERS),
        name="threads.change_json",
    )
    def change_json(
        self,
        *,
        db: NamedDependency[Session],
        access: NamedDependency[Access],
        message_id: RowId,
        data: JSONBody[MessageUpdate],
    ) -> MessagePublic:
        try:
            text = service.check_text(data.text)
            return service.edit(db, access=access, message_id=message_id, text=text)
        except FormError as error:
            raise error.invalid() from error


def _write(
    db: Session, state: State, access: Access, *, plan_id: int, goal: Goal | None, text: str
) -> Response[MessagePublic]:
    try:
        checked = service.check_text(text)
    except FormError as error:
        raise error.invalid() from error
    sent = service.write(
        db,
        access=access,
        plan_id=plan_id,
        goal=goal,
        text=checked,
        today=state.settings.today(),
    )
    return Response(sent, status_code=201)
