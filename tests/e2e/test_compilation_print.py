"""The compilation on paper (issue 22, item 8): the mentor's page before the talk prints on
at most two A4 pages for a pupil with three goals, each rated five times with comments
(and a reply from the mentor), with her preparation and her guardian's, a booked time,
notes and the talk draft; the charts are sized for paper, and the page's chrome (skip
link, header, menu, sign-out, forms, footer) is not printed. axe finds nothing on the
page at 1,280 px.

Signe Öberg (8B) and her guardian Tove are this file's own, added to the demo's database
(so no other file's pupil gains ratings, a passkey or a booking); 8B stays a group of
fewer than five. Her mentor, Johan Berg, seeds the goals through the JSON API, Signe
rates them and Tove books a time there too."""

from __future__ import annotations

import contextlib
import io
import re
import sqlite3
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import DESKTOP

pytestmark = pytest.mark.e2e

PUPIL = "Signe Öberg"
GUARDIAN = "Tove Öberg"
GOALS = [
    (
        "Matematik",
        "Jag kan lösa ekvationer i två steg och visa varje steg i mitt häfte.",
        [
            (1, "Jag förstår inte när x står på båda sidor."),
            (2, "Det går bättre när jag skriver varje steg på en egen rad."),
            (2, "Provet gick så där, jag glömde att byta tecken."),
            (3, "Jag löste alla uppgifter på sidan 42 utan hjälp."),
            (3, "Jag kan förklara för min bänkkamrat hur jag tänker."),
        ],
    ),
    (
        "Engelska",
        "Jag kan skriva en kort berättelse på engelska med början, mitt och slut.",
        [
            (1, "Jag vet inte hur jag ska börja en berättelse."),
            (2, "Jag skrev om min hund, men slutet blev för kort."),
            (2, "Jag använder en ordlista när jag skriver."),
            (3, "Min berättelse om lägret fick bra respons från läraren."),
            (4, "Jag skrev två sidor och läste upp den för klassen!"),
        ],
    ),
    (
        "Studieteknik",
        "Jag planerar mina läxor i kalendern varje söndag kväll.",
        [
            (2, "Jag glömde två söndagar i rad."),
            (2, "Mamma påminner mig, då går det."),
            (3, "Jag har ett larm i telefonen nu."),
            (3, "Jag planerade hela veckan innan provet."),
            (3, "Jag lämnade in alla läxor den här månaden."),
        ],
    ),
]
NOTES = [
    ("Signe har tagit stora kliv i skrivandet och hjälper gärna andra i gruppen.", True),
    ("Prata med Signe om hur hon kan be om hjälp i matematik utan att vänta.", False),
]
DRAFT = (
    "Börja med det som gått bra: engelskan och planeringen.\n"
    "Matematik: ekvationer, vilket stöd behöver Signe?\n"
    "Nästa steg: ett nytt mål i idrott och hälsa?"
)
PUPIL_ANSWER = "Jag är stolt över min berättelse på engelska och att jag planerar bättre."
GUARDIAN_ANSWER = "Hemma ser vi att Signe är mer självständig med läxorna nu."


def add_pupil(live_server: Any, name: str, *, group: str) -> int:
    """A pupil who is not in the demo, in the demo group `group`; her id. Added once."""
    pupil, new = live_server.add_person(name)
    if new:
        with contextlib.closing(sqlite3.connect(live_server.db_path)) as db:
            db.execute(
                "INSERT INTO grouppupil (group_id, pupil_id) "
                "SELECT id, ? FROM pupil_group WHERE name = ?",
                (pupil, group),
            )
            db.commit()
    return int(pupil)


def spread(db_path: Any, goal_ids: list[int]) -> None:
    """Each goal's ratings a week apart, the latest now (within the term), as they would
    come: dates the chart tells apart."""
    today = date.today()  # noqa: DTZ011
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        (starts,) = db.execute(
            "SELECT max(starts_on) FROM term WHERE starts_on <= ?", (today.isoformat(),)
        ).fetchone()
        step = min(7, (today - date.fromisoformat(starts)).days // 5)
        for goal_id in goal_ids:
            rows = db.execute(
                "SELECT id, created_at FROM selfassessment WHERE goal_id = ? ORDER BY id DESC",
                (goal_id,),
            ).fetchall()
            for weeks, (rating_id, created_at) in enumerate(rows):
                when = datetime.fromisoformat(created_at) - timedelta(days=weeks * step)
                db.execute(
                    "UPDATE selfassessment SET created_at = ? WHERE id = ?",
                    (when.isoformat(" "), rating_id),
                )
        db.commit()


def seed(live_server: Any, api_person: Any, pupil_id: int) -> None:
    """Three goals from the mentor, rated five times each by Signe a week apart (the
    mentor replies to the latest), both preparations, a booked time, two notes and the
    draft."""
    mentor = api_person("Johan Berg")
    goals = [
        mentor.call("POST", f"/api/pupils/{pupil_id}/goals", {"area": area, "text": text})
        for area, text, _ratings in GOALS
    ]
    pupil = api_person(PUPIL)
    for goal, (_area, _text, ratings) in zip(goals, GOALS, strict=True):
        for level, comment in ratings:
            rating = pupil.call(
                "POST",
                f"/api/goals/{goal['id']}/self-assessments",
                {"level": level, "comment": comment},
            )
        reply = {"text": "Bra jobbat, Signe! Vi pratar om nästa steg på samtalet."}
        mentor.call("POST", f"/api/self-assessments/{rating['id']}/replies", reply)
    spread(live_server.db_path, [goal["id"] for goal in goals])
    mine = pupil.call("GET", "/api/plan/preparation")
    answers = [
        {"question_id": a["question_id"], "text": f"{PUPIL_ANSWER} ({n})"}
        for n, a in enumerate(mine["answers"], 1)
    ]
    pupil.call(
        "PUT",
        "/api/plan/preparation",
        {"version": mine["version"], "answers": answers, "ready": True},
    )
    guardian = api_person(GUARDIAN)
    theirs = guardian.call("GET", f"/api/pupils/{pupil_id}/guardian-preparation")
    answers = [{"question_id": theirs["answers"][0]["question_id"], "text": GUARDIAN_ANSWER}]
    guardian.call(
        "PUT",
        f"/api/pupils/{pupil_id}/guardian-preparation",
        {"version": theirs["version"], "answers": answers, "shared": True},
    )
    times = guardian.call("GET", f"/api/pupils/{pupil_id}/talk-times")["times"]
    free = [t for t in times if t["state"] == "free"]
    assert free, "the demo offers 8B talk times"
    guardian.call("POST", f"/api/talk-times/{free[-1]['id']}/booking", {"pupil_id": pupil_id})
    for text, shared in NOTES:
        mentor.call("POST", f"/api/pupils/{pupil_id}/notes", {"text": text, "shared": shared})
    mentor.call("PUT", f"/api/pupils/{pupil_id}/talk-draft", {"version": 0, "text": DRAFT})


CHROME = """() => [
  ...document.querySelectorAll(
    '.skip-link, .site-header a, .site-header button, .site-footer a, main form label, '
    + 'main form button, .compilation__links a'
  ),
].map((e) => e.textContent.trim()).filter(Boolean)"""


def test_the_compilation_prints_on_two_a4_pages(
    live_server: Any, new_context: Any, axe_check: Any, api_person: Any
) -> None:
    from pypdf import PdfReader

    pupil_id = add_pupil(live_server, PUPIL, group="8B")
    live_server.add_guardian(GUARDIAN, child=PUPIL)
    seed(live_server, api_person, pupil_id)

    desk = new_context(**DESKTOP)
    desk.add_cookies(api_person("Johan Berg").cookies())
    page = desk.new_page()
    page.goto(f"/pupils/{pupil_id}/compilation")
    compilation = page.locator(".compilation")
    expect(compilation.locator(".chart")).to_have_count(3)
    expect(compilation.locator(".ratings tbody tr")).to_have_count(15)
    expect(compilation.locator(".compilation__booking")).to_contain_text(GUARDIAN)
    expect(compilation).to_contain_text(GUARDIAN_ANSWER)
    expect(compilation).to_contain_text(NOTES[1][0])
    axe_check(page)
    chrome = page.evaluate(CHROME)
    assert "Hoppa till innehållet" in chrome and "Logga ut" in chrome, chrome

    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    width, height = pdf.pages[0].mediabox.width, pdf.pages[0].mediabox.height
    assert abs(float(width) - 595.3) < 1 and abs(float(height) - 841.9) < 1, "A4 in points"
    pages = [re.sub(r"\s+", " ", p.extract_text()) for p in pdf.pages]
    text = " ".join(pages)
    assert len(pages) <= 2, f"{len(pages)} pages"
    for expected in (
        f"Inför samtalet med {PUPIL}",
        *(goal for _area, goal, _ratings in GOALS),
        GOALS[0][2][-1][1],  # the latest rating's comment
        GUARDIAN_ANSWER,
        NOTES[0][0],
        DRAFT.splitlines()[0],
    ):
        assert expected in text, f"{expected!r} not in the printed compilation: {text[:2000]}"
    for _area, goal, ratings in GOALS:  # a goal is not split: its oldest rating with it
        assert any(goal in p and ratings[0][1] in p for p in pages), goal
    # A chart on paper: at most 4.5 cm high (96 CSS px an inch), still there.
    for box in (chart.bounding_box() for chart in compilation.locator(".chart").all()):
        assert box and 38 <= box["height"] <= 4.5 / 2.54 * 96, box
    for words in chrome:  # whole words: the menu's "Hem" is not "Hemma"
        assert not re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text), f"{words!r} printed"
