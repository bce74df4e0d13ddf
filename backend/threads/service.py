"""Threads (trådar): one conversation a goal and one for the plan as a whole, between the
pupil, her guardians with access, her mentor and the goal's teacher (DESIGN, "Threads").

Who writes: in a goal's thread the pupil, her guardians with access, her mentors and the
teachers of the goal's area in a group of hers; in the plan's thread the same, with any of
her teachers. Everyone in THREAD_READERS reads both (a teacher of another subject reads a
goal's thread, as she reads the plan, and is refused 403 when she writes); the principal
is no party (404). A message is changed by its writer alone, for EDIT_WINDOW after it was
written (403 after). What is unread for a reader is a message without her row in
`thread_read`; opening a thread marks the page shown read, and a message written is read
by its writer. A new message tells each other party in the daily digest (Kind.MESSAGE)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.access import Access, Relation, Staff
from backend.errors import Forbidden, FormError, NotFound
from backend.goals.service import rights_of
from backend.i18n import N_
from backend.models import (
    Goal,
    GroupMentor,
    GroupPupil,
    GroupTeacher,
    Guardianship,
    Message,
    MessageRead,
    Person,
    Plan,
    PlanState,
    Reply,
    SelfAssessment,
    utcnow,
)
from backend.names import Namer
from backend.notifications.service import Kind, notify
from backend.plans.service import refuse_archived
from backend.threads import queries
from backend.threads.schemas import (
    TEXT_MAX,
    MessagePublic,
    NewMessage,
    ReplyInThread,
    ThreadMark,
    ThreadPublic,
)
from backend.web import has_control_characters

EDIT_WINDOW = timedelta(minutes=5)
REPLY_MAX = 500  # a message that carries a reply to a rating keeps the reply's bound
PAGE = 50  # messages on a page of a thread; older ones a link away
DAYS = 60  # how far back "New from my pupils" reaches
FAMILY_ROLES = (Relation.SELF.value, Relation.GUARDIAN.value)

NOT_YOURS = N_("Only the goal's teacher, the mentor, the pupil and her guardians write here.")
TOO_LATE = N_(
    "A message can only be changed for 5 minutes after it was written. Write a new one instead."
)
NOT_WRITER = N_("Only the one who wrote a message can change it.")


def check_text(text: str) -> str:
    """The form's (or the API's) text, stripped and bounded: FormError otherwise."""
    text = text.strip()
    message = None
    if not text:
        message = N_("Write a message.")
    elif len(text) > TEXT_MAX:
        message = N_("The message is too long. Write at most 2000 characters.")
    elif has_control_characters(text):
        message = N_("The message has a sign in it that we cannot save. Write it again without it.")
    if message is not None:
        raise FormError({"text": message})
    return text


def goal_thread(session: Session, *, goal_id: int) -> Goal:
    goal = session.get(Goal, goal_id)
    if goal is None:
        raise NotFound()
    return goal


def may_write(session: Session, *, access: Access, goal: Goal | None) -> bool:
    """The pupil, her guardians and her mentors always; a teacher in the goal's area (in
    the plan's thread: any of her teachers)."""
    if access.relation in {Relation.SELF, Relation.GUARDIAN, Relation.MENTOR}:
        return True
    if access.relation is not Relation.TEACHER:
        return False
    if goal is None:
        return True
    rights = rights_of(session, access=access)
    return rights is not None and rights.may(goal.area)


def _plan(session: Session, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound()
    return plan


def _public(row: Any, *, namer: Namer, reader_id: int, now: Any) -> MessagePublic:
    mine = row.author_id == reader_id
    until = row.created_at + EDIT_WINDOW
    return MessagePublic(
        id=row.id,
        plan_id=row.plan_id,
        goal_id=row.goal_id,
        author=namer.name(
            person_id=row.author_id,
            given=row.given_name,
            family=row.family_name,
            marking=row.security_marking,
            role=row.role,
        ),
        role=row.role,
        text=row.text,
        created_at=row.created_at,
        edited_at=row.edited_at,
        read=mine or row.read_by is not None,
        mine=mine,
        editable_until=until if mine and now < until else None,
    )


def every_message(
    session: Session, *, pupil_id: int, reader_id: int, namer: Namer
) -> list[MessagePublic]:
    """Every message in the pupil's threads, of every term, oldest first: all my data."""
    now = utcnow()
    return [
        _public(row, namer=namer, reader_id=reader_id, now=now)
        for row in queries.EVERY.rows(session, {"pupil_id": pupil_id, "reader_id": reader_id})
    ]


def thread(
    session: Session,
    *,
    access: Access,
    plan_id: int,
    goal: Goal | None,
    before: int | None = None,
    limit: int = PAGE,
    mark: bool = True,
) -> ThreadPublic:
    """A page of the thread as the viewer sees it, oldest first; `mark` marks what it
    shows read for her (the answer still says which were unread)."""
    plan = _plan(session, plan_id)
    reader_id = access.viewer.person_id
    params: dict[str, Any] = {"plan_id": plan_id, "reader_id": reader_id, "limit": limit + 1}
    if goal is not None:
        params["goal_id"] = goal.id
    if before is not None:
        params["before"] = before
    rows = queries.PAGES[(goal is not None, before is not None)].rows(session, params)
    now = utcnow()
    shown = [_public(row, namer=access.namer, reader_id=reader_id, now=now) for row in rows[:limit]]
    shown.reverse()
    unread = [m.id for m in shown if not m.read]
    if mark and unread:
        _mark(session, person_id=reader_id, message_ids=unread)
    return ThreadPublic(
        plan_id=plan_id,
        goal_id=None if goal is None else goal.id,
        area="" if goal is None else goal.area,
        goal="" if goal is None else goal.text,
        messages=shown,
        before=shown[0].id if len(rows) > limit else None,
        unread=len(unread),
        may_write=plan.state != PlanState.ARCHIVED and may_write(session, access=access, goal=goal),
        archived=plan.state == PlanState.ARCHIVED,
        replies=_replies(session, goal=goal, namer=access.namer) if before is None else [],
    )


def _replies(session: Session, *, goal: Goal | None, namer: Namer) -> list[ReplyInThread]:
    """The goal's ratings' replies that no message carries (written before the threads, or
    imported), oldest first."""
    if goal is None:
        return []
    carried = select(Message.reply_id).where(col(Message.reply_id).is_not(None))
    rows = session.exec(
        select(Reply, Person)
        .join(SelfAssessment, col(SelfAssessment.id) == Reply.self_assessment_id)
        .outerjoin(Person, col(Person.id) == Reply.author_id)
        .where(SelfAssessment.goal_id == goal.id, col(Reply.id).not_in(carried))
        .order_by(col(Reply.created_at), col(Reply.id))
    ).all()
    found = []
    for reply, person in rows:
        author = reply.author_name
        if person is not None:
            author = namer.person(person, role=Relation.TEACHER)
        found.append(ReplyInThread(author=author, text=reply.text, created_at=reply.created_at))
    return found


def _mark(session: Session, *, person_id: int, message_ids: Iterable[int]) -> None:
    """Read by her now; a row another request wrote meanwhile is kept (committed)."""
    rows = [{"message_id": m, "person_id": person_id, "at": utcnow()} for m in message_ids]
    try:
        with session.begin_nested():
            session.connection().execute(insert(MessageRead), rows)
    except IntegrityError:  # some were marked at the same moment: one at a time
        for row in rows:
            if session.get(MessageRead, (row["message_id"], person_id)) is None:
                try:
                    with session.begin_nested():
                        session.connection().execute(insert(MessageRead), [row])
                except IntegrityError:
                    pass
    session.commit()


def mark_read(session: Session, *, access: Access, message_id: int) -> MessagePublic:
    """One message read by the viewer (idempotent); 404 when she may not read it."""
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound()
    if session.get(MessageRead, (message_id, access.viewer.person_id)) is None:
        _mark(session, person_id=access.viewer.person_id, message_ids=[message_id])
    return one(session, access=access, message_id=message_id)


def one(session: Session, *, access: Access, message_id: int) -> MessagePublic:
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound()
    author = session.get(Person, message.author_id)
    assert author is not None
    read = session.get(MessageRead, (message_id, access.viewer.person_id)) is not None
    row = _Row(
        id=message_id,
        plan_id=message.plan_id,
        goal_id=message.goal_id,
        author_id=message.author_id,
        role=message.role,
        text=message.text,
        created_at=message.created_at,
        edited_at=message.edited_at,
        given_name=author.given_name,
        family_name=author.family_name,
        security_marking=author.security_marking,
        read_by=access.viewer.person_id if read else None,
    )
    return _public(row, namer=access.namer, reader_id=access.viewer.person_id, now=utcnow())


class _Row:
    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


def write(
    session: Session,
    *,
    access: Access,
    plan_id: int,
    goal: Goal | None,
    text: str,
    today: date,
    reply_id: int | None = None,
) -> MessagePublic:
    """A message already checked (check_text) from the viewer: 403 when she is not one
    who writes here, 409 `archived` for an archived plan. Read by her; each other party
    is told in the day's digest. Committed."""
    plan = _plan(session, plan_id)
    if not may_write(session, access=access, goal=goal):
        raise Forbidden(message=NOT_YOURS)
    refuse_archived(plan.state, plan_id)
    viewer = access.viewer
    message = Message(
        plan_id=plan_id,
        goal_id=None if goal is None else goal.id,
        author_id=viewer.person_id,
        role=access.relation.value,
        text=text,
        reply_id=reply_id,
    )
    session.add(message)
    session.flush()
    assert message.id is not None
    session.add(MessageRead(message_id=message.id, person_id=viewer.person_id))
    others = set(parties(session, pupil_id=access.pupil_id, plan_id=plan_id, goal=goal))
    others.discard(viewer.person_id)
    notify(
        session,
        person_ids=sorted(others),
        kind=Kind.MESSAGE,
        day=today,
        pupil_id=access.pupil_id,
        actor_id=viewer.person_id,
        push_link=thread_path(plan_id=plan_id, goal=goal),
    )
    session.commit()
    return one(session, access=access, message_id=message.id)


def thread_path(*, plan_id: int, goal: Goal | None) -> str:
    """The thread's page (a push's link: the goal's or the plan's id, nothing else)."""
    return f"/plans/{plan_id}/thread" if goal is None else f"/goals/{goal.id}/thread"


def parties(session: Session, *, pupil_id: int, plan_id: int, goal: Goal | None) -> list[int]:
    """Who a new message reaches: the pupil, her guardians with access, her mentors, and
    the goal's teachers (the plan's thread: the teachers who have written in it)."""
    groups = select(GroupPupil.group_id).where(GroupPupil.pupil_id == pupil_id)
    people = [pupil_id]
    people += session.exec(
        select(Guardianship.guardian_id).where(
            Guardianship.pupil_id == pupil_id, col(Guardianship.has_access).is_(True)
        )
    ).all()
    people += session.exec(
        select(GroupMentor.mentor_id).where(col(GroupMentor.group_id).in_(groups))
    ).all()
    if goal is not None:
        people += session.exec(
            select(GroupTeacher.teacher_id).where(
                col(GroupTeacher.group_id).in_(groups), GroupTeacher.subject == goal.area
            )
        ).all()
    else:
        people += session.exec(
            select(Message.author_id).where(
                Message.plan_id == plan_id,
                col(Message.goal_id).is_(None),
                Message.role == Relation.TEACHER.value,
            )
        ).all()
    return list(dict.fromkeys(people))


def edit(session: Session, *, access: Access, message_id: int, text: str) -> MessagePublic:
    """The writer's change within EDIT_WINDOW: 403 for anyone else or later, 409 for an
    archived plan. A message that carries a reply changes the reply too."""
    message = editable(session, access=access, message_id=message_id)
    refuse_archived(_plan(session, message.plan_id).state, message.plan_id)
    reply = None if message.reply_id is None else session.get(Reply, message.reply_id)
    if reply is not None and len(text) > REPLY_MAX:
        raise FormError({"text": N_("The reply is too long. Write at most 500 characters.")})
    message.text, message.edited_at = text, utcnow()
    if reply is not None:
        reply.text = text
    session.commit()
    return one(session, access=access, message_id=message_id)


def editable(session: Session, *, access: Access, message_id: int) -> Message:
    """The message, if the viewer may change it now (as `edit` decides)."""
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound()
    if message.author_id != access.viewer.person_id:
        raise Forbidden(message=NOT_WRITER)
    if utcnow() >= message.created_at + EDIT_WINDOW:
        raise Forbidden(message=TOO_LATE)
    return message


def marks(session: Session, *, plan_id: int, reader_id: int) -> dict[int | None, ThreadMark]:
    """Each thread of the plan with messages: how many, how many unread for the reader
    (one query). Keyed by goal id, None for the plan's thread."""
    rows = queries.MARKS.rows(session, {"plan_id": plan_id, "reader_id": reader_id})
    return {
        row.goal_id: ThreadMark(count=int(row.total), unread=int(row.total) - int(row.read))
        for row in rows
    }


def new_for_staff(session: Session, *, staff: Staff) -> list[NewMessage]:
    """The pupil's and her guardians' messages that the viewer has not read, in the
    threads she is a party to: her mentees' all, a teacher's in the goals of her subjects
    and in plans' threads she has written in (one query)."""
    groups = {g.id: g for g in staff.groups}
    if not groups:
        return []
    since = utcnow() - timedelta(days=DAYS)
    viewer_id = staff.viewer.person_id
    rows = queries.NEW_FROM_FAMILIES.rows(session, {"reader_id": viewer_id, "since": since})
    namer = Namer.everyone()
    found: dict[int, NewMessage] = {}
    for row in rows:
        group = groups.get(row.group_id)
        if group is None or row.id in found:
            continue
        if group.relation is not Relation.MENTOR:
            concerns = row.wrote if row.goal_id is None else row.area in group.subjects
            if not concerns:
                continue
        found[row.id] = NewMessage(
            id=row.id,
            pupil_id=row.pupil_id,
            pupil=f"{row.pupil_given} {row.pupil_family}",
            plan_id=row.plan_id,
            goal_id=row.goal_id,
            area=row.area or "",
            goal=row.goal_text or "",
            author=namer.name(
                person_id=row.author_id,
                given=row.given_name,
                family=row.family_name,
                marking=row.security_marking,
                role=row.role,
            ),
            role=row.role,
            text=row.text,
            created_at=row.created_at,
            group_id=row.group_id,
        )
    return list(found.values())


def readers(staff: Staff, items: list[NewMessage]) -> dict[int, str]:
    """The pupils shown, each with the viewer's relation to her (for the read log)."""
    relation = {g.id: g.relation for g in staff.groups}
    pupils: dict[int, str] = {}
    for item in items:
        role = relation.get(item.group_id, Relation.TEACHER)
        if pupils.get(item.pupil_id) != Relation.MENTOR:
            pupils[item.pupil_id] = role
    return pupils


def reply_to_rating(
    session: Session, *, access: Access, assessment_id: int, reply_id: int, text: str, today: date
) -> bool:
    """A teacher's reply to a rating, carried into the goal's thread (the reply stays
    under the rating): the pupil sees it unread on her home and answers there. A teacher
    who does not write in the goal's thread (another subject's) replies under the rating
    only: False."""
    rating = session.get(SelfAssessment, assessment_id)
    if rating is None:
        raise NotFound()
    goal = goal_thread(session, goal_id=rating.goal_id)
    if not may_write(session, access=access, goal=goal):
        return False
    write(
        session,
        access=access,
        plan_id=goal.plan_id,
        goal=goal,
        text=text,
        today=today,
        reply_id=reply_id,
    )
    return True
