"""Preparing for the talk: the pupil's and each guardian's answers, page and JSON, versions
(409 with the stored answers, and the page's choice between the two texts), a guardian's
answers hidden from the other guardian until shared, staff reading everyone's, and the
outsider sweep."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from backend.db import make_engine
from backend.errors import Conflict
from backend.models import Answer, Audience, Guardianship, Preparation
from backend.preparation import service
from backend.settings import Settings
from backend.terms.questions import questions_for
from tests.integration.conftest import Visitor, demo_person

PUPIL_API = "/api/plan/preparation"


def put(visitor: Visitor, url: str, body: dict[str, Any]) -> httpx.Response:
    return visitor.client.put(url, json=body, headers={"x-csrftoken": visitor.token})


def guardian_api(pupil_id: int | None) -> str:
    return f"/api/pupils/{pupil_id}/guardian-preparation"


def rows(db: Session) -> list[tuple[int, int, bool, int]]:
    db.expire_all()
    return [
        (
            p.author_id,
            p.version,
            p.shared,
            len(list(db.exec(select(Answer).where(Answer.preparation_id == p.id)))),
        )
        for p in db.exec(select(Preparation).order_by(Preparation.id))
    ]


def test_the_pupil_answers_leaves_and_comes_back(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    elias = signed_in("elias")
    empty = elias.get(PUPIL_API)
    assert empty.status_code == 200
    body = empty.json()
    assert body["version"] == 0 and body["audience"] == "pupil" and body["ready_at"] is None
    questions = [a["question_id"] for a in body["answers"]]
    assert len(questions) == 5 and all(a["text"] == "" for a in body["answers"])
    assert body["answers"][0]["question"] == "Vad har gått bra den här terminen?"  # åk 4

    saved = put(
        elias,
        PUPIL_API,
        {"version": 0, "answers": [{"question_id": questions[0], "text": "  Matten!  "}]},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 1 and saved.json()["answers"][0]["text"] == "Matten!"
    again = put(
        elias,
        PUPIL_API,
        {
            "version": 1,
            "answers": [{"question_id": questions[1], "text": "Engelska glosor"}],
            "ready": True,
        },
    )
    assert again.status_code == 200
    stored = elias.get(PUPIL_API).json()
    assert stored["version"] == 2 and stored["ready_at"] is not None
    assert [a["text"] for a in stored["answers"][:2]] == ["Matten!", "Engelska glosor"]
    page = elias.get("/preparation")
    assert page.status_code == 200
    assert "Matten!" in page.text and "Engelska glosor" in page.text
    assert "2 av 5 frågor besvarade" in page.text
    assert 'data-api="/api/plan/preparation"' in page.text
    assert rows(db)[-1][1:] == (2, False, 2)


def test_the_plan_page_shows_the_progress_and_links_to_the_preparation(
    signed_in: Callable[[str], Visitor],
) -> None:
    elias = signed_in("elias")
    home = elias.get("/")
    assert 'href="/preparation"' in home.text
    assert "Inför samtalet</strong>: 0 av 5 frågor</span>" in home.text
    q = [a["question_id"] for a in elias.get(PUPIL_API).json()["answers"]]
    answers = [{"question_id": q[0], "text": "Ja"}, {"question_id": q[1], "text": " "}]
    put(elias, PUPIL_API, {"version": 0, "answers": answers, "ready": True})
    assert "1 av 5 frågor · Klar</span>" in elias.get("/").text


def test_the_form_saves_without_javascript_and_marks_ready(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    elias = signed_in("elias")
    questions = [a["question_id"] for a in elias.get(PUPIL_API).json()["answers"]]
    saved = elias.form(
        "/preparation", {"version": "0", f"q{questions[0]}": "Rasterna", "ready": "1"}
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/preparation?saved=1"
    stored = elias.get(PUPIL_API).json()
    assert stored["answers"][0]["text"] == "Rasterna" and stored["ready_at"]
    page = elias.get("/preparation?saved=1").text
    assert "data-prep-saved" in page and "Du kan fortfarande ändra dina svar" in page


def test_a_stale_save_is_refused_with_the_stored_answers_and_the_page_offers_both(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    elias = signed_in("elias")
    q = [a["question_id"] for a in elias.get(PUPIL_API).json()["answers"]]
    put(elias, PUPIL_API, {"version": 0, "answers": [{"question_id": q[0], "text": "Först"}]})
    stale = put(elias, PUPIL_API, {"version": 0, "answers": [{"question_id": q[0], "text": "Sen"}]})
    assert stale.status_code == 409
    assert stale.json()["reason"] == "stale_version"
    current = stale.json()["current"]
    assert current["version"] == 1 and current["answers"][0]["text"] == "Först"
    assert elias.get(PUPIL_API).json()["answers"][0]["text"] == "Först"

    page = elias.form("/preparation", {"version": "0", f"q{q[0]}": "Min nya text"})
    assert page.status_code == 409
    assert "Min nya text" in page.text and "Först" in page.text
    assert f'name="choose-{q[0]}" value="saved"' in page.text
    assert 'name="version" value="1"' in page.text
    # She keeps the saved text: her text is not sent.
    kept = elias.form(
        "/preparation", {"version": "1", f"q{q[0]}": "Min nya text", f"choose-{q[0]}": "saved"}
    )
    assert kept.status_code == 303
    assert elias.get(PUPIL_API).json()["answers"][0]["text"] == "Först"
    mine = elias.form(
        "/preparation", {"version": "2", f"q{q[0]}": "Min nya text", f"choose-{q[0]}": "mine"}
    )
    assert mine.status_code == 303
    assert elias.get(PUPIL_API).json()["answers"][0]["text"] == "Min nya text"


@pytest.mark.parametrize(
    ("text", "status"),
    [("x" * 2001, 422), ("Hej\x07då", 422)],
)
def test_invalid_answers_are_refused(
    db: Session, signed_in: Callable[[str], Visitor], text: str, status: int
) -> None:
    elias = signed_in("elias")
    q = elias.get(PUPIL_API).json()["answers"][0]["question_id"]
    refused = put(elias, PUPIL_API, {"version": 0, "answers": [{"question_id": q, "text": text}]})
    assert refused.status_code == status
    page = elias.form("/preparation", {"version": "0", f"q{q}": text})
    assert page.status_code == 422 and "error-summary" in page.text
    assert rows(db) == []


def test_a_question_of_another_audience_is_refused(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    elias = signed_in("elias")
    lina = signed_in("guardian-lina")
    pupil = demo_person(db, "elias")
    guardian_q = lina.get(guardian_api(pupil.id)).json()["answers"][0]["question_id"]
    refused = put(
        elias, PUPIL_API, {"version": 0, "answers": [{"question_id": guardian_q, "text": "Hm"}]}
    )
    assert refused.status_code == 422 and refused.json()["reason"] == "invalid_answer"
    assert rows(db) == []


def test_a_guardians_answers_reach_the_other_guardian_only_when_shared(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    maja = demo_person(db, "maja")
    eva = signed_in("guardian-eva")
    body = eva.get(guardian_api(maja.id)).json()
    assert body["audience"] == "guardian" and body["version"] == 0
    q = body["answers"][0]["question_id"]
    put(
        eva,
        guardian_api(maja.id),
        {"version": 0, "answers": [{"question_id": q, "text": "Hon trivs"}]},
    )
    # Add a second guardian with access to Maja: Per.
    per = demo_person(db, "guardian-per")
    assert per.id is not None and maja.id is not None
    db.add(Guardianship(guardian_id=per.id, pupil_id=maja.id))
    db.commit()
    other = signed_in("guardian-per")
    page = other.get(f"/pupils/{maja.id}/preparation")
    assert page.status_code == 200 and "Hon trivs" not in page.text
    assert other.get(guardian_api(maja.id)).json()["answers"][0]["text"] == ""
    eva_page = eva.get(f"/pupils/{maja.id}/preparation").text
    assert "Dela mina svar med" in eva_page and "Per " in eva_page

    put(eva, guardian_api(maja.id), {"version": 1, "shared": True})
    shown = other.get(f"/pupils/{maja.id}/preparation").text
    assert "Hon trivs" in shown and "Eva" in shown
    staff = signed_in("mentor-8b").get(f"/api/pupils/{maja.id}/preparations")
    assert staff.status_code == 200
    assert [(p["audience"], p["shared"]) for p in staff.json()] == [("guardian", True)]


def test_staff_read_everyone_s_preparation_shared_or_not(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    elias = demo_person(db, "elias")
    pupil = signed_in("elias")
    q = pupil.get(PUPIL_API).json()["answers"][0]["question_id"]
    put(pupil, PUPIL_API, {"version": 0, "answers": [{"question_id": q, "text": "Läsning"}]})
    lina = signed_in("guardian-lina")
    gq = lina.get(guardian_api(elias.id)).json()["answers"][0]["question_id"]
    put(
        lina,
        guardian_api(elias.id),
        {"version": 0, "answers": [{"question_id": gq, "text": "Trött"}]},
    )
    for key in ("mentor-4a", "teacher-ek"):
        found = signed_in(key).get(f"/api/pupils/{elias.id}/preparations")
        assert found.status_code == 200
        listed = found.json()
        assert [p["audience"] for p in listed] == ["pupil", "guardian"]
        assert listed[0]["answers"][0]["text"] == "Läsning"
        assert listed[1]["answers"][0]["text"] == "Trött" and listed[1]["shared"] is False


def test_the_guardian_page_works_without_javascript(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    elias = demo_person(db, "elias")
    lina = signed_in("guardian-lina")
    q = lina.get(guardian_api(elias.id)).json()["answers"][0]["question_id"]
    saved = lina.form(
        f"/pupils/{elias.id}/preparation",
        {"version": "0", f"q{q}": "Han läser mycket", "shared": "1", "ready": "1"},
    )
    assert saved.status_code == 303
    body = lina.get(guardian_api(elias.id)).json()
    assert body["shared"] is True and body["ready_at"] and body["answers"][0]["text"]
    plan = lina.get(f"/pupils/{elias.id}").text
    assert f'href="/pupils/{elias.id}/preparation"' in plan


OUTSIDERS = [
    ("guardian-lina", "alva"),  # a guardian of another child
    ("guardian-mikael", "maja"),  # a restricted guardian
    ("mentor-6d", "elias"),  # staff of another group
    ("teacher-6d", "elias"),
    ("mentor-8b", "elias"),
    ("principal-2", "elias"),
    ("principal", "elias"),  # her own school: not for the preparation
    ("maja", "elias"),  # another pupil
]


@pytest.mark.parametrize(("key", "pupil_key"), OUTSIDERS)
def test_outsiders_get_nothing_and_change_nothing(
    db: Session, signed_in: Callable[[str], Visitor], key: str, pupil_key: str
) -> None:
    pupil = demo_person(db, pupil_key)
    outsider = signed_in(key)
    for url in (
        f"/pupils/{pupil.id}/preparation",
        guardian_api(pupil.id),
        f"/api/pupils/{pupil.id}/preparations",
    ):
        assert outsider.get(url).status_code in {403, 404}, url
    assert put(outsider, guardian_api(pupil.id), {"version": 0}).status_code in {403, 404}
    assert outsider.form(f"/pupils/{pupil.id}/preparation", {"version": "0"}).status_code in {
        403,
        404,
    }
    assert rows(db) == []


@pytest.mark.parametrize("key", ["guardian-lina", "mentor-4a", "teacher-ek"])
def test_only_the_pupil_has_her_own_preparation(
    db: Session, signed_in: Callable[[str], Visitor], key: str
) -> None:
    adult = signed_in(key)
    assert adult.get(PUPIL_API).status_code == 404
    assert adult.get("/preparation").status_code == 404
    assert put(adult, PUPIL_API, {"version": 0}).status_code == 404
    assert rows(db) == []


@pytest.mark.parametrize("key", ["mentor-4a", "teacher-ek", "elias"])
def test_the_guardian_pages_are_for_guardians(
    db: Session, signed_in: Callable[[str], Visitor], key: str
) -> None:
    elias = demo_person(db, "elias")
    visitor = signed_in(key)
    assert visitor.get(f"/pupils/{elias.id}/preparation").status_code == 404
    assert put(visitor, guardian_api(elias.id), {"version": 0}).status_code == 404
    assert rows(db) == []


def test_guardians_and_pupils_cannot_read_everyone_s(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    elias = demo_person(db, "elias")
    for key in ("elias", "guardian-lina"):
        assert signed_in(key).get(f"/api/pupils/{elias.id}/preparations").status_code == 404


def test_a_stale_form_with_the_saved_texts_is_saved_without_a_choice(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """A send that reached the server though its answer was lost is sent again: same
    texts, nothing to choose between, so it is saved (here: marking ready)."""
    elias = signed_in("elias")
    q = elias.get(PUPIL_API).json()["answers"][0]["question_id"]
    put(elias, PUPIL_API, {"version": 0, "answers": [{"question_id": q, "text": "Samma"}]})
    again = elias.form("/preparation", {"version": "0", f"q{q}": "Samma ", "ready": "1"})
    assert again.status_code == 303
    stored = elias.get(PUPIL_API).json()
    assert stored["version"] == 2 and stored["ready_at"] and stored["answers"][0]["text"] == "Samma"


def test_a_stale_json_save_with_the_saved_texts_is_saved_too(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """The device's drafts sync by JSON: a PUT whose answer was lost (the connection went
    meanwhile) is sent again with the old version. Same texts: stored, not a 409; another
    text on that version is still a 409 with the stored one."""
    elias = signed_in("elias")
    q = elias.get(PUPIL_API).json()["answers"][0]["question_id"]
    body = {"version": 0, "answers": [{"question_id": q, "text": "Samma"}]}
    assert put(elias, PUPIL_API, body).status_code == 200
    again = put(elias, PUPIL_API, {**body, "ready": True})
    assert again.status_code == 200, again.text
    assert again.json()["version"] == 2 and again.json()["ready_at"]
    other = put(elias, PUPIL_API, {"version": 0, "answers": [{"question_id": q, "text": "Ny"}]})
    assert other.status_code == 409
    assert elias.get(PUPIL_API).json()["answers"][0]["text"] == "Samma"


def test_saves_at_the_same_moment_from_one_version_store_exactly_one(settings: Settings) -> None:
    """Eight saves based on the same version at once (the first save, then an update):
    one is stored, the others are refused as stale; no answer is overwritten unseen. The
    database decides (a unique key, a conditional update), on SQLite and PostgreSQL."""
    engine = make_engine(settings.database_url)
    db = Session(engine, expire_on_commit=False)
    elias = demo_person(db, "elias")
    assert elias.id is not None
    pupil_id = elias.id
    talk = service.talk_of(db, pupil_id=pupil_id, today=date.today())  # noqa: DTZ011
    assert talk is not None
    question = questions_for(db, term_id=talk.term_id, stage=talk.stage, audience=Audience.PUPIL)
    barrier = threading.Barrier(8)

    def save(version: int, n: int) -> str:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                service.save_preparation(
                    session,
                    pupil_id=pupil_id,
                    author_id=pupil_id,
                    audience=Audience.PUPIL,
                    version=version,
                    answers={question[0].id: f"svar {n}"},
                    ready=None,
                    shared=None,
                    today=date.today(),  # noqa: DTZ011
                )
            except Conflict:
                return "stale"
            return "saved"

    try:
        for version in (0, 1):
            with ThreadPoolExecutor(8) as pool:
                outcomes = list(pool.map(lambda n, v=version: save(v, n), range(8)))
            assert sorted(outcomes) == ["saved"] + ["stale"] * 7, outcomes
        assert [(v, n) for _a, v, _s, n in rows(db)] == [(2, 1)]
    finally:
        db.close()
        engine.dispose()


def test_layla_answers_in_arabic(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    """Arabic is not yet a language of the pages (test_errors_and_languages); her answers
    in Arabic are stored and shown as she wrote them."""
    omar = demo_person(db, "omar")
    layla = signed_in("guardian-layla")
    assert layla.get(f"/pupils/{omar.id}/preparation").status_code == 200
    q = layla.get(guardian_api(omar.id)).json()["answers"][0]["question_id"]
    saved = layla.form(f"/pupils/{omar.id}/preparation", {"version": "0", f"q{q}": "يحب المدرسة"})
    assert saved.status_code == 303
    assert layla.get(guardian_api(omar.id)).json()["answers"][0]["text"] == "يحب المدرسة"
    assert "يحب المدرسة" in layla.get(f"/pupils/{omar.id}/preparation").text


def test_the_guardians_card_says_ready_when_she_is(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """Issue 24, item 5: the "Before the talk" card on the guardian's plan page says "Klar"
    once she has said she is ready, and only for her (the other guardian's card does not)."""
    alva = demo_person(db, "alva")
    anna, per = signed_in("guardian-anna"), signed_in("guardian-per")

    def card(visitor: Visitor) -> str:
        page = visitor.get(f"/pupils/{alva.id}").text
        start = page.index('class="prep-card"')
        return page[start : page.index("</p>", start)]

    assert "Klar" not in card(anna) and "svara på några frågor" in card(anna)
    done = put(anna, guardian_api(alva.id), {"version": 0, "answers": [], "ready": True})
    assert done.status_code == 200, done.text
    assert "Klar" in card(anna) and "svara på några frågor" not in card(anna)
    assert "Klar" not in card(per)
