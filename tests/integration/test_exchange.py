"""The open exchange format (issue 10, part 2): one pupil's whole history as
`iup-exchange/1`, its committed JSON Schema, `iup schema` and `iup export`, the JSON API
and the download from the compilation, with every outsider refused and no staff-only note
in it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
from sqlmodel import Session, select
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from backend.agreements import signing
from backend.cli import schema_text
from backend.demo import external
from backend.exchange.schemas import ExchangeDocument, json_schema
from backend.models import Note, ReadLog
from backend.settings import Settings
from tests.integration.conftest import Visitor, demo_person
from tests.integration.test_agreements import OUTSIDERS, sign, write_plan
from tests.integration.test_cli import iup

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "iup-exchange-1.schema.json"
SECRET = "Endast för personalen: samtal med kurator"


def decoded(body: bytes | str) -> ExchangeDocument:
    """Validated against the Structs the schema is generated from."""
    return msgspec.json.decode(body, type=ExchangeDocument)


def test_the_committed_schema_is_the_generated_one(settings: Settings) -> None:
    generated = schema_text(json_schema())
    assert SCHEMA_FILE.read_text() == generated, "run: .venv/bin/iup schema > " + str(SCHEMA_FILE)
    result = iup(settings, "schema")
    assert result.exit_code == 0 and result.output == generated
    schema = json.loads(result.output)
    assert schema["$id"].endswith("iup-exchange-1.schema.json") and schema["title"]
    described = schema["$defs"]["Signature"]["properties"]["public_key"]
    assert described["description"] and described["pattern"]


def test_a_5c_pupil_exports_last_terms_archived_plan(
    db: Session, settings: Settings, signed_in: Callable[[str], Visitor], tmp_path: Path
) -> None:
    hugo = demo_person(db, "hugo")
    assert hugo.id is not None
    mentor = signed_in("mentor-4a")
    answer = mentor.get(f"/api/pupils/{hugo.id}/export")
    assert answer.status_code == 200, answer.text
    document = decoded(answer.content)
    assert document.format == "iup-exchange/1"
    assert document.pupil.external_id == external("hugo")
    assert (document.pupil.given_name, document.pupil.family_name) == ("Hugo", "Lund")
    assert document.school.rp_id == settings.rp_id and document.school.origin == settings.origin
    assert len(document.terms) == 2
    last, now = document.terms
    assert last.starts_on < now.starts_on and last.state == "archived"
    assert [(g.area, [r.level for r in g.self_assessments]) for g in last.goals] == [
        ("Matematik", [4]),
        ("Engelska", [2]),
    ]
    assert "personal_identity" not in answer.text and "civic" not in answer.text

    # The same from the command line, by our id and by the SS 12000 id, to stdout or a file.
    by_id = iup(settings, "export", str(hugo.id))
    assert by_id.exit_code == 0, by_id.output
    cli_doc = decoded(by_id.output)
    assert [t.code for t in cli_doc.terms] == [t.code for t in document.terms]
    out = tmp_path / "hugo.json"
    assert iup(settings, "export", external("hugo"), "--out", str(out)).exit_code == 0
    assert decoded(out.read_bytes()).pupil.given_name == "Hugo"
    assert iup(settings, "export", "999999").exit_code != 0


def test_alvas_signed_plan_exports_verifiable_signatures_and_no_staff_only_note(
    db: Session, settings: Settings, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    assert alva.id is not None
    mentor = signed_in("mentor-4a")
    db.add(Note(pupil_id=alva.id, author_id=demo_person(db, "mentor-4a").id, text=SECRET))
    db.commit()
    first, second = write_plan(mentor, alva.id)
    pupil, anna = signed_in("alva"), signed_in("guardian-anna")
    assert sign(pupil, first["id"], every=True).status_code == 201
    assert sign(anna, first["id"]).status_code == 201
    assert sign(mentor, first["id"], every=True).status_code == 201

    answer = mentor.get(f"/api/pupils/{alva.id}/export")
    assert answer.status_code == 200, answer.text
    assert SECRET not in answer.text
    document = decoded(answer.content)
    term = document.terms[-1]
    assert term.summary is not None
    assert term.summary.measures_pupil == "Läsa 20 minuter varje dag."
    assert [a.text for a in term.agreements] == [first["text"], second["text"]]
    signed = term.agreements[0]
    assert sorted(s.signer.role for s in signed.signatures) == ["guardian", "mentor", "self"]
    assert {s.signer.name for s in signed.signatures} >= {"Anna Nilsson", "Karin Lind"}

    # Every signature verifies from the document alone, against the sender's relying party.
    for agreement in term.agreements:
        for s in agreement.signatures:
            assert s.document == agreement.canonical
            assert verify(s, rp_id=document.school.rp_id, origin=document.school.origin) is None
    facts = msgspec.json.decode(base64url_to_bytes(signed.canonical))
    changed = msgspec.json.encode({**facts, "text": "Något annat"}, order="sorted")
    forged = msgspec.structs.replace(signed.signatures[0], document=bytes_to_base64url(changed))
    failure = verify(forged, rp_id=document.school.rp_id, origin=document.school.origin)
    assert failure == "the signed document is not in the signed bundle"

    # The download from the compilation: the same document, as a file, and in the read log.
    page = mentor.get(f"/pupils/{alva.id}/compilation")
    assert f'href="/pupils/{alva.id}/export.json"' in page.text
    file = mentor.get(f"/pupils/{alva.id}/export.json")
    assert file.status_code == 200
    assert file.headers["content-disposition"] == (
        f'attachment; filename="iup-{alva.id}-alva-nilsson.json"'
    )
    assert SECRET not in file.text
    assert decoded(file.content).terms[-1].agreements[0].canonical == signed.canonical
    db.expire_all()
    kinds = set(db.exec(select(ReadLog.kind).where(ReadLog.pupil_id == alva.id)).all())
    assert "export" in kinds


def verify(s: Any, *, rp_id: str | None, origin: str | None) -> str | None:
    """What a receiving school does with a signature of the document (docs/exchange.md)."""
    fields = tuple(
        base64url_to_bytes(getattr(s, name))
        for name in (
            "document",
            "nonce",
            "bundle",
            "credential_id",
            "public_key",
            "authenticator_data",
            "client_data_json",
            "signature",
            "user_handle",
        )
    )
    facts = msgspec.json.decode(fields[0])
    ids = msgspec.json.encode([facts["agreement"], s.agreement_version])
    return signing._verify((*fields, ids), None, rp_id or "", origin or "")


def test_outsiders_cannot_export(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    alva = demo_person(db, "alva")
    for key in (*OUTSIDERS, "alva", "guardian-anna", "principal"):
        outsider = signed_in(key)
        for url in (f"/api/pupils/{alva.id}/export", f"/pupils/{alva.id}/export.json"):
            assert outsider.get(url).status_code in {403, 404}, (key, url)
    teacher = signed_in("teacher-ek")
    assert teacher.get(f"/api/pupils/{alva.id}/export").status_code == 200
