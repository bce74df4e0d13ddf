"""The principal (issue 7, item 5): her school's overview with every figure about fewer than
five pupils suppressed (page, CSV, JSON), and one pupil's plan only after a reason that the
family sees in the read log."""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Callable
from datetime import date

from babel.dates import format_date
from sqlmodel import Session, select

from backend.demo import term_for
from backend.models import Goal, Group, GroupPupil, Person, Plan, ReadLog, SelfAssessment, Term
from backend.settings import Settings
from tests.integration.conftest import Visitor, demo_person
from tests.statements import make_group


def school_id(db: Session) -> int:
    return db.exec(select(Group).where(Group.name == "4A")).one().school_id


def rate(db: Session, key: str, level: int = 3) -> None:
    pupil = demo_person(db, key)
    goal = db.exec(select(Goal).join(Plan).where(Plan.pupil_id == pupil.id)).first()
    assert goal is not None and goal.id is not None
    db.add(SelfAssessment(goal_id=goal.id, level=level))
    db.commit()


def by_name(items: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {item["name"]: item for item in items}


def test_groups_under_five_are_suppressed_and_5c_is_shown(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    rate(db, "hugo")
    rate(db, "ella")
    rate(db, "wilma")  # in 6D: must not show anywhere
    principal = signed_in("principal")
    body = principal.get(f"/api/schools/{school_id(db)}/overview").json()
    assert body["name"] == "Demoskolan" and body["min_pupils"] == 5
    groups = by_name(body["groups"])
    assert groups["5C"] == {
        "suppressed": False,
        "pupils_with_plan": 5,
        "share_rated": 40.0,
        "goals_per_pupil": 3.0,
        "last_activity": Settings(secret_key="-").today().isoformat(),  # the school's day
        "group_id": groups["5C"]["group_id"],
        "name": "5C",
        "school_year": 5,
    }
    for name in ("4A", "8B", "6D"):
        assert groups[name]["suppressed"] is True, name
        for field in ("pupils_with_plan", "share_rated", "goals_per_pupil", "last_activity"):
            assert groups[name][field] is None, (name, field)
    years = {y["school_year"]: y for y in body["years"]}
    assert years[5]["suppressed"] is False and years[5]["pupils_with_plan"] == 5
    assert all(years[y]["suppressed"] and years[y]["share_rated"] is None for y in (4, 6, 8))


def test_a_year_total_never_reveals_a_suppressed_group(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """A small group next to 5C in the same year: the total would give it away by
    subtraction, so the year's total is suppressed too."""
    term = db.exec(select(Term).where(Term.code == term_for(date.today())[0])).one()  # noqa: DTZ011
    small = Group(school_id=school_id(db), name="5E", school_year=5)
    db.add(small)
    db.flush()
    for n in range(3):
        pupil = Person(given_name=f"Liten{n}", family_name="E", user_handle=secrets.token_bytes(32))
        db.add(pupil)
        db.flush()
        db.add(GroupPupil(group_id=small.id, pupil_id=pupil.id))  # type: ignore[arg-type]
        db.add(Plan(pupil_id=pupil.id, term_id=term.id))  # type: ignore[arg-type]
    db.commit()
    body = signed_in("principal").get(f"/api/schools/{school_id(db)}/overview").json()
    groups = by_name(body["groups"])
    assert groups["5C"]["suppressed"] is False and groups["5E"]["suppressed"] is True
    year_5 = next(y for y in body["years"] if y["school_year"] == 5)
    assert year_5["suppressed"] is True and year_5["pupils_with_plan"] is None
    assert year_5["groups"] == 2


def test_the_page_has_a_chart_a_table_and_a_way_to_one_plan(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    rate(db, "noah")
    principal = signed_in("principal")
    principal.client.cookies.set("lang", "en")
    page = principal.get(f"/schools/{school_id(db)}")
    assert page.status_code == 200
    html = page.text
    svg = html[html.index("<svg viewBox") : html.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg
    assert '<text x="90"' in svg and "fewer than 5" in svg  # the small groups: no bar
    assert svg.count('class="stats__bar"') == 1  # 5C's
    assert "20 %" in svg
    table = html[html.index('<table class="stats__table"') : html.index("</table>")]
    c5 = table[table.index('<th scope="row">5C</th>') :].split("</tr>")[0]
    assert ">5<" in c5 and ">20<" in c5 and ">3<" in c5  # whole numbers without decimals
    last = re.search(r'<time datetime="([\d-]+)">([^<]+)</time>', c5)
    assert last, "5C's last activity"
    assert last[2] == format_date(date.fromisoformat(last[1]), "medium", locale="en")  # not ISO
    d6 = table[table.index('<th scope="row">6D</th>') :].split("</tr>")[0]
    assert d6.count("fewer than 5") == 4
    assert f'href="/schools/{school_id(db)}/overview.csv"' in html
    alva = demo_person(db, "alva")
    assert f'<a href="/pupils/{alva.id}">Alva Nilsson</a>' in html  # opens with a reason


def test_the_csv_download(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    principal = signed_in("principal")
    principal.client.cookies.set("lang", "en")
    response = principal.get(f"/schools/{school_id(db)}/overview.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["School year", "Group"]
    assert rows[0][6:9] == ["Pupils with a plan", "Written plan required", "Written plan by choice"]
    found = {(r[0], r[1]): r[2:6] for r in rows[1:]}
    assert found[("5", "5C")] == ["5", "0", "3", ""]
    for year, name in (("4", "4A"), ("8", "8B"), ("6", "6D"), ("6", "All groups")):
        assert found[(year, name)] == ["fewer than 5"] * 4
    cycle = {(r[0], r[1]): r[6:] for r in rows[1:]}
    assert cycle[("5", "5C")][0] == "5"  # pupils with a plan this term
    assert cycle[("4", "4A")][0] == "hidden"
    assert "Alva" not in response.text


def test_a_principal_opens_a_plan_only_with_a_reason_the_family_sees(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    principal = signed_in("principal")
    refused = principal.get(f"/api/pupils/{alva.id}/plan")
    assert refused.status_code == 403 and refused.json()["reason"] == "reason_needed"
    too_short = principal.post(f"/api/pupils/{alva.id}/read-reasons", json={"reason": "   kort   "})
    assert too_short.status_code == 422
    assert principal.get(f"/api/pupils/{alva.id}/plan").status_code == 403
    reason = "Vårdnadshavare har bett om ett möte om stödet i matematik."
    given = principal.post(f"/api/pupils/{alva.id}/read-reasons", json={"reason": reason})
    assert given.status_code == 201, given.text
    assert given.json()["reason"] == reason and given.json()["pupil_id"] == alva.id
    plan = principal.get(f"/api/pupils/{alva.id}/plan")
    assert plan.status_code == 200 and plan.json()["pupil_id"] == alva.id
    logged = db.exec(select(ReadLog).where(ReadLog.reason == reason)).one()
    assert (logged.reader_id, logged.pupil_id, logged.kind, logged.role) == (
        demo_person(db, "principal").id,
        alva.id,
        "plan",
        "principal",
    )
    anna = signed_in("guardian-anna")
    page = anna.get(f"/pupils/{alva.id}")
    log = page.text[page.text.index('<details class="read-log">') :]
    assert "Birgitta Holm" in log and reason in log
    as_json = anna.get(f"/api/pupils/{alva.id}/read-log")
    assert as_json.status_code == 200
    assert {"name": "Birgitta Holm", "role": "principal", "reasons": [reason]}.items() <= next(
        read for read in as_json.json() if read["role"] == "principal"
    ).items()
    for outsider in ("teacher-ek", "guardian-lina", "guardian-mikael", "maja"):
        refused = signed_in(outsider).get(f"/api/pupils/{alva.id}/read-log")
        assert refused.status_code == 404 and reason not in refused.text, outsider


def test_the_reason_form(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    alva = demo_person(db, "alva")
    principal = signed_in("principal")
    principal.client.cookies.set("lang", "en")
    asked = principal.get(f"/pupils/{alva.id}")
    assert asked.headers["location"] == f"/pupils/{alva.id}/reason"
    form = principal.get(f"/pupils/{alva.id}/reason")
    assert form.status_code == 200
    assert 'name="reason"' in form.text and "will see what you write" in form.text
    assert 'aria-describedby="reason-hint reason-guidance"' in form.text
    short = principal.form(f"/pupils/{alva.id}/reason", {"reason": "För att"})
    assert short.status_code == 422
    assert 'class="error-summary" role="alert"' in short.text and 'href="#reason"' in short.text
    assert ">För att</textarea>" in short.text  # what she typed is kept
    bad = principal.form(f"/pupils/{alva.id}/reason", {"reason": "Ett möte\x00 om stödet"})
    assert bad.status_code == 422
    no_token = principal.client.post(
        f"/pupils/{alva.id}/reason",
        data={"reason": "Ett möte om stödet i matematik."},
        follow_redirects=False,
    )
    assert no_token.status_code == 403
    assert db.exec(select(ReadLog).where(ReadLog.reason != "")).all() == []
    sent = principal.form(f"/pupils/{alva.id}/reason", {"reason": "  Ett möte om stödet.  "})
    assert sent.status_code == 303 and sent.headers["location"] == f"/pupils/{alva.id}"
    assert principal.get(f"/pupils/{alva.id}").status_code == 200
    assert db.exec(select(ReadLog.reason).where(ReadLog.reason != "")).all() == [
        "Ett möte om stödet."
    ]


OUTSIDERS = [
    "maja",
    "alva",  # the pupil herself gives no reason
    "teacher-6d",
    "mentor-6d",
    "mentor-8b",
    "mentor-4a",  # her mentor reads the plan without a reason; the statistics are not hers
    "principal-2",
    "guardian-anna",
    "guardian-lina",
    "guardian-mikael",
]


def test_outsiders_get_nothing_from_the_principal_routes(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    school, alva = school_id(db), demo_person(db, "alva")
    for key in OUTSIDERS:
        outsider = signed_in(key)
        for url in (
            f"/schools/{school}",
            f"/schools/{school}/overview.csv",
            f"/api/schools/{school}/overview",
            f"/pupils/{alva.id}/reason",
        ):
            response = outsider.get(url)
            assert response.status_code in (403, 404), (key, url, response.status_code)
            assert "5C" not in response.text and "Demoskolan" not in response.text, (key, url)
        posted = outsider.form(f"/pupils/{alva.id}/reason", {"reason": "Jag vill bara titta."})
        api = outsider.post(
            f"/api/pupils/{alva.id}/read-reasons", json={"reason": "Jag vill bara titta."}
        )
        assert posted.status_code in (403, 404) and api.status_code in (403, 404), key
    assert db.exec(select(ReadLog).where(ReadLog.reason != "")).all() == []


def test_the_csv_for_a_swedish_spreadsheet(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """In Swedish: `;` between the cells and a decimal comma, as Excel set to Swedish reads
    a file it opens; in English `,` and a decimal point."""
    first = make_group(db, name="7E", size=30)[0]  # a group whose figures are shown
    plan = db.exec(select(Plan).where(Plan.pupil_id == first)).one()
    for n in range(3):  # 93 goals for 30 pupils: 3.1 per pupil
        db.add(Goal(plan_id=plan.id, area="Idrott", text=f"Extra {n}", position=10 + n))  # type: ignore[arg-type]
    db.commit()
    principal = signed_in("principal")
    principal.client.cookies.set("lang", "sv")
    swedish = principal.get(f"/schools/{school_id(db)}/overview.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(swedish), delimiter=";"))
    assert rows[0][:3] == ["Årskurs", "Grupp", "Elever med en plan"]
    group = next(r for r in rows if r[1] == "7E")
    assert group[2] == "30" and group[4] == "3,1" and group[8] == "30"  # pupils, goals, others
    assert "Hela skolan" in {r[1] for r in rows}
    principal.client.cookies.set("lang", "en")
    english = principal.get(f"/schools/{school_id(db)}/overview.csv").content.decode("utf-8-sig")
    header, *lines = list(csv.reader(io.StringIO(english)))
    assert len(header) == len(rows[0]) and header[2] == "Pupils with a plan"
    assert next(r for r in lines if r[1] == "7E")[4] == "3.1"
    assert ";" not in english.splitlines()[0]


def test_the_page_shows_the_talk_cycle_with_a_chart(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    make_group(db, name="7E", size=30)
    principal = signed_in("principal")
    page = principal.get(f"/schools/{school_id(db)}").text
    section = page[page.index('id="cycle"') :]
    assert '<svg viewBox="0 0 400' in section and 'aria-labelledby="cycle-chart-title"' in section
    row = section[section.index(f'id="cycle-group-{group_id(db, "7E")}"') :]
    row = row[: row.index("</tr>")]
    assert re.findall(r"<td[^>]*>(\d+)</td>", row)[:1] == ["30"]
    small = section[section.index(f'id="cycle-group-{group_id(db, "4A")}"') :]
    assert "dold" in small[: small.index("</tr>")]
    assert 'name="term"' in section


def group_id(db: Session, name: str) -> int:
    found = db.exec(select(Group).where(Group.name == name)).one().id
    assert found is not None
    return found


def test_a_name_a_spreadsheet_would_run_is_written_as_text(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """Group names come from the roster: one that begins like a formula (OWASP's list:
    = + - @, a tab, a carriage return) reaches the CSV with a quote before it, as text; an
    ordinary name is left as it is."""
    names = ['=HYPERLINK("http://x.example")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]
    for name in names:
        make_group(db, name=name, size=5)
    principal = signed_in("principal")
    principal.client.cookies.set("lang", "sv")
    text = principal.get(f"/schools/{school_id(db)}/overview.csv").content.decode("utf-8-sig")
    written = {row[1] for row in csv.reader(io.StringIO(text, newline=""), delimiter=";")}
    assert {"'" + name for name in names} <= written, written
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in written)
    assert "4A" in written  # an ordinary name as it is
