"""`iup-exchange/1`: one pupil's whole history as documented, versioned JSON (docs/exchange.md).
The JSON Schema is generated from these Structs (`iup schema`) and committed as
docs/iup-exchange-1.schema.json; a test fails when the two differ.

Never in it: running notes that are staff-only, the mentor's talk draft, the read log,
audit entries, passkeys (other than the public key copied into each signature), sign-in
data, or any personal identity number (none is stored). Staff appear only by name, as the
author of a reply or an event, or as a signer. Our own row ids do not appear, except inside
the signed bytes (`canonical`, `document`), which must stay byte for byte as they were
signed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

FORMAT: Literal["iup-exchange/1"] = "iup-exchange/1"
SCHEMA_ID = "https://iup.invalid/schemas/iup-exchange-1.schema.json"
SCHEMA_TITLE = "IUP exchange document, version 1"

B64 = Annotated[
    str,
    Meta(
        pattern=r"^[A-Za-z0-9_-]*$",
        description="Bytes as base64url without padding (RFC 4648 §5).",
    ),
]
Text = Annotated[str, Meta(description="Text as written, in the school's language.")]
Name = Annotated[str, Meta(description="A person's full name, as the school knew it.")]
When = Annotated[datetime, Meta(description="A moment, ISO 8601 with its UTC offset.")]
Day = Annotated[date, Meta(description="A calendar date, ISO 8601.")]
PlanStateName = Literal["draft", "preparing", "held", "signed", "followed_up", "archived"]
PartyName = Literal["pupil", "school", "home"]
AgreementStateName = Literal["open", "signed", "done", "not_done"]
Role = Literal["self", "guardian", "mentor"]


class School(msgspec.Struct, kw_only=True):
    """A school: its name, its school unit code (skolenhetskod), and the WebAuthn relying
    party its signatures were made for."""

    name: Annotated[str, Meta(description="The school's name.")]
    unit_code: Annotated[
        str | None, Meta(description="Skolverket's school unit code (skolenhetskod), if known.")
    ]
    rp_id: Annotated[
        str | None,
        Meta(
            description="The WebAuthn relying party id its passkeys belong to (a host name). "
            "A verifier checks each signature's authenticator data against it."
        ),
    ] = None
    origin: Annotated[
        str | None,
        Meta(
            description="The web origin its signatures were made on. A verifier checks each "
            "signature's client data against it."
        ),
    ] = None


class Pupil(msgspec.Struct, kw_only=True):
    """Who the history is about. No personal identity number, address or contact detail."""

    external_id: Annotated[
        str | None,
        Meta(
            description="The pupil's SS 12000 Person.id at the sending school, if she was "
            "imported from SS 12000; the receiving school matches on it."
        ),
    ]
    given_name: Annotated[str, Meta(description="Given name.")]
    family_name: Annotated[str, Meta(description="Family name.")]


class Event(msgspec.Struct, kw_only=True):
    """A move of the term's plan to another state."""

    state: Annotated[PlanStateName, Meta(description="The state the plan moved to.")]
    by: Annotated[str, Meta(description="Who moved it, by name; empty: the system (a date).")]
    at: When


class Reply(msgspec.Struct, kw_only=True):
    """A teacher's short answer to a self-assessment."""

    author: Name
    text: Text
    created_at: When


class SelfAssessment(msgspec.Struct, kw_only=True):
    """The pupil's own rating of a goal; every one is kept."""

    level: Annotated[
        int,
        Meta(
            ge=1,
            le=4,
            description="1 not yet, 2 on the way, 3 almost there, 4 reached (shown as words).",
        ),
    ]
    comment: Annotated[str, Meta(description="The pupil's comment, in her words.")]
    created_at: When
    replies: Annotated[list[Reply], Meta(description="Teachers' replies, oldest first.")]


class Goal(msgspec.Struct, kw_only=True):
    """A goal of the term, with every self-assessment of it."""

    area: Annotated[str, Meta(description="A subject, or a social area.")]
    text: Text
    how: Annotated[str, Meta(description="How the pupil will get there.")]
    retired: Annotated[bool, Meta(description="Retired during the term (its history kept).")]
    self_assessments: Annotated[list[SelfAssessment], Meta(description="Oldest first.")]


class Answer(msgspec.Struct, kw_only=True):
    """One answered preparation question."""

    question: Annotated[
        str, Meta(description="The question as it was asked (a default one in Swedish).")
    ]
    text: Annotated[str, Meta(description="The answer.")]


class Preparation(msgspec.Struct, kw_only=True):
    """One person's answers before the talk: the pupil's, or one guardian's. A guardian's
    answers are included whether or not she shared them with the other guardian: they
    are the family's own data, and staff at the sending school read them too."""

    audience: Annotated[
        Literal["pupil", "guardian"], Meta(description="Who answered: the pupil or a guardian.")
    ]
    author: Name
    answers: Annotated[list[Answer], Meta(description="Only the questions answered.")]


class Summary(msgspec.Struct, kw_only=True):
    """The written plan after the talk: the talk record and the summary of measures."""

    held_on: Annotated[Day | None, Meta(description="The day of the talk.")]
    participants: Annotated[str, Meta(description="Who took part, as written.")]
    measures_school: Annotated[str, Meta(description="What the school will do.")]
    measures_pupil: Annotated[str, Meta(description="What the pupil will do.")]
    measures_home: Annotated[str, Meta(description="What the home will do.")]
    next_goals: Annotated[str, Meta(description="Goals for the next term, as written.")]
    published_at: Annotated[
        When | None, Meta(description="When the family could read it; null: never published.")
    ]


class Signer(msgspec.Struct, kw_only=True):
    name: Name
    role: Annotated[Role, Meta(description="self: the pupil; guardian; mentor.")]


class Signature(msgspec.Struct, kw_only=True):
    """A WebAuthn assertion over an agreement's exact text, whole, with a copy of the
    public key: anyone can verify it (docs/exchange.md, "Verifying a signature")."""

    signer: Signer
    signed_at: When
    voided_at: Annotated[
        When | None, Meta(description="The agreement changed after it was signed; null: in force.")
    ]
    agreement_version: Annotated[int, Meta(description="The version it was made over.")]
    document: Annotated[
        B64, Meta(description="The canonical bytes of the agreement it was made over.")
    ]
    nonce: Annotated[B64, Meta(description="32 random bytes of the ceremony.")]
    bundle: Annotated[
        B64,
        Meta(
            description="SHA-256 of each document signed with the same touch, concatenated; "
            "the challenge is SHA-256(tag ‖ nonce ‖ bundle)."
        ),
    ]
    credential_id: Annotated[B64, Meta(description="The passkey's credential id.")]
    public_key: Annotated[B64, Meta(description="The passkey's COSE public key.")]
    authenticator_data: Annotated[B64, Meta(description="WebAuthn authenticatorData.")]
    client_data_json: Annotated[B64, Meta(description="WebAuthn clientDataJSON.")]
    signature: Annotated[B64, Meta(description="The assertion signature.")]
    user_handle: Annotated[B64, Meta(description="The WebAuthn user handle (random).")]


class Agreement(msgspec.Struct, kw_only=True):
    """Who does what by when, made at the talk, with its signatures and follow-up."""

    text: Text
    party: Annotated[PartyName, Meta(description="Who carries it out.")]
    due_on: Day
    version: Annotated[int, Meta(ge=1, description="Raised by each change of the text.")]
    state: AgreementStateName
    canonical: Annotated[
        B64,
        Meta(
            description="The agreement's canonical bytes now: what a signature in force "
            "must have signed (its `document`)."
        ),
    ]
    progress_at: Annotated[When | None, Meta(description="The pupil marked her part done.")]
    progress_comment: Annotated[str, Meta(description="The pupil's comment on it.")]
    followed_up_at: Annotated[When | None, Meta(description="The mentor's follow-up.")]
    follow_up_comment: Annotated[str, Meta(description="The mentor's comment on it.")]
    signatures: Annotated[list[Signature], Meta(description="Oldest first, void ones too.")]


class Term(msgspec.Struct, kw_only=True):
    """One term's plan, whole."""

    code: Annotated[str, Meta(description="The term: HT (autumn) or VT (spring) and a year.")]
    starts_on: Day
    ends_on: Day
    school: Annotated[School, Meta(description="The school whose term it was.")]
    state: Annotated[PlanStateName, Meta(description="The plan's state.")]
    events: Annotated[list[Event], Meta(description="The plan's story, oldest first.")]
    goals: Annotated[list[Goal], Meta(description="In force first, then retired ones.")]
    preparations: list[Preparation]
    summary: Annotated[Summary | None, Meta(description="null: none was written.")]
    agreements: list[Agreement]


class ExchangeDocument(msgspec.Struct, kw_only=True):
    """One pupil's whole individual development plan (IUP) history, for the school she
    moves to (skollagen 3 kap. 12 j §)."""

    format: Annotated[
        Literal["iup-exchange/1"],
        Meta(description="The format and its major version; a reader refuses others."),
    ]
    exported_at: When
    school: Annotated[School, Meta(description="The sending school.")]
    pupil: Pupil
    terms: Annotated[list[Term], Meta(description="Every term's plan, oldest first.")]


def json_schema() -> dict[str, object]:
    """The published JSON Schema (draft 2020-12) of the document."""
    schema = msgspec.json.schema(ExchangeDocument)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": SCHEMA_TITLE,
        **schema,
    }
