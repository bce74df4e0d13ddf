"""The notes' hot read: the plan page of every pupil and guardian asks for the shared
notes, the staff's list for all of them; built once (db.Query), rows named by their
columns' keys."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import col

from backend.db import Query
from backend.models import Note, Person

_NOTES = (
    core_select(
        col(Note.id),
        col(Note.pupil_id),
        col(Note.author_id),
        col(Person.given_name),
        col(Person.family_name),
        col(Person.security_marking),
        col(Note.subject),
        col(Note.text),
        col(Note.shared),
        col(Note.created_at),
        col(Note.updated_at),
        col(Note.version),
    )
    .join(Person, col(Person.id) == Note.author_id)
    .where(col(Note.pupil_id) == bindparam("pupil_id"))
    .order_by(col(Note.created_at).desc(), col(Note.id).desc())
)
ALL_NOTES = Query(_NOTES)
SHARED_NOTES = Query(_NOTES.where(col(Note.shared).is_(True)))
