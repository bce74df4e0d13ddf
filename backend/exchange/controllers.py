"""The open exchange format over HTTP: the document as JSON for the API, and the same as a
file to download from the mentor's compilation (staff of the pupil only; the read log
records each export). The receiving school imports one by the API or by uploading the file
on the pupil's import page; both go through `importing.decode` and `import_document`.

An export or an import of a long history (up to 5 MB) is work of seconds: it runs in a
worker thread (`to_thread`), so the process's event loop goes on serving everyone else
meanwhile. The request's session goes along: only that thread uses it until it is back."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import msgspec
from anyio import to_thread
from litestar import Controller, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from sqlmodel import Session

from backend.access import STAFF, STAFF_ONLY, Access, Staff, for_pupil
from backend.errors import Conflict, Invalid, TooLarge, refusals, say
from backend.exchange import service
from backend.exchange.held import hold, take
from backend.exchange.importing import (
    IMPORTERS,
    MAX_DOCUMENT,
    ImportedPublic,
    decode,
    import_document,
    import_for,
)
from backend.exchange.schemas import ExchangeDocument
from backend.i18n import N_, _
from backend.models import Person
from backend.readlog import ReadKind
from backend.web import render

READ = refusals({404: "No such pupil, or not one of the viewer's mentor or teaching groups"})
IMPORT = refusals(
    {
        404: "No such person, or not a pupil of the viewer's groups or school",
        409: "A plan of hers for one of the document's terms exists: it was imported before",
        413: "`too_large`: a document of more than 5 MB",
        422: "`other_pupil`: the document is another pupil's (her SS 12000 id is another "
        "person's here, or, that id unknown here or missing, her name differs), and `params` "
        "names both (`document_pupil`, `pupil`); `malformed_document`, "
        "`not_exchange_document` (another format or version), `no_relying_party` "
        "(signatures without one) or `bad_signature` (one that does not verify); nothing is "
        "stored",
    }
)
# The page's form: the file with its multipart envelope and the CSRF token. A file past
# MAX_DOCUMENT within this is refused on the form; past it, by the shared error page.
UPLOAD_BODY = 2 * MAX_DOCUMENT
# What the page shows on its form; any other refusal is the shared error page's.
DOCUMENT_REFUSALS = (Invalid, Conflict, TooLarge)
CHOOSE_FILE = N_("Choose the file that the earlier school sent.")


def _filename(db: Session, pupil_id: int) -> str:
    """ASCII only, so every browser keeps it: iup-<id>-<given>-<family>.json."""
    pupil = db.get(Person, pupil_id)
    words = [pupil.given_name, pupil.family_name] if pupil else []
    plain = "-".join(
        "".join(c for c in w.encode("ascii", "ignore").decode() if c.isalnum()) for w in words
    ).lower()
    return f"iup-{pupil_id}-{plain}.json" if plain else f"iup-{pupil_id}.json"


class ExchangeController(Controller):
    include_in_schema = False

    @get(
        "/pupils/{pupil_id:int}/export.json",
        dependencies=for_pupil(ReadKind.EXPORT, STAFF),
        name="exchange.download",
    )
    async def download(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> Response[bytes]:
        def export() -> bytes:
            document = service.export(db, pupil_id=access.pupil_id, settings=state.settings)
            return msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n"

        body = await to_thread.run_sync(export)
        return Response(
            body,
            media_type="application/json",
            headers={
                "Content-Disposition": (f'attachment; filename="{_filename(db, access.pupil_id)}"'),
            },
        )

    @get(
        "/pupils/{pupil_id:int}/import",
        sync_to_thread=False,
        dependencies=for_pupil(None, IMPORTERS),
        name="exchange.upload_page",
    )
    def upload_page(
        self, *, request: HTMXRequest, db: NamedDependency[Session], access: NamedDependency[Access]
    ) -> Template:
        return _upload_page(request, db, access)

    @post(
        "/pupils/{pupil_id:int}/import",
        dependencies=for_pupil(None, IMPORTERS),
        request_max_body_size=UPLOAD_BODY,
        name="exchange.upload",
    )
    async def upload(
        self,
        *,
        request: HTMXRequest,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
    ) -> Template:
        """The same import as the API's, from the file the earlier school sent, in two
        steps: the file is checked (everything but storing it) and held, and the page shows
        whose history it holds and asks; the confirming form (`held`, `confirm=1`) stores
        it. A refused document is shown on the form. The form is read here, after the
        access check (a `data` parameter is parsed before it)."""
        form = await request.form()
        pupil_id, by_id, settings = access.pupil_id, access.viewer.person_id, state.settings
        token = form.get("held")
        if form.get("confirm") == "1" and isinstance(token, str):

            def store() -> ImportedPublic:
                raw = take(db, token=token, pupil_id=pupil_id, by_id=by_id)
                return import_document(db, document=decode(raw), person_id=pupil_id,
                                       by_id=by_id, settings=settings)  # fmt: skip

            try:
                result = await to_thread.run_sync(store)
            except DOCUMENT_REFUSALS as refusal:
                return _upload_page(
                    request, db, access, error=say(refusal), status_code=refusal.status
                )
            return _upload_page(request, db, access, result=result)
        document = form.get("document")
        if not isinstance(document, UploadFile) or not document.filename:
            return _upload_page(request, db, access, error=_(CHOOSE_FILE), status_code=422)
        raw = await document.read(MAX_DOCUMENT + 1)

        def check() -> Held:
            sent = decode(raw)
            would = import_document(db, document=sent, person_id=pupil_id, by_id=by_id,
                                    settings=settings, dry_run=True)  # fmt: skip
            token = hold(db, pupil_id=pupil_id, by_id=by_id, raw=raw)
            return Held(token=token, document=sent, would=would)

        try:
            held = await to_thread.run_sync(check)
        except DOCUMENT_REFUSALS as refusal:
            return _upload_page(request, db, access, error=say(refusal), status_code=refusal.status)
        return _upload_page(request, db, access, held=held)


class Held(msgspec.Struct, kw_only=True):
    """A document checked and held: what the page shows before it is stored."""

    token: str
    document: ExchangeDocument
    would: ImportedPublic  # what the import would store


class ExchangeApiController(Controller):
    path = "/api"
    tags = ("exchange",)

    @get(
        "/pupils/{pupil_id:int}/export",
        summary="One pupil's whole history in the open exchange format `iup-exchange/1` "
        "(docs/exchange.md), for the school she moves to: every term's goals, "
        "self-assessments with replies, preparations, summary, agreements with their "
        "follow-up and signatures. Never staff-only notes. For her mentors and teachers",
        responses=READ,
        dependencies=for_pupil(ReadKind.EXPORT, STAFF),
        name="exchange.export_json",
    )
    async def export_json(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> ExchangeDocument:
        return await to_thread.run_sync(
            partial(service.export, db, pupil_id=access.pupil_id, settings=state.settings)
        )

    @post(
        "/imports",
        status_code=201,
        summary="Import another school's exchange document (`iup-exchange/1`, "
        "docs/iup-exchange-1.schema.json) as the pupil's earlier terms: archived plans with "
        "goals, self-assessments, summary, agreements and their signatures, verifiable here. "
        "The body is the document. For her mentors, teachers and the principal of her school",
        responses=IMPORT,
        dependencies=STAFF_ONLY,
        request_max_body_size=MAX_DOCUMENT,
        name="exchange.import_json",
    )
    async def import_json(
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
        return await to_thread.run_sync(
            partial(
                import_for,
                db,
                staff=access,
                person_id=person_id,
                raw=msgspec.json.encode(data),
                settings=state.settings,
            )
        )


def _upload_page(
    request: HTMXRequest,
    db: Session,
    access: Access,
    *,
    result: ImportedPublic | None = None,
    held: Held | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    pupil = db.get(Person, access.pupil_id)
    return render(
        request,
        "exchange/upload.html",
        partial="exchange/_upload.html",
        status_code=status_code,
        viewer=access.viewer,
        nav="home",
        pupil=pupil.name if pupil else "",
        pupil_id=access.pupil_id,
        result=result,
        held=held,
        error=error,
    )
