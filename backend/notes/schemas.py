"""What crosses the edge of the notes domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from backend.web import MAX_ROW_ID, TEXT_PATTERN

TEXT_MAX = 2000
SUBJECT_MAX = 100
NoteText = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=TEXT_MAX,
        pattern=TEXT_PATTERN,
        description="The note, factual and encouraging (no control characters)",
    ),
]


class NoteForm(msgspec.Struct, kw_only=True):
    """From the HTML form: strings, checked by the service so errors show in place. The
    button pressed says whether the note is shared ("1") or for staff only ("0")."""

    text: str = ""
    shared: str = ""
    subject: str = ""
    version: str = ""  # on an edit: the version the form was rendered with
    back: str = ""  # where to go after a plain (no-JS) save


class NoteCreate(msgspec.Struct, kw_only=True):
    text: NoteText
    shared: bool = False
    subject: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=SUBJECT_MAX,
                description="One of the author's subjects for the pupil; default: her first",
            ),
        ]
        | None
    ) = None


class NoteUpdate(msgspec.Struct, kw_only=True):
    text: NoteText
    version: Annotated[
        int, msgspec.Meta(ge=1, le=MAX_ROW_ID, description="The version the edit is based on")
    ]
    shared: bool | None = None  # None: as it was


class NotePublic(msgspec.Struct, kw_only=True):
    id: int
    pupil_id: int
    author_id: int
    author: str
    subject: str  # a subject, or "Mentor"
    text: str
    shared: bool  # True: the pupil and her guardians read it on the plan
    created_at: datetime
    version: int
    updated_at: datetime | None = None
