"""The pupil's first journey through the HTTP API, with a software authenticator."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlmodel import Session, select

from backend.models import Goal, Plan, SelfAssessment
from tests.integration.conftest import Visitor, demo_person


def goal_ids(db: Session, key: str) -> list[int]:
    pupil = demo_person(db, key)
    rows = db.exec(select(Goal).join(Plan).where(Plan.pupil_id == pupil.id)).all()
    return [g.id for g in rows if g.id is not None]


def test_enrol_sign_out_sign_in_and_self_assess(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = signed_in("alva")
    home = alva.get("/?welcome=1")
    assert home.status_code == 200
    assert "Mina mål" in home.text and "multiplikationstabellerna" in home.text
    assert home.headers["cache-control"] == "no-store"

    out = alva.form("/logout", {})
    assert out.status_code == 303 and out.headers["location"] == "/login?signed_out=1"
    assert alva.get("/").status_code == 303

    response = alva.sign_in()
    assert response.status_code == 201 and response.json()["redirect"] == "/"
    goal = goal_ids(db, "alva")[0]
    saved = alva.form(f"/goals/{goal}/self-assessments", {"level": "2", "comment": "Åttans tabell"})
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/?saved={goal}#goal-{goal}-saved"
    again = alva.form(f"/goals/{goal}/self-assessments", {"level": "3", "comment": ""})
    assert again.status_code == 303
    page = alva.get(f"/?saved={goal}").text
    card = page[page.index(f'id="goal-{goal}"') :]
    card = card[: card.index("</article>")]
    assert "Du valde <strong>Nästan</strong>" in card, "the notice names the level just saved"
    rows = re.findall(r"<tr><td><time[^>]*>.*?</tr>", card)
    assert len(rows) == 2 and "Nästan" in rows[0], "the newest rating first"
    first = 'På väg</span><p dir="auto">Åttans tabell</p>'
    assert first in rows[1], "the first rating with its comment"
    assert f'data-draft-saved="sa-{goal}"' in page
    assert re.search(r'<polyline class="chart__line"', page)
    levels = db.exec(select(SelfAssessment.level).where(SelfAssessment.goal_id == goal)).all()
    assert sorted(levels) == [2, 3], "every rating is kept"


def test_htmx_answers_with_the_goal_card_only(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = signed_in("alva")
    goal = goal_ids(db, "alva")[1]
    response = alva.post(
        f"/goals/{goal}/self-assessments",
        data={"level": "4", "comment": "Läste klart"},
        headers={"hx-request": "true"},
    )
    assert response.status_code == 200
    card = response.text.lstrip()
    assert card.startswith(f'<article class="goal card goal--reached" id="goal-{goal}"')
    assert "<html" not in card and '<p dir="auto">Läste klart</p>' in card
    assert "Du valde <strong>Jag kan det</strong> · sparat" in card  # where the form was
    assert "Du har nått målet" in card and "data-focus" in card
    todo = card.split('<div class="todo notice" id="todo" hx-swap-oob="true">')[1]
    assert (
        "Du har inte berättat hur det går med Matematik och Socialt den här månaden." in todo
    )  # not Svenska
    assert response.headers["vary"].split(",")[0] == "HX-Request"  # then Accept-Encoding


def test_a_missing_level_is_explained_and_the_comment_kept(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = signed_in("alva")
    goal = goal_ids(db, "alva")[0]
    response = alva.form(f"/goals/{goal}/self-assessments", {"comment": "Mitt utkast"})
    assert response.status_code == 422
    assert "Välj" in response.text and "Mitt utkast" in response.text
    assert 'class="error-summary"' in response.text
    htmx = alva.post(
        f"/goals/{goal}/self-assessments",
        data={"level": "9", "comment": "x"},
        headers={"hx-request": "true"},
    )
    assert htmx.status_code == 422 and "<html" not in htmx.text
    assert db.exec(select(SelfAssessment).where(SelfAssessment.goal_id == goal)).first() is None


def test_json_api_records_and_reads(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    omar = signed_in("omar")
    goal = goal_ids(db, "omar")[0]
    created = omar.post(f"/api/goals/{goal}/self-assessments", json={"level": 3, "comment": "ok"})
    assert created.status_code == 201 and created.json()["level"] == 3
    plan = omar.get("/api/plan").json()
    assert plan["term"].startswith(("HT", "VT"))
    assert [g["self_assessments"][0]["comment"] for g in plan["goals"] if g["id"] == goal] == ["ok"]
    bad = omar.post(f"/api/goals/{goal}/self-assessments", json={"level": 7})
    assert bad.status_code == 400 and "message" in bad.json()
    assert omar.post(f"/api/goals/{goal}/self-assessments", json={"level": 0}).status_code == 400


def test_the_opened_goal_says_who_reads_the_comment(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva, maja = signed_in("alva"), signed_in("maja")
    goal = goal_ids(db, "alva")[0]
    card = alva.get(f"/goals/{goal}", headers={"hx-request": "true"}).text
    assert (
        "Det du skriver läses av dina vårdnadshavare Anna Nilsson och Per Nilsson, "
        "din mentor Karin Lind och dina lärare."
    ) in card
    assert 'aria-describedby="goal-' in card and f"goal-{goal}-readers" in card
    # Maja's restricted guardian Mikael does not read her words, so he is not named.
    other = maja.get(f"/goals/{goal_ids(db, 'maja')[0]}", headers={"hx-request": "true"}).text
    assert "din vårdnadshavare Eva Andersson, din mentor Johan Berg" in other
    assert "Mikael" not in other


def test_to_do_now_names_the_goals_not_rated_this_month(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = signed_in("alva")
    first, *rest = goal_ids(db, "alva")
    before = alva.get("/").text
    assert (
        "Du har inte berättat hur det går med Matematik, Svenska och Socialt den här månaden."
        in before
    )
    alva.form(f"/goals/{first}/self-assessments", {"level": "3"})
    after = alva.get("/").text
    assert "Du har inte berättat hur det går med Svenska och Socialt den här månaden." in after
    assert f'hx-get="/goals/{rest[0]}"' in after.split("Att göra nu")[1].split("</div>")[0]
    for goal in rest:
        alva.form(f"/goals/{goal}/self-assessments", {"level": "4"})
    done = alva.get("/").text
    assert "Du har berättat om alla mål den här månaden. Bra jobbat!" in done
    assert done.count("goal card goal--reached") == 2  # "Jag kan det" marks the card


def test_the_chart_names_the_levels_and_dates_and_the_table_every_rating(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = signed_in("alva")
    goal = goal_ids(db, "alva")[0]
    alva.form(f"/goals/{goal}/self-assessments", {"level": "1", "comment": "Svårt"})
    alva.form(f"/goals/{goal}/self-assessments", {"level": "4", "comment": "Nu kan jag!"})
    card = alva.get(f"/goals/{goal}", headers={"hx-request": "true"}).text
    chart = card.split('<svg class="chart"')[1].split("</svg>")[0]
    for word in ("Inte än", "På väg", "Nästan", "Jag kan det"):
        assert f">{word}</text>" in chart
    assert chart.count('y="134"') == 2, "a date under each point"
    rows = card.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert len(rows) == 2 and "Nu kan jag!" in rows[0] and "Svårt" in rows[1]
    assert re.search(r"\d{1,2} \w+\.? \d{4} \d{2}:\d{2}</time>", rows[0]), "date and time"


def test_the_home_lists_the_latest_ratings_and_links_the_rest(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """A pupil who rates often does not get every rating on her home (a phone's page grew
    to 67 KB with 112): the latest five, and a link to the term's record with all."""
    alva = signed_in("alva")
    goal = goal_ids(db, "alva")[0]
    before = len(db.exec(select(SelfAssessment.id).where(SelfAssessment.goal_id == goal)).all())
    for n in range(8):
        comment = f"Gång {n}"
        answer = alva.post(
            f"/api/goals/{goal}/self-assessments", json={"level": 2, "comment": comment}
        )
        assert answer.status_code == 201
    total = before + 8

    page = alva.get("/").text
    card = page[page.index(f'id="goal-{goal}"') :]
    card = card[: card.index("</article>")]
    rows = re.findall(r"<tr><td><time[^>]*>.*?</tr>", card)
    assert len(rows) == 5
    assert [re.search(r"Gång \d", row)[0] for row in rows] == [f"Gång {n}" for n in (7, 6, 5, 4, 3)]
    link = re.search(
        r'<a href="(/plans/(\d+))#r-goals">Alla gånger den här terminen \((\d+)\)</a>', card
    )
    assert link is not None and int(link[3]) == total
    record = alva.get(link[1])
    assert record.status_code == 200
    assert all(f"Gång {n}" in record.text for n in range(8)), "the record has every rating"

    other = goal_ids(db, "alva")[1]  # a goal with few ratings has no link
    card = page[page.index(f'id="goal-{other}"') :]
    assert "#r-goals" not in card[: card.index("</article>")]
