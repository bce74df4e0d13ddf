"""Trust in what another school sends (issue 23, items 1 and 2): a document lands only on
its own pupil, by her SS 12000 id where it is known here, else by her name (Arabic script
too); one of another pupil is refused with both names and stores nothing, by the API and
the command line as on the upload page (tests/integration/test_exchange_upload.py). An
imported signature says where it was made, and that it was imported, on the command line
and on every page that shows a signature; one made here says so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from sqlmodel import Session, func, select

from backend.exchange import service
from backend.models import Plan, School
from backend.settings import Settings
from tests.integration.conftest import Visitor, demo_person
from tests.integration.test_agreements import sign, write_plan
from tests.integration.test_cli import iup
from tests.integration.test_exchange_upload import hugos_file, sv, text, there  # noqa: F401

JSON = {"content-type": "application/json"}


def plans(session: Session) -> int:
    session.expire_all()
    return int(session.exec(select(func.count()).select_from(Plan)).one())


def hugos_history_there(other: Settings, other_db: Session, **pupil: str | None) -> bytes:
    """Hugo's history at the other installation, its `pupil` changed as given."""
    hugo = demo_person(other_db, "hugo")
    sent = service.export(other_db, pupil_id=int(hugo.id or 0), settings=other)
    changed = msgspec.structs.replace(sent.pupil, **pupil)  # type: ignore[arg-type]
    return msgspec.json.encode(msgspec.structs.replace(sent, pupil=changed))


def test_another_pupil_s_document_is_refused_with_both_names_and_nothing_stored(
    db: Session,
    settings: Settings,
    other: Settings,
    other_db: Session,
    signed_in: Callable[[str], Visitor],
    tmp_path: Path,
) -> None:
    """Hugo's history on Alva's record: 422 `other_pupil`, both names in the message and in
    `params`; the same by the command line with --person."""
    alva = demo_person(db, "alva")
    body = hugos_history_there(other, other_db)
    before = plans(db)
    mentor = signed_in("mentor-4a")
    refused = mentor.post(f"/api/imports?person_id={alva.id}", content=body, headers=JSON)
    assert refused.status_code == 422, refused.text
    answer = refused.json()
    assert answer["reason"] == "other_pupil"
    assert answer["params"] == {"document_pupil": "Hugo Lund", "pupil": "Alva Nilsson"}
    assert "Hugo Lund" in answer["message"] and "Alva Nilsson" in answer["message"]
    assert plans(db) == before

    path = tmp_path / "hugo.json"
    path.write_bytes(body)
    result = iup(settings, "import", str(path), "--person", str(alva.id))
    assert result.exit_code != 0 and "Hugo Lund" in result.output, result.output
    assert "Alva Nilsson" in result.output
    assert plans(db) == before
    spec = mentor.get("/schema/openapi.json").json()
    assert "other_pupil" in spec["paths"]["/api/imports"]["post"]["responses"]["422"]["description"]


@pytest.mark.parametrize(
    ("pupil", "lands"),
    [
        # Her id: she, though the file spells her name otherwise (a name changed).
        ({"given_name": "Hugo Erik", "family_name": "Lundberg"}, True),
        # No id: her name decides, whatever its case and spaces.
        ({"external_id": None, "given_name": "  hugo ", "family_name": "LUND  "}, True),
        # An id of another system (a school in another municipality): her name decides.
        ({"external_id": "4f1c-elsewhere", "given_name": "Hugo", "family_name": "Lund"}, True),
        ({"external_id": "4f1c-elsewhere", "given_name": "Hugo", "family_name": "Lind"}, False),
        ({"external_id": None, "given_name": "Hugo", "family_name": "Lundh"}, False),
    ],
    ids=["same id", "names without id", "names with an unknown id", "unknown id, other name",
         "other name"],
)  # fmt: skip
def test_her_id_where_known_here_else_her_name_decides(
    db: Session,
    other: Settings,
    other_db: Session,
    signed_in: Callable[[str], Visitor],
    pupil: dict[str, str | None],
    lands: bool,
) -> None:
    hugo = demo_person(db, "hugo")
    body = hugos_history_there(other, other_db, **pupil)
    before = plans(db)
    answer = signed_in("mentor-4a").post(
        f"/api/imports?person_id={hugo.id}", content=body, headers=JSON
    )
    if lands:
        assert answer.status_code == 201, answer.text
        assert plans(db) == before + len(answer.json()["terms"])
    else:
        assert answer.status_code == 422 and answer.json()["reason"] == "other_pupil", answer.text
        assert plans(db) == before


def test_an_id_of_another_pupil_here_is_refused_even_under_her_name(
    db: Session, other: Settings, other_db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """Two pupils may share a name; the id says which one the file is about."""
    hugo, alva = demo_person(db, "hugo"), demo_person(db, "alva")
    body = hugos_history_there(other, other_db, external_id=alva.external_id)
    before = plans(db)
    answer = signed_in("mentor-4a").post(
        f"/api/imports?person_id={hugo.id}", content=body, headers=JSON
    )
    assert answer.status_code == 422 and answer.json()["reason"] == "other_pupil", answer.text
    assert plans(db) == before


def test_names_in_arabic_script_are_compared_as_written(
    db: Session, other: Settings, other_db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """Hugo here is محمد العلي (no SS 12000 id in the file): the same name in the Arabic
    presentation forms an older system wrote, with a double space, is his; أحمد العلي is
    not, and the refusal names both as written."""
    hugo = demo_person(db, "hugo")
    hugo.given_name, hugo.family_name = "محمد", "العلي"
    db.add(hugo)
    db.commit()
    mentor = signed_in("mentor-4a")
    url = f"/api/imports?person_id={hugo.id}"
    before = plans(db)
    other_name = hugos_history_there(
        other, other_db, external_id=None, given_name="أحمد", family_name="العلي"
    )
    refused = mentor.post(url, content=other_name, headers=JSON)
    assert refused.status_code == 422, refused.text
    assert refused.json()["params"] == {"document_pupil": "أحمد العلي", "pupil": "محمد العلي"}
    assert plans(db) == before
    presentation = "\ufee3\ufea4\ufee4\ufeaa"  # محمد in presentation forms
    assert presentation != "محمد"
    same = hugos_history_there(
        other, other_db, external_id=None, given_name=presentation, family_name=" العلي "
    )
    done = mentor.post(url, content=same, headers=JSON)
    assert done.status_code == 201, done.text
    assert plans(db) == before + len(done.json()["terms"])


def test_an_imported_signature_says_where_it_was_made_and_one_made_here_says_so(
    db: Session,
    other: Settings,
    other_db: Session,
    hugos_file: bytes,  # noqa: F811
    there: Callable[[str], Visitor],  # noqa: F811
) -> None:
    """Hugo's plan, signed by him and his mentor at Norrskolan, imported here; Alva's
    agreement signed here by her. `iup verify-signatures` ends each line with where it was
    made; his record and his own data say "signed at Norrskolan (imported)", hers "made
    here", and no one here is asked to sign his imported agreements."""
    ours = str(db.exec(select(School.name).where(School.name != "")).first())
    sent = hugos_file.replace(f'"name":"{ours}"'.encode(), b'"name":"Norrskolan"')
    assert sent != hugos_file
    hugo, alva = demo_person(other_db, "hugo"), demo_person(other_db, "alva")
    mentor = there("mentor-4a")
    done = mentor.post(f"/api/imports?person_id={hugo.id}", content=sent, headers=JSON)
    assert done.status_code == 201 and done.json()["signatures"] == 3, done.text
    (first,) = write_plan(mentor, int(alva.id or 0), agreements=1)
    assert sign(there("alva"), first["id"]).status_code == 201

    result = iup(other, "verify-signatures")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    brought = [line for line in lines if "Hugo Lund" in line or "(mentor)" in line]
    assert len(lines) == 4 and len(brought) == 3, lines
    imported = "signed at Norrskolan (imported; checked with the key in its document)"
    assert all(line.startswith("OK ") and line.endswith(imported) for line in brought), lines
    (mine,) = set(lines) - set(brought)
    assert "Alva Nilsson (self)" in mine and mine.endswith(", made here"), mine

    his = other_db.exec(
        select(Plan.id).where(Plan.pupil_id == hugo.id, Plan.imported_at.is_not(None))  # type: ignore[union-attr]
    ).all()
    at_norrskolan = sv("signed at %(school)s (imported)") % {"school": "Norrskolan"}
    records = " ".join(text(mentor.get(f"/plans/{plan_id}")) for plan_id in his)
    assert records.count(at_norrskolan) == 3, records
    assert "Hugo Lund" in records and sv("made here") not in records
    assert (sv("waiting for %(name)s") % {"name": ""}).strip() not in records
    own = text(there("hugo").get("/me/data"))
    assert own.count(at_norrskolan) == 3 and sv("made here") not in own
    alvas = other_db.exec(select(Plan.id).where(Plan.pupil_id == alva.id)).all()
    assert any(sv("made here") in text(mentor.get(f"/plans/{p}")) for p in alvas)
    assert sv("made here") in text(there("alva").get("/me/data"))
