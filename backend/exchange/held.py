"""An uploaded document held until its uploader has seen whose history it holds (issue 23,
item 1): the upload page shows the document's pupil, the sending school and its terms,
and asks before storing. The file is kept here meanwhile, so the confirming form sends a
random token, never the file again. Held for the one who uploaded it and for that pupil,
an hour at most; the import takes it away, and expired ones are swept at the next upload
(several processes: the database holds it, not one process)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import Session, col

from backend.errors import Invalid
from backend.i18n import N_
from backend.models import HeldUpload, utcnow

HOLD_FOR = timedelta(hours=1)
GONE = N_(
    "The file is no longer held here: it was imported, or an hour has passed. Choose it again."
)


def hold(session: Session, *, pupil_id: int, by_id: int, raw: bytes) -> str:
    """Keeps `raw` for its uploader and pupil; the token the confirming form sends."""
    now = utcnow()
    session.execute(delete(HeldUpload).where(col(HeldUpload.expires_at) < now))  # indexed
    token = secrets.token_urlsafe(32)
    session.add(
        HeldUpload(
            token=token, pupil_id=pupil_id, by_id=by_id, document=raw, expires_at=now + HOLD_FOR
        )
    )
    session.commit()
    return token


def take(session: Session, *, token: str, pupil_id: int, by_id: int) -> bytes:
    """The held document, taken away with the import that follows (its commit), or 422
    `upload_gone`: none held under the token for this uploader and pupil, or expired."""
    found = session.get(HeldUpload, token) if 0 < len(token) <= 64 else None
    if (
        found is None
        or (found.pupil_id, found.by_id) != (pupil_id, by_id)
        or found.expires_at < utcnow()
    ):
        raise Invalid("upload_gone", GONE)
    session.delete(found)
    return found.document
