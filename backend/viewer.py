"""Who is signed in: the viewer that a session resolves to (backend/auth/sessions.py) and
that every access policy starts from (backend/access/). A shared room below both, so the
policies need not import the auth domain that uses them."""

from __future__ import annotations

import msgspec


class Viewer(msgspec.Struct, frozen=True, kw_only=True):
    person_id: int
    given_name: str
    family_name: str
    passkey_id: int | None  # the passkey that started this session
    session_id: int | None = None  # the session (LoginSession.id) this request came with
    is_pupil: bool  # in a group as a pupil: the app opens on her own plan
    locale: str | None = None  # the language she chose (Person.locale); None: her browser's
    unread: int = 0  # items in her unread notification digests (the header shows it)

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"
