"""The open exchange format over HTTP: the document as JSON for the API, and the same as a
file to download from the mentor's compilation (staff of the pupil only; the read log
records each export)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from sqlmodel import Session

from backend.access import (
    PLAN_READERS,
    STAFF,
    STAFF_ONLY,
    Access,
    Relation,
    Staff,
    for_pupil,
    relation,
)
from backend.errors import Invalid, NotFound, refusals
from backend.exchange import service
from backend.exchange.importing import INVALID, ImportedPublic, import_document
from backend.exchange.schemas import ExchangeDocument
from backend.i18n import N_
from backend.models import Person
from backend.readlog import ReadKind

READ = refusals({404: "No such pupil, or not one of the viewer's mentor or teaching groups"})
IMPORT = refusals(
    {
        404: "No such person, or not a pupil of the viewer's groups or school",
        409: "A plan of hers for one of the document's terms exists: it was imported before",
        422: "Not an iup-exchange/1 document, signatures without a relying party, or a "
        "signature that does not verify; nothing is stored",
    }
)
# Who may import a pupil's earlier history: her mentors and teachers, or a principal of
# her school.
IMPORTERS = frozenset({*STAFF, Relation.PRINCIPAL}) & PLAN_READERS


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

    @post(
        "/api/imports",
        sync_to_thread=False,
        status_code=201,
        summary="Import another school's exchange document (`iup-exchange/1`, "
        "docs/iup-exchange-1.schema.json) as the pupil's earlier terms: archived plans with "
        "goals, self-assessments, summary, agreements and their signatures, verifiable here. "
        "The body is the document. For her mentors, teachers and the principal of her school",
        responses=IMPORT,
        dependencies=STAFF_ONLY,
    )
    def import_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Staff],
        data: JSONBody[dict[str, Any]],
        person_id: Annotated[
            int | None, Parameter(gt=0, description="Her id here (required).")
        ] = None,
    ) -> ImportedPublic:
        if person_id is None:
            raise Invalid("person_id", N_("Say whose history it is: ?person_id=."))
        found = relation(db, viewer=access.viewer, pupil_id=person_id)
        if found is None or found not in IMPORTERS:
            raise NotFound()
        try:
            document = msgspec.json.decode(msgspec.json.encode(data), type=ExchangeDocument)
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            raise Invalid("malformed_document", INVALID) from error
        return import_document(
            db,
            document=document,
            person_id=person_id,
            by_id=access.viewer.person_id,
            settings=state.settings,
        )
