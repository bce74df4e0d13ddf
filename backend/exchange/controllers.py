"""The open exchange format over HTTP: the document as JSON for the API, and the same as a
file to download from the mentor's compilation (staff of the pupil only; the read log
records each export)."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlmodel import Session

from backend.access import STAFF, Access, for_pupil
from backend.errors import refusals
from backend.exchange import service
from backend.exchange.schemas import ExchangeDocument
from backend.models import Person
from backend.readlog import ReadKind

READ = refusals({404: "No such pupil, or not one of the viewer's mentor or teaching groups"})


def _filename(db: Session, pupil_id: int) -> str:
    """ASCII only, so every browser keeps it: iup-<id>-<given>-<family>.json."""
    pupil = db.get(Person, pupil_id)
    words = [pupil.given_name, pupil.family_name] if pupil else []
    plain = "-".join(
        "".join(c for c in w.encode("ascii", "ignore").decode() if c.isalnum()) for w in words
    ).lower()
    return f"iup-{pupil_id}-{plain}.json" if plain else f"iup-{pupil_id}.json"


class ExchangeController(Controller):
    @get(
        "/api/pupils/{pupil_id:int}/export",
        sync_to_thread=False,
        summary="One pupil's whole history in the open exchange format `iup-exchange/1` "
        "(docs/exchange.md), for the school she moves to: every term's goals, "
        "self-assessments with replies, preparations, summary, agreements with their "
        "follow-up and signatures. Never staff-only notes. For her mentors and teachers",
        responses=READ,
        dependencies=for_pupil(ReadKind.EXPORT, STAFF),
    )
    def export_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> ExchangeDocument:
        return service.export(db, pupil_id=access.pupil_id, settings=state.settings)

    @get(
        "/pupils/{pupil_id:int}/export.json",
        include_in_schema=False,
        sync_to_thread=False,
        dependencies=for_pupil(ReadKind.EXPORT, STAFF),
    )
    def download(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> Response[bytes]:
        document = service.export(db, pupil_id=access.pupil_id, settings=state.settings)
        body = msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n"
        return Response(
            body,
            media_type="application/json",
            headers={
                "Content-Disposition": (f'attachment; filename="{_filename(db, access.pupil_id)}"'),
            },
        )
