"""The receiving school's upload page (issue 10, part 2: "the receiving school's staff
upload one"): Hugo's plans, signed at one school, are uploaded by his mentor at the school
he moves to; the page says what it stored and links to his earlier terms, where they are.
Outsiders, a form without its CSRF token, a file that is not a document, a tampered
signature and a second upload are refused with a message, and store nothing."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import httpx
import msgspec
import pytest
from litestar.testing import TestClient
from sqlmodel import Session, col, func, select

from backend.app import create_app
from backend.auth.service import issue_enrolment_code
from backend.exchange import service
from backend.exchange.held import GONE, HOLD_FOR
from backend.exchange.importing import MAX_DOCUMENT
from backend.exchange.schemas import ExchangeDocument
from backend.models import Agreement, Goal, HeldUpload, Plan, School, SelfAssessment, Signature
from backend.settings import Settings
from tests.integration.conftest import THEIR_ORIGIN, THEIR_RP_ID, Visitor, demo_person
from tests.integration.test_agreements import OUTSIDERS, sign, write_plan
from tests.integration.test_cli import iup
from tests.softauthn import SoftAuthenticator
from tests.support import words

TABLES = (Plan, Goal, SelfAssessment, Agreement, Signature, School)


@pytest.fixture
def there(other: Settings, other_db: Session) -> Iterator[Callable[[str], Visitor]]:
    """A visitor signed up as the demo person `key` at the receiving school."""
    with ExitStack() as stack:

        def make(key: str) -> Visitor:
            person = demo_person(other_db, key)
            code = issue_enrolment_code(other_db, person_id=int(person.id or 0), hours=1)
            # An https origin sets secure cookies: the client must speak https to send them.
            client = TestClient(create_app(other), base_url="https://testserver.local")
            guest = Visitor(stack.enter_context(client))
            guest.authenticator = SoftAuthenticator(origin=THEIR_ORIGIN, rp_id=THEIR_RP_ID)
            enrolled = guest.enrol(code)
            assert enrolled.status_code == 201, enrolled.text
            return guest

        yield make


@pytest.fixture
def hugos_file(db: Session, settings: Settings, signed_in: Callable[[str], Visitor]) -> bytes:
    """Hugo's whole history at the sending school: last term, and this term's written plan
    with two agreements that he and his mentor signed."""
    hugo = demo_person(db, "hugo")
    mentor = signed_in("mentor-4a")
    first, second = write_plan(mentor, int(hugo.id or 0))
    pupil = signed_in("hugo")
    assert sign(pupil, first["id"], every=True).status_code == 201
    assert sign(mentor, second["id"]).status_code == 201
    return msgspec.json.encode(service.export(db, pupil_id=int(hugo.id or 0), settings=settings))


def upload(visitor: Visitor, url: str, content: bytes, **kwargs: Any) -> httpx.Response:
    """The form as a browser sends it: multipart, the token a field beside the file."""
    data = kwargs.pop("data", {"_csrf_token": visitor.token})
    files = {"document": ("hugo.json", content, "application/json")}
    return visitor.client.post(url, data=data, files=files, follow_redirects=False, **kwargs)


def sv(msgid: str) -> str:
    """The Swedish page's words; a message the catalogue lacks yet shows as written."""
    try:
        return words("sv", msgid)
    except KeyError:
        return msgid


def held_token(answer: httpx.Response) -> str:
    """The token of the file the page holds, from its confirming form."""
    found = re.search(r'name="held" value="([^"]+)"', answer.text)
    assert found, answer.text
    return found.group(1)


def confirm(visitor: Visitor, url: str, token: str) -> httpx.Response:
    """ "Yes, import": the confirming form, as a browser sends it."""
    data = {"_csrf_token": visitor.token, "held": token, "confirm": "1"}
    return visitor.client.post(url, data=data, follow_redirects=False)


def upload_and_confirm(visitor: Visitor, url: str, content: bytes) -> httpx.Response:
    asked = upload(visitor, url, content)
    assert asked.status_code == 200, asked.text
    return confirm(visitor, url, held_token(asked))


def counts(session: Session) -> list[int]:
    session.expire_all()
    return [int(session.exec(select(func.count()).select_from(t)).one()) for t in TABLES]


def text(response: httpx.Response) -> str:
    """The page's words, without tags and with spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))


def test_his_mentor_uploads_his_earlier_school_s_file_and_finds_the_terms_in_his_history(
    other: Settings, other_db: Session, hugos_file: bytes, there: Callable[[str], Visitor]
) -> None:
    hugo = demo_person(other_db, "hugo")
    url = f"/pupils/{hugo.id}/import"
    mentor = there("mentor-4a")
    before = counts(other_db)
    history = mentor.get(f"/pupils/{hugo.id}/plans")
    assert history.status_code == 200 and f'href="{url}"' in history.text
    assert f'href="{url}"' in mentor.get(f"/pupils/{hugo.id}/compilation").text

    page = mentor.get(url)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'name="_csrf_token"' in page.text
    assert 'type="file"' in page.text and "Hugo Lund" in page.text

    # First the page shows whose history the file holds, from where, and asks; nothing is
    # stored until the mentor says yes.
    sent = msgspec.json.decode(hugos_file, type=ExchangeDocument)
    asked = upload(mentor, url, hugos_file)
    assert asked.status_code == 200, asked.text
    words = text(asked)
    assert "Hugo Lund" in words and sent.school.name in words
    assert all(f"{t.code[2:]}" in words for t in sent.terms)
    assert 'name="confirm" value="1"' in asked.text and 'type="file"' not in asked.text
    assert counts(other_db) == before

    done = confirm(mentor, url, held_token(asked))
    assert done.status_code == 200, done.text
    words = text(done)
    goals = sum(len(t.goals) for t in sent.terms)
    assert f"{len(sent.terms)} terminer importerade" in words
    assert f"{goals} mål" in words and "2 överenskommelser" in words
    assert "3 underskrifter, kontrollerade här" in words
    assert f'href="/pupils/{hugo.id}/plans"' in done.text

    # What changed: his plans of the other school, archived, with goals and signatures.
    plans, goal_rows, ratings, agreements, signatures, schools = counts(other_db)
    assert plans == before[0] + len(sent.terms)
    assert goal_rows == before[1] + goals
    assert ratings == before[2] + sum(len(g.self_assessments) for t in sent.terms for g in t.goals)
    assert (agreements, signatures, schools) == (before[3] + 2, before[4] + 3, before[5] + 1)
    imported = other_db.exec(
        select(Plan).where(Plan.pupil_id == hugo.id, col(Plan.imported_at).is_not(None))
    ).all()
    assert len(imported) == len(sent.terms) and {p.state for p in imported} == {"archived"}

    listed = mentor.get(f"/pupils/{hugo.id}/plans")
    for plan in imported:
        assert f'href="/plans/{plan.id}"' in listed.text
    checked = iup(other, "verify-signatures")
    assert checked.exit_code == 0, checked.output
    assert [line[:3] for line in checked.output.splitlines()] == ["OK "] * 3

    # The same file again: the form says it was imported before; nothing doubles.
    again = upload(mentor, url, hugos_file)
    assert again.status_code == 409
    assert "har importerats tidigare" in text(again) and 'type="file"' in again.text
    assert counts(other_db) == [plans, goal_rows, ratings, agreements, signatures, schools]


def test_the_principal_of_his_school_imports_too_after_giving_a_reason(
    other_db: Session, hugos_file: bytes, there: Callable[[str], Visitor]
) -> None:
    hugo = demo_person(other_db, "hugo")
    principal = there("principal")
    url = f"/pupils/{hugo.id}/import"
    asked = principal.get(url)
    assert asked.status_code == 303 and asked.headers["location"] == f"/pupils/{hugo.id}/reason"
    reason = "Hugo har flyttat hit och hans tidigare planer ska föras över."
    assert principal.form(f"/pupils/{hugo.id}/reason", {"reason": reason}).status_code == 303
    assert "terminer importerade" in text(upload_and_confirm(principal, url, hugos_file))


def test_files_that_are_not_a_document_are_refused_on_the_form_and_store_nothing(
    other_db: Session, hugos_file: bytes, there: Callable[[str], Visitor]
) -> None:
    hugo = demo_person(other_db, "hugo")
    url = f"/pupils/{hugo.id}/import"
    teacher = there("teacher-ek")  # one of his teachers
    before = counts(other_db)
    tampered = hugos_file.replace("Överenskommelse 1".encode(), "Överenskommelse 9".encode())
    assert tampered != hugos_file
    refused = {
        b"%PDF-1.7 not json": (422, "inte en JSON-fil"),
        b'{"format": "iup-exchange/9"}': (422, "inte ett IUP-dokument"),
        b"[]": (422, "inte ett IUP-dokument"),
        b"[" * 100_000: (422, "inte ett IUP-dokument"),
        b'{"format": "iup-exchange/1"}': (422, "Dokumentet är inte giltigt"),
        tampered: (422, "En underskrift i dokumentet stämmer inte"),
        b" " * (MAX_DOCUMENT + 1): (413, "större än 5 MB"),
    }
    for content, (status, message) in refused.items():
        answer = upload(teacher, url, content)
        assert answer.status_code == status, (content[:40], answer.text)
        words = text(answer)
        assert message in words and "Något behöver rättas" in words, (content[:40], words)
        assert 'type="file"' in answer.text
        assert counts(other_db) == before

    # No file chosen: the form asks for one.
    empty = teacher.client.post(
        url,
        data={"_csrf_token": teacher.token},
        files={"document": ("", b"", "application/octet-stream")},
    )
    assert empty.status_code == 422 and "Välj filen" in text(empty)
    # Larger than the page takes in at all: the shared error page says so.
    huge = upload(teacher, url, b" " * (2 * MAX_DOCUMENT + 1))
    assert huge.status_code == 413 and "för stort" in text(huge)
    # The English page says it in English.
    teacher.client.cookies.set("lang", "en")
    english = upload(teacher, url, b"not json")
    assert "The file is not a JSON file" in text(english)
    assert counts(other_db) == before


def test_without_its_csrf_token_the_form_is_refused(
    other_db: Session, hugos_file: bytes, there: Callable[[str], Visitor]
) -> None:
    hugo = demo_person(other_db, "hugo")
    mentor = there("mentor-4a")
    before = counts(other_db)
    url = f"/pupils/{hugo.id}/import"
    refused = upload(mentor, url, hugos_file, data={})
    assert refused.status_code == 403 and "för gammalt" in text(refused)
    forged = upload(mentor, url, hugos_file, data={"_csrf_token": "forged"})
    assert forged.status_code == 403
    assert counts(other_db) == before


def test_outsiders_get_neither_the_page_nor_the_import(
    other_db: Session, hugos_file: bytes, there: Callable[[str], Visitor]
) -> None:
    """A pupil (Hugo himself too), guardians, staff of other groups and the principal of
    another school: 403/404, never his name, and nothing stored. The family sees no link."""
    hugo = demo_person(other_db, "hugo")
    url = f"/pupils/{hugo.id}/import"
    before = counts(other_db)
    for key in (*OUTSIDERS, "hugo", "guardian-anna"):
        outsider = there(key)
        page = outsider.get(url)
        assert page.status_code in {403, 404}, (key, page.status_code)
        answer = upload(outsider, url, hugos_file)
        assert answer.status_code in {403, 404}, (key, answer.status_code)
        if key != "hugo":  # his own name is in the header
            assert "Hugo" not in page.text + answer.text
    assert counts(other_db) == before
    pupil = there("hugo")
    own = pupil.get(f"/pupils/{hugo.id}/plans")
    assert own.status_code == 200 and "/import" not in own.text


def test_the_api_shares_the_page_s_checks_and_limit(
    other_db: Session, there: Callable[[str], Visitor]
) -> None:
    hugo = demo_person(other_db, "hugo")
    url = f"/api/imports?person_id={hugo.id}"
    mentor = there("mentor-4a")
    before = counts(other_db)
    other_format = mentor.post(url, json={"format": "iup-exchange/9"})
    assert other_format.status_code == 422
    assert other_format.json()["reason"] == "not_exchange_document"
    large = b'{"format": "iup-exchange/1", "pad": "' + b"x" * MAX_DOCUMENT + b'"}'
    too_large = mentor.post(url, content=large, headers={"content-type": "application/json"})
    assert too_large.status_code == 413 and too_large.json()["reason"] == "too_large"
    assert counts(other_db) == before


def test_a_file_of_another_pupil_is_refused_on_the_form_naming_both(
    other_db: Session, hugos_file: bytes, there: Callable[[str], Visitor]
) -> None:
    """Issue 23, item 1: the mentor picks Hugo's file on Alva's page. The form says whose
    file it is and whose page, stores nothing and holds nothing."""
    alva = demo_person(other_db, "alva")
    mentor = there("mentor-4a")
    before = counts(other_db)
    refused = upload(mentor, f"/pupils/{alva.id}/import", hugos_file)
    assert refused.status_code == 422, refused.text
    words = text(refused)
    assert "Hugo Lund" in words and "Alva Nilsson" in words, words
    assert "Något behöver rättas" in words and 'type="file"' in refused.text
    assert 'name="held"' not in refused.text
    assert counts(other_db) == before
    assert other_db.exec(select(func.count()).select_from(HeldUpload)).one() == 0


def test_a_held_file_is_imported_once_by_its_uploader_for_its_pupil_only(
    other_db: Session, hugos_file: bytes, there: Callable[[str], Visitor]
) -> None:
    """The confirming form names the held file by a token: another of Hugo's teachers, the
    same mentor on another pupil's page, the token after the import or after its hour are
    refused (`upload_gone`), and nothing is stored by them."""
    hugo, alva = demo_person(other_db, "hugo"), demo_person(other_db, "alva")
    url = f"/pupils/{hugo.id}/import"
    mentor, teacher = there("mentor-4a"), there("teacher-ek")
    before = counts(other_db)
    token = held_token(upload(mentor, url, hugos_file))
    for visitor, where in ((teacher, url), (mentor, f"/pupils/{alva.id}/import")):
        gone = confirm(visitor, where, token)
        assert gone.status_code == 422, gone.text
        assert sv(GONE) in text(gone)
        assert counts(other_db) == before
    assert "terminer importerade" in text(confirm(mentor, url, token))
    again = confirm(mentor, url, token)
    assert again.status_code == 422 and 'type="file"' in again.text
    # An hour later the file is gone too, and the next upload sweeps it away.
    alvas_file = hugos_file.replace(
        b'"given_name":"Hugo","family_name":"Lund"', b'"given_name":"Alva","family_name":"Nilsson"'
    ).replace(str(hugo.external_id).encode(), b"an id of another system")
    late = held_token(upload(teacher, f"/pupils/{alva.id}/import", alvas_file))
    other_db.expire_all()
    held = other_db.get(HeldUpload, late)
    assert held is not None
    held.expires_at = held.expires_at - HOLD_FOR - timedelta(seconds=1)
    other_db.add(held)
    other_db.commit()
    assert confirm(teacher, f"/pupils/{alva.id}/import", late).status_code == 422
    assert upload(teacher, f"/pupils/{alva.id}/import", alvas_file).status_code == 200
    other_db.expire_all()
    assert other_db.get(HeldUpload, late) is None
