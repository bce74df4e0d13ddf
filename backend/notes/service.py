"""Running notes about a pupil (löpande anteckningar): written by her mentor or teachers,
tagged with the author's subject, for staff only unless shared with the pupil and her
guardians. Only the author changes or deletes her note."""

from __future__ import annotations

import msgspec
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from backend.access import Access, Relation, staff_of
from backend.errors import Conflict, Forbidden, FormError, NotFound
from backend.i18n import N_
from backend.models import GroupPupil, Note, Person, utcnow
from backend.names import Namer
from backend.notes import queries
from backend.notes.schemas import TEXT_MAX, NotePublic
from backend.viewer import Viewer
from backend.web import has_control_characters

# A mentor's note is tagged with this word (translated where shown) unless she also
# teaches the pupil a subject.
MENTOR = N_("Mentor")


def subjects_for(session: Session, *, viewer: Viewer, pupil_id: int) -> list[str]:
    """What the viewer's notes about this pupil may be tagged with: her subjects in the
    pupil's groups, else "Mentor" for her mentor (two queries)."""
    groups = set(session.exec(select(GroupPupil.group_id).where(GroupPupil.pupil_id == pupil_id)))
    subjects: list[str] = []
    mentor = False
    for group in staff_of(session, viewer=viewer).groups:
        if group.id in groups:
            subjects += [s for s in group.subjects if s not in subjects]
            mentor = mentor or group.relation is Relation.MENTOR
    return subjects or [MENTOR if mentor else ""]


def _check_note(*, text: str, subject: str, choices: list[str]) -> tuple[str, str]:
    """The form's (or the API's) text and subject: the text stripped and bounded, the
    subject one of hers (none given: her first)."""
    errors: dict[str, str] = {}
    text = text.strip()
    if not text:
        errors["text"] = N_("Write the note.")
    elif len(text) > TEXT_MAX:
        errors["text"] = N_("The note is too long. Write at most 2000 characters.")
    elif has_control_characters(text):
        errors["text"] = N_(
            "The note has a sign in it that we cannot save. Write it again without it."
        )
    subject = subject.strip() or choices[0]
    if subject not in choices:
        errors["subject"] = N_("Choose one of your subjects.")
    if errors:
        raise FormError(errors)
    return text, subject


def _public(note: Note, author: str) -> NotePublic:
    assert note.id is not None
    return NotePublic(
        id=note.id,
        pupil_id=note.pupil_id,
        author_id=note.author_id,
        author=author,
        subject=note.subject,
        text=note.text,
        shared=note.shared,
        created_at=note.created_at,
        updated_at=note.updated_at,
        version=note.version,
    )


def add_note(
    session: Session, *, author: Viewer, pupil_id: int, text: str, shared: bool, subject: str
) -> NotePublic:
    """Checks the note (FormError, for the form and the API alike) and stores it."""
    choices = subjects_for(session, viewer=author, pupil_id=pupil_id)
    text, subject = _check_note(text=text, subject=subject, choices=choices)
    note = Note(
        pupil_id=pupil_id, author_id=author.person_id, subject=subject, text=text, shared=shared
    )
    session.add(note)
    session.commit()
    return _public(note, author.name)


def notes_of(
    session: Session, *, pupil_id: int, shared_only: bool, namer: Namer
) -> list[NotePublic]:
    """The notes about a pupil, newest first (one query). `shared_only` for anyone who is
    not staff: the pupil and her guardians never receive a staff-only note. Authors are
    named as `namer` allows."""
    notes = queries.SHARED_NOTES if shared_only else queries.ALL_NOTES
    return [
        NotePublic(
            id=row.id,
            pupil_id=row.pupil_id,
            author_id=row.author_id,
            author=namer.name(
                person_id=row.author_id,
                given=row.given_name,
                family=row.family_name,
                marking=row.security_marking,
                role="teacher",
            ),
            subject=row.subject,
            text=row.text,
            shared=bool(row.shared),
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
        )
        for row in notes.rows(session, {"pupil_id": pupil_id})
    ]


def own_note(session: Session, *, access: Access, note_id: int) -> NotePublic:
    """The note, if the viewer wrote it: 404 when it is gone, 403 when it is someone
    else's (the access policy has checked that she may see the pupil)."""
    row = session.exec(
        select(Note, Person.given_name, Person.family_name)
        .join(Person, col(Person.id) == Note.author_id)
        .where(Note.id == note_id)
    ).first()
    if row is None:
        raise NotFound()
    note, given, family = row
    if note.author_id != access.viewer.person_id:
        raise Forbidden("not_author", N_("Only the person who wrote a note can change it."))
    return _public(note, f"{given} {family}")


def update_note(
    session: Session,
    *,
    access: Access,
    note_id: int,
    text: str,
    shared: bool | None,
    version: int,
) -> NotePublic:
    """Checks the text (FormError) and changes the author's note if nobody has changed it
    since `version`: else 409 with the note as it is now (nothing is silently overwritten).
    Its subject stays."""
    before = own_note(session, access=access, note_id=note_id)
    text, _subject = _check_note(text=text, subject=before.subject, choices=[before.subject])
    values: dict[str, object] = {
        "text": text,
        "updated_at": utcnow(),
        "version": col(Note.version) + 1,
    }
    if shared is not None:
        values["shared"] = shared
    result = session.connection().execute(
        update(Note).where(col(Note.id) == note_id, col(Note.version) == version).values(**values)
    )
    session.commit()
    if result.rowcount == 0:
        raise Conflict(current=msgspec.to_builtins(before))
    return own_note(session, access=access, note_id=note_id)


def delete_note(session: Session, *, access: Access, note_id: int) -> NotePublic:
    """Removes the author's note; returns it as it was (to find the pupil's page)."""
    note = own_note(session, access=access, note_id=note_id)
    session.connection().execute(delete(Note).where(col(Note.id) == note_id))
    session.commit()
    return note
