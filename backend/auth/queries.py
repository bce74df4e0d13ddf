"""The prebuilt reads of every request and of the passkey lists (DESIGN: hot reads may use
Core), with named rows."""

from __future__ import annotations

from sqlalchemy import bindparam, exists, func
from sqlalchemy import select as core_select
from sqlmodel import col

from backend.db import Query
from backend.models import (
    GroupMentor,
    GroupPupil,
    GroupTeacher,
    LoginSession,
    Notification,
    NotificationItem,
    Organiser,
    PasskeyCredential,
    Person,
    SchoolPrincipal,
)

# In the same statement as the session: the header's count costs no query of its own.
UNREAD = (
    core_select(func.count())
    .select_from(NotificationItem)
    .join(Notification, col(Notification.id) == NotificationItem.notification_id)
    .where(
        col(Notification.person_id) == LoginSession.person_id,
        col(Notification.read_at).is_(None),
    )
    .correlate(LoginSession)
    .scalar_subquery()
    .label("unread")
)
VIEWER = Query(
    core_select(
        col(Person.id),
        col(Person.given_name),
        col(Person.family_name),
        col(LoginSession.credential_id),
        exists().where(col(GroupPupil.pupil_id) == LoginSession.person_id).label("is_pupil"),
        col(Person.locale),
        UNREAD,
        col(LoginSession.id).label("session_id"),
        col(LoginSession.idle_until),
        col(LoginSession.idle_minutes),
        col(LoginSession.expires_at),
        col(LoginSession.csrf_hash),
    )
    .select_from(LoginSession)
    .join(Person, col(Person.id) == LoginSession.person_id)
    .where(
        col(LoginSession.token_hash) == bindparam("token_hash"),
        col(LoginSession.expires_at) > bindparam("now"),
        col(LoginSession.idle_until) > bindparam("now"),
    )
)

# Staff (a teacher, a mentor, a principal, an organiser's person) get the shorter idle end
# at sign-in: their computer may be the staff room's. A teacher who is also a parent too.
IS_STAFF = Query(
    core_select(
        exists().where(col(GroupTeacher.teacher_id) == bindparam("person_id"))
        | exists().where(col(GroupMentor.mentor_id) == bindparam("person_id"))
        | exists().where(col(SchoolPrincipal.principal_id) == bindparam("person_id"))
        | exists().where(col(Organiser.person_id) == bindparam("person_id"))
    )
)

PASSKEYS = Query(
    core_select(
        col(PasskeyCredential.id),
        col(PasskeyCredential.nickname),
        col(PasskeyCredential.created_at),
        col(PasskeyCredential.last_used_at),
        col(PasskeyCredential.backed_up),
    )
    .where(col(PasskeyCredential.person_id) == bindparam("person_id"))
    .order_by(col(PasskeyCredential.created_at), col(PasskeyCredential.id))
)
