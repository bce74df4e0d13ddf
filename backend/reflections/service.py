"""Reflections, reviewed: the self-assessments with comments from a teacher's or mentor's
pupils, which she marks as seen or answers with a short reply.

Unread, for a viewer V (the group overview counts the same thing): a self-assessment with
a non-empty comment, in a plan of a pupil V may review (a pupil of a group V teaches or
mentors), that V has neither marked seen nor replied to."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col

from backend.access import Access, Relation, Staff
from backend.errors import FormError, NotFound
from backend.i18n import N_
from backend.models import (
    PlanState,
    Reply,
    Seen,
    utcnow,
)
from backend.notifications.service import Kind, notify
from backend.plans.queries import REPLY_ROWS
from backend.plans.schemas import ReplyPublic
from backend.plans.service import refuse_archived
from backend.reflections import queries
from backend.reflections.schemas import REPLY_MAX, ReflectionPublic
from backend.threads.service import reply_to_rating
from backend.viewer import Viewer
from backend.web import has_control_characters

DAYS = 60  # the list reaches this far back …
LIMIT = 100  # … and shows at most this many


def reflections_for(
    session: Session, *, staff: Staff, assessment_id: int | None = None
) -> list[ReflectionPublic]:
    """Her list: the goal areas she teaches first, then newest first (two queries). With
    `assessment_id`, that one item (any age), if it is hers to see."""
    groups = {g.id: g for g in staff.groups}
    if not groups:
        return []
    viewer_id = staff.viewer.person_id
    if assessment_id is None:
        since = utcnow() - timedelta(days=DAYS)
        rows = queries.LISTED.rows(session, {"viewer_id": viewer_id, "since": since})
    else:
        rows = queries.ONE.rows(session, {"viewer_id": viewer_id, "assessment_id": assessment_id})
    items: dict[int, ReflectionPublic] = {}
    for row in rows:
        group = groups.get(row.group_id)
        if group is None:  # not one of the groups she works with now
            continue
        mine = row.area in group.subjects
        earlier = items.get(row.rating_id)
        if earlier is not None:  # the pupil is in two of her groups
            earlier.in_my_subject = earlier.in_my_subject or mine
            continue
        items[row.rating_id] = ReflectionPublic(
            id=row.rating_id,
            pupil_id=row.pupil_id,
            pupil=f"{row.given_name} {row.family_name}",
            group_id=row.group_id,
            group=group.name,
            goal_id=row.goal_id,
            area=row.area,
            goal=row.text,
            level=row.level,
            comment=row.comment,
            created_at=row.created_at,
            unread=row.seen_by is None and not row.replied,
            in_my_subject=mine,
            archived=row.state == PlanState.ARCHIVED,
        )
    ordered = sorted(items.values(), key=lambda r: not r.in_my_subject)[:LIMIT]  # stable
    _add_replies(session, ordered)
    return ordered


def _add_replies(session: Session, items: list[ReflectionPublic]) -> None:
    by_id = {item.id: item for item in items}
    if not by_id:
        return
    rows = session.execute(REPLY_ROWS.where(col(Reply.self_assessment_id).in_(list(by_id))))
    for row in rows:  # staff read every name
        author = row.author_name or f"{row.given_name} {row.family_name}"
        by_id[row.self_assessment_id].replies.append(
            ReplyPublic(id=row.id, author=author, text=row.text, created_at=row.created_at)
        )


def reflection(session: Session, *, staff: Staff, assessment_id: int) -> ReflectionPublic:
    """One item of her list, as it is now; 404 when it is not hers to see."""
    found = reflections_for(session, staff=staff, assessment_id=assessment_id)
    if not found:
        raise NotFound()
    return found[0]


def readers(staff: Staff, items: list[ReflectionPublic]) -> dict[int, str]:
    """The pupils shown, each with the viewer's relation to her (for the read log)."""
    relation = {g.id: g.relation for g in staff.groups}
    pupils: dict[int, str] = {}
    for item in items:
        role = relation.get(item.group_id, Relation.TEACHER)
        if pupils.get(item.pupil_id) != Relation.MENTOR:
            pupils[item.pupil_id] = role
    return pupils


def check_reply(text: str) -> str:
    text = text.strip()
    message = None
    if not text:
        message = N_("Write a reply.")
    elif len(text) > REPLY_MAX:
        message = N_("The reply is too long. Write at most 500 characters.")
    elif has_control_characters(text):
        message = N_("The reply has a sign in it that we cannot save. Write it again without it.")
    if message is not None:
        raise FormError({"text": message})
    return text


def mark_seen(session: Session, *, access: Access, assessment_id: int) -> None:
    """Idempotent: seen once is seen."""
    person_id = access.viewer.person_id
    if session.get(Seen, (assessment_id, person_id)) is None:
        session.add(Seen(self_assessment_id=assessment_id, person_id=person_id))
        session.commit()


def add_reply(
    session: Session,
    *,
    assessment_id: int,
    author: Viewer,
    text: str,
    pupil_id: int,
    day: date,
    access: Access | None = None,
) -> ReplyPublic:
    """Stores a reply already checked (check_reply); replying also marks it seen. 409
    `archived` for a rating in an archived plan: the reply would change its history.
    With the request's `access`, the reply is also carried into the goal's thread
    (backend/threads/), which tells the people there: the pupil sees it as a new answer
    and answers there. A reply that is not carried (another subject's teacher) tells the
    pupil itself (her digest of `day`, and a push if she chose it)."""
    found = queries.PLAN_OF_RATING.first(session, {"assessment_id": assessment_id})
    if found is None:
        raise NotFound()
    refuse_archived(str(found.state), int(found.id))
    reply = Reply(self_assessment_id=assessment_id, author_id=author.person_id, text=text)
    session.add(reply)
    if session.get(Seen, (assessment_id, author.person_id)) is None:
        session.add(Seen(self_assessment_id=assessment_id, person_id=author.person_id))
    session.flush()
    assert reply.id is not None
    carried = access is not None and reply_to_rating(
        session,
        access=access,
        assessment_id=assessment_id,
        reply_id=reply.id,
        text=text,
        today=day,
    )
    if not carried and author.person_id != pupil_id:
        notify(
            session,
            person_ids=[pupil_id],
            kind=Kind.REPLY,
            day=day,
            pupil_id=pupil_id,
            actor_id=author.person_id,
        )
    session.commit()
    return ReplyPublic(
        id=reply.id, author=author.name, text=reply.text, created_at=reply.created_at
    )
