"""After the talk, as JSON (the paths are a contract other tools rely on): the written plan,
agreements, the signing ceremony, the pupil's progress and the mentor's follow-up."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from sqlmodel import Session

from backend.access import STAFF, Access, Record, Relation, for_pupil, for_record
from backend.agreements import service, summary
from backend.agreements.schemas import (
    AgreementCreate,
    AgreementPublic,
    AgreementUpdate,
    FollowUpCreate,
    ProgressCreate,
    SignedPublic,
    SummaryPublic,
    SummaryUpdate,
)
from backend.agreements.signers import SIGNERS, signature_id
from backend.agreements.summary import summary_of
from backend.auth.ceremony import credential_dict, options
from backend.auth.schemas import CredentialJSON
from backend.errors import FormError, refusals
from backend.readlog import ReadKind
from backend.web import RowId

_NOT_FOUND = {404: "No such pupil or agreement, or not the viewer's to touch"}
READ = refusals(_NOT_FOUND)
MENTOR_WRITES = refusals(
    _NOT_FOUND
    | {
        403: "Not the pupil's mentor",
        409: "Changed since `version` (`current` holds it as it is now), or `archived`",
        422: "Not valid: the reason names the field",
    }
)
SIGNING = refusals(
    _NOT_FOUND
    | {
        400: "The assertion was refused: `challenge` (expired or used: a replay), "
        "`verification`, `malformed`, `unknown_passkey`, `sign_count`",
        403: "`not_a_party`, `other_agreement` (a challenge made for other agreements), "
        "`not_your_passkey`",
        409: "`already_signed`, `agreement_changed` since the options, or `archived`",
    }
)
FAMILY_WRITES = refusals(
    _NOT_FOUND
    | {403: "Not the pupil, or not her part", 409: "`archived`", 422: "Not a valid comment"}
)


def where_after_signing(request: Request[Any, Any, Any], access: Access, signature: int) -> str:
    """Back to the page she signed on, loaded afresh (the query differs every time)."""
    if access.is_self:
        page = request.app.route_reverse("home.home")
    elif access.relation is Relation.MENTOR:
        page = request.app.route_reverse("agreements.page", pupil_id=access.pupil_id)
    else:
        page = request.app.route_reverse("home.pupil_page", pupil_id=access.pupil_id)
    return f"{page}?signed={signature}#done"


class AgreementsApiController(Controller):
    path = "/api"
    tags = ("agreements",)

    @get(
        "/pupils/{pupil_id:int}/summary",
        sync_to_thread=False,
        summary="This term's written plan: the talk record (date, who took part), the summary "
        "of measures and next term's goals, with its `version`. The family reads it once "
        "published",
        responses=READ,
        dependencies=for_pupil(ReadKind.WRITTEN),
        name="agreements.summary",
    )
    def summary(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> SummaryPublic:
        return summary_of(db, access=access, today=state.settings.today())

    @put(
        "/pupils/{pupil_id:int}/summary",
        sync_to_thread=False,
        summary="The mentor saves the written plan based on `version` (0: the first save); a "
        "date for the talk marks it held",
        responses=MENTOR_WRITES,
        dependencies=for_pupil(None, STAFF),
        name="agreements.save_summary",
    )
    def save_summary(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: JSONBody[SummaryUpdate],
    ) -> SummaryPublic:
        try:
            return summary.save_summary(
                db,
                access=access,
                data=data,
                today=state.settings.today(),
            )
        except FormError as error:
            raise error.invalid() from error

    @post(
        "/pupils/{pupil_id:int}/summary/publish",
        sync_to_thread=False,
        status_code=200,
        summary="The mentor publishes the written plan with its agreements to the pupil and "
        "the guardians, who are told and asked to sign",
        responses=MENTOR_WRITES,
        dependencies=for_pupil(None, STAFF),
        name="agreements.publish",
    )
    def publish(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> SummaryPublic:
        try:
            return summary.publish(
                db,
                access=access,
                settings=state.settings,
            )
        except FormError as error:
            raise error.invalid() from error

    @get(
        "/pupils/{pupil_id:int}/agreements",
        sync_to_thread=False,
        summary="This term's agreements with who has signed (and whether each signature "
        "verifies) and who is still asked. The family reads them once published",
        responses=READ,
        dependencies=for_pupil(ReadKind.WRITTEN),
        name="agreements.agreements",
    )
    def agreements(
        self, *, db: NamedDependency[Session], state: State, access: NamedDependency[Access]
    ) -> list[AgreementPublic]:
        return service.agreements_for(db, access=access, settings=state.settings)

    @post(
        "/pupils/{pupil_id:int}/agreements",
        sync_to_thread=False,
        summary="The mentor writes an agreement: what, who does it (pupil, school, home), by when",
        responses=MENTOR_WRITES,
        dependencies=for_pupil(None, STAFF),
        name="agreements.create_json",
    )
    def create_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        data: JSONBody[AgreementCreate],
    ) -> AgreementPublic:
        try:
            return service.create_agreement(
                db,
                access=access,
                text=data.text,
                party=data.party,
                due_on=data.due_on,
                settings=state.settings,
            )
        except FormError as error:
            raise error.invalid() from error

    @patch(
        "/agreements/{agreement_id:int}",
        sync_to_thread=False,
        summary="The mentor changes an agreement based on `version`: its signatures are void, "
        "the signers are told and asked again",
        responses=MENTOR_WRITES,
        dependencies=for_record(Record.AGREEMENT, None, STAFF),
        name="agreements.change_json",
    )
    def change_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        agreement_id: RowId,
        data: JSONBody[AgreementUpdate],
    ) -> AgreementPublic:
        try:
            return service.update_agreement(
                db,
                access=access,
                agreement_id=agreement_id,
                version=data.version,
                text=data.text,
                party=data.party,
                due_on=data.due_on,
                settings=state.settings,
            )
        except FormError as error:
            raise error.invalid() from error

    @post(
        "/agreements/{agreement_id:int}/signature/options",
        sync_to_thread=False,
        status_code=200,
        summary="Start signing: WebAuthn request options whose challenge is SHA-256(tag ‖ "
        "nonce ‖ SHA-256 of the agreement's canonical bytes). `?all=true`: one touch signs "
        "every agreement of the plan that waits for the signer",
        responses=SIGNING,
        dependencies=for_record(Record.AGREEMENT, None, SIGNERS),
        name="agreements.signature_options",
    )
    def signature_options(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        agreement_id: RowId,
        all: FromQuery[bool] = False,  # the query's name
    ) -> dict[str, Any]:
        return options(
            service.signing_options(
                db,
                agreement_id=agreement_id,
                access=access,
                every=all,
                settings=state.settings,
            )
        )

    @post(
        "/agreements/{agreement_id:int}/signature",
        sync_to_thread=False,
        summary="Finish signing with the passkey assertion (`credential.toJSON()`): stored "
        "whole, so that `iup verify-signatures` can check it later",
        responses=SIGNING,
        dependencies=for_record(Record.AGREEMENT, None, SIGNERS),
        name="agreements.sign",
    )
    def sign(
        self,
        *,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        agreement_id: RowId,
        data: JSONBody[CredentialJSON],
    ) -> SignedPublic:
        signed = service.sign(
            db,
            agreement_id=agreement_id,
            access=access,
            credential=credential_dict(data),
            settings=state.settings,
        )
        first = signature_id(db, agreement_id=signed[0], signer_id=access.viewer.person_id)
        return SignedPublic(signed=signed, redirect=where_after_signing(request, access, first))

    @post(
        "/agreements/{agreement_id:int}/progress",
        sync_to_thread=False,
        status_code=200,
        summary="The pupil marks her own part done, with an optional comment",
        responses=FAMILY_WRITES,
        dependencies=for_record(Record.AGREEMENT, None, frozenset({Relation.SELF})),
        name="agreements.progress_json",
    )
    def progress_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        agreement_id: RowId,
        data: JSONBody[ProgressCreate],
    ) -> AgreementPublic:
        try:
            return service.mark_progress(
                db,
                access=access,
                agreement_id=agreement_id,
                comment=data.comment,
                settings=state.settings,
            )
        except FormError as error:
            raise error.invalid() from error

    @post(
        "/agreements/{agreement_id:int}/follow-up",
        sync_to_thread=False,
        status_code=200,
        summary="The mentor confirms an agreement done or not done, with a comment; when all "
        "are followed up, so is the plan",
        responses=MENTOR_WRITES,
        dependencies=for_record(Record.AGREEMENT, None, STAFF),
        name="agreements.follow_up_json",
    )
    def follow_up_json(
        self,
        *,
        db: NamedDependency[Session],
        state: State,
        access: NamedDependency[Access],
        agreement_id: RowId,
        data: JSONBody[FollowUpCreate],
    ) -> AgreementPublic:
        try:
            return service.follow_up(
                db,
                agreement_id=agreement_id,
                access=access,
                done=data.done,
                comment=data.comment,
                settings=state.settings,
            )
        except FormError as error:
            raise error.invalid() from error
