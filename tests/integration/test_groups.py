"""The staff start page and the group at a glance (issue 7, item 4): rows, latest levels,
"no rating this month", unread comments, sorting, the read log, a fixed number of
queries whatever the group's size, and nothing for anyone outside the group."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session, col, select

from backend.auth.service import issue_enrolment_code
from backend.db import DbSession
from backend.models import (
    Goal,
    Group,
    GroupPupil,
    Person,
    Plan,
    ReadLog,
    Reply,
    Seen,
    SelfAssessment,
    Term,
)
from backend.names import Namer
from backend.plans import service as plans_service
from backend.settings import Settings
from tests.integration.conftest import Visitor, demo_person
from tests.statements import counting_app, make_group, queries


def group_id(db: Session, name: str) -> int:
    group = db.exec(select(Group).where(Group.name == name)).one()
    assert group.id is not None
    return group.id


def goal_of(db: Session, key: str, area: str) -> int:
    pupil = demo_person(db, key)
    goal = db.exec(
        select(Goal)
        .join(Plan)
        .join(Term)
        .where(Plan.pupil_id == pupil.id, Goal.area == area)
        .order_by(col(Term.starts_on).desc())  # this term's, not last term's (demo)
    ).first()
    assert goal is not None
    assert goal.id is not None
    return goal.id


def rate(
    db: Session, goal_id: int, level: int, comment: str = "", at: datetime | None = None
) -> int:
    rating = SelfAssessment(goal_id=goal_id, level=level, comment=comment)
    if at is not None:
        rating.created_at = at
    db.add(rating)
    db.commit()
    assert rating.id is not None
    return rating.id


def english(visitor: Visitor) -> Visitor:
    visitor.client.cookies.set("lang", "en")
    return visitor


# ---- The staff start page ------------------------------------------------------------------


def test_the_start_page_is_the_staff_hub(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    g4a, g5c = group_id(db, "4A"), group_id(db, "5C")
    mentor = english(signed_in("mentor-4a"))
    page = mentor.get("/")
    assert page.status_code == 200
    for gid in (g4a, g5c):
        assert f'href="/groups/{gid}"' in page.text
        assert f'href="/groups/{gid}/people"' in page.text  # she mentors both
    assert 'href="/reflections"' in page.text
    section = page.text.split("<h2>4A</h2>")[1].split("</section>")[0]
    assert "2 pupils" in section and "1 unread comment" in section  # Elias's comment
    assert "Alva Nilsson" in section

    teacher = english(signed_in("teacher-ek"))
    page = teacher.get("/")
    assert f'href="/groups/{g4a}"' in page.text
    assert "/people" not in page.text  # a teacher issues no links
    assert "You teach Matematik" in page.text

    principal = english(signed_in("principal"))
    school = db.exec(select(Group).where(Group.name == "4A")).one().school_id
    page = principal.get("/")
    assert f'href="/schools/{school}"' in page.text
    assert f'href="/schools/{school}/staff"' in page.text
    assert "contact the school" not in page.text

    anna = signed_in("guardian-anna")  # a guardian with one child: still her child's plan
    alva = demo_person(db, "alva")
    assert anna.get("/").headers["location"] == f"/pupils/{alva.id}"


def test_api_groups_lists_her_groups(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    groups = signed_in("mentor-4a").get("/api/groups").json()
    assert [(g["name"], g["relation"], g["pupils"], g["unread"]) for g in groups] == [
        ("4A", "mentor", 2, 1),
        ("5C", "mentor", 5, 0),
    ]
    taught = signed_in("teacher-ek").get("/api/groups").json()
    assert {g["name"]: g["subjects"] for g in taught} == {
        "4A": ["Matematik"],
        "5C": ["Matematik"],
        "8B": ["Matematik"],
    }
    assert taught[0]["unread"] == 0  # she replied to Elias: not unread for her


# ---- The group at a glance -----------------------------------------------------------------


def test_rows_latest_level_and_not_rated_this_month(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    g4a = group_id(db, "4A")
    alva, elias = demo_person(db, "alva"), demo_person(db, "elias")
    now = datetime.now(UTC)
    last_month = now.replace(day=1) - timedelta(days=3)
    maths = goal_of(db, "alva", "Matematik")
    rate(db, maths, 1, at=last_month - timedelta(days=1))
    rate(db, maths, 3, at=last_month)  # the latest, but not this month
    mentor = signed_in("mentor-4a")
    body = mentor.get(f"/api/groups/{g4a}/overview").json()
    assert body["areas"] == ["Matematik", "Socialt", "Svenska"]
    rows = {row["id"]: row for row in body["rows"]}
    assert list(rows) == [alva.id, elias.id]  # by name
    alva_maths = rows[alva.id]["areas"][0]
    assert alva_maths["area"] == "Matematik" and alva_maths["level"] == 3
    assert alva_maths["this_month"] is False and alva_maths["rated_on"] is not None
    assert rows[alva.id]["not_rated_this_month"] is True
    assert rows[elias.id]["areas"][0]["level"] == 2 and rows[elias.id]["areas"][0]["this_month"]
    assert rows[elias.id]["not_rated_this_month"] is False
    assert [a["level"] for a in rows[elias.id]["areas"][1:]] == [None, None]

    rate(db, goal_of(db, "alva", "Svenska"), 4, comment="Jag läste hela boken!")
    body = mentor.get(f"/api/groups/{g4a}/overview").json()
    alva_row = next(r for r in body["rows"] if r["id"] == alva.id)
    assert alva_row["not_rated_this_month"] is False
    assert alva_row["areas"][2]["level"] == 4 and alva_row["unread"] == 1


def test_unread_is_neither_seen_nor_answered_by_the_viewer(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    g4a = group_id(db, "4A")
    elias = demo_person(db, "elias")
    mentor_id, ek_id = demo_person(db, "mentor-4a").id, demo_person(db, "teacher-ek").id
    maths = goal_of(db, "elias", "Matematik")
    no_comment = rate(db, maths, 3)
    with_comment = rate(db, maths, 3, comment="Nu går det bättre.")

    def unread(visitor: Visitor) -> int:
        rows = visitor.get(f"/api/groups/{g4a}/overview").json()["rows"]
        return int(next(r for r in rows if r["id"] == elias.id)["unread"])

    mentor, teacher = signed_in("mentor-4a"), signed_in("teacher-ek")
    assert unread(mentor) == 2  # the demo's comment and the new one; not the bare rating
    assert unread(teacher) == 1  # she answered the demo's
    db.add(Seen(self_assessment_id=with_comment, person_id=ek_id))  # type: ignore[arg-type]
    db.add(Seen(self_assessment_id=no_comment, person_id=mentor_id))  # type: ignore[arg-type]
    db.commit()
    assert unread(teacher) == 0 and unread(mentor) == 2  # her own seen only
    db.add(Reply(self_assessment_id=with_comment, author_id=mentor_id, text="Bra!"))  # type: ignore[arg-type]
    db.commit()
    assert unread(mentor) == 1


def test_sorting_by_links_and_aria_sort(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    g5c = group_id(db, "5C")
    hugo, saga = demo_person(db, "hugo"), demo_person(db, "saga")
    rate(db, goal_of(db, "saga", "Matematik"), 1, comment="Bråk är svårt.")
    rate(db, goal_of(db, "hugo", "Matematik"), 4)
    mentor = english(signed_in("mentor-4a"))

    def order(sort: str) -> list[str]:
        return [
            r["name"] for r in mentor.get(f"/api/groups/{g5c}/overview?sort={sort}").json()["rows"]
        ]

    names = ["Ella Berg", "Hugo Lund", "Liam Sjö", "Noah Ström", "Saga Holm"]
    assert order("name") == names
    assert order("nonsense") == names
    assert order("unread")[0] == "Saga Holm"
    assert order("not_rated")[-2:] == ["Hugo Lund", "Saga Holm"]  # both rated this month
    by_maths = order("area:Matematik")
    assert by_maths[-2:] == ["Saga Holm", "Hugo Lund"]  # not rated first, then 1, then 4
    page = mentor.get(f"/groups/{g5c}?sort=unread")
    assert page.status_code == 200
    header = re.search(r'<th scope="col" aria-sort="descending"><a href="\?sort=unread"', page.text)
    assert header, "the sorted column says so"
    assert page.text.count("aria-sort=") == 1
    assert page.text.index(f'id="pupil-{saga.id}"') < page.text.index(f'id="pupil-{hugo.id}"')
    maths = mentor.get(f"/groups/{g5c}?sort=area%3AMatematik").text
    assert 'aria-sort="ascending"><a href="?sort=area%3AMatematik"' in maths


def test_the_page_has_cards_notes_and_a_group_filter(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    g4a, g5c, g8b = group_id(db, "4A"), group_id(db, "5C"), group_id(db, "8B")
    alva = demo_person(db, "alva")
    mentor = english(signed_in("mentor-4a"))
    page = mentor.get(f"/groups/{g4a}")
    assert page.status_code == 200
    assert "<h1>Group 4A at a glance</h1>" in page.text
    assert (
        f'<a href="/pupils/{alva.id}/notes/new" hx-get="/pupils/{alva.id}/notes/new" '
        f'hx-target="#note-{alva.id}"'
    ) in page.text
    assert f'<div id="note-{alva.id}"></div>' in page.text
    assert f'<a href="/pupils/{alva.id}">Alva Nilsson</a>' in page.text
    assert "No rating this month" in page.text  # Alva: a word, not only a colour
    assert 'data-label="Matematik"' in page.text  # each cell says what it is, as a card
    assert 'name="group_id"' in page.text and f'<option value="{g5c}">5C</option>' in page.text
    chosen = mentor.get(f"/groups?group_id={g5c}")
    assert chosen.status_code == 303 and chosen.headers["location"] == f"/groups/{g5c}"
    assert mentor.get(f"/groups?group_id={g8b}").status_code == 404
    assert mentor.get("/groups").headers["location"] == "/"


def test_each_pupil_shown_is_a_read(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    g4a = group_id(db, "4A")
    alva, elias = demo_person(db, "alva"), demo_person(db, "elias")
    teacher = signed_in("teacher-ek")
    assert teacher.get(f"/groups/{g4a}").status_code == 200
    assert teacher.client.head(f"/api/groups/{g4a}/overview").status_code == 200  # not a read
    reads = db.exec(select(ReadLog).where(ReadLog.kind == "overview")).all()
    ek = demo_person(db, "teacher-ek").id
    assert sorted((r.reader_id, r.pupil_id, r.role) for r in reads) == [
        (ek, alva.id, "teacher"),
        (ek, elias.id, "teacher"),
    ]


# ---- A fixed number of queries -------------------------------------------------------------


@pytest.fixture
def counted(settings: Settings) -> Iterator[tuple[Litestar, list[str]]]:
    app, statements = counting_app(settings)
    yield app, statements
    app.state.engine.dispose()


def test_the_counter_counts_orm_and_prebuilt_statements(
    db: Session, counted: tuple[Litestar, list[str]]
) -> None:
    """The counter is not blind: it sees an ORM query, a prebuilt Query on the raw
    connection, and a per-pupil loop that grows with the group."""
    small, large = make_group(db, name="7S", size=5), make_group(db, name="7L", size=30)
    app, statements = counted
    today = date.today()  # noqa: DTZ011
    with DbSession(app.state.engine) as session:
        session.exec(select(Person).limit(1)).all()
        statements.clear()
        session.exec(select(Person).limit(1)).all()
        assert len(queries(statements)) == 1  # the ORM
        statements.clear()
        assert (
            plans_service.plan_of(session, pupil_id=small[0], today=today, namer=Namer.everyone())
            is not None
        )
        assert len(queries(statements)) == 2  # prebuilt: the plan, its replies
        counts = []
        for pupils in (small, large):
            statements.clear()
            for pupil_id in pupils:
                plans_service.plan_of(
                    session, pupil_id=pupil_id, today=today, namer=Namer.everyone()
                )
            counts.append(len(queries(statements)))
        assert counts == [10, 60]  # a loop per pupil is caught


def test_the_overview_costs_the_same_for_5_and_30_pupils(
    db: Session, counted: tuple[Litestar, list[str]]
) -> None:
    small, large = make_group(db, name="7S", size=5), make_group(db, name="7L", size=30)
    groups = {5: group_id(db, "7S"), 30: group_id(db, "7L")}
    assert len(small) == 5 and len(large) == 30
    app, statements = counted
    mentor = demo_person(db, "mentor-4a")
    assert mentor.id is not None
    with TestClient(app) as client:
        visitor = Visitor(client)
        assert (
            visitor.enrol(issue_enrolment_code(db, person_id=mentor.id, hours=1)).status_code == 201
        )
        for path in ("/groups/{}", "/api/groups/{}/overview"):
            counts = {}
            for size, gid in groups.items():
                url = path.format(gid)
                assert visitor.get(url).status_code == 200  # the pool's connections are made
                statements.clear()
                response = visitor.get(url)
                assert response.status_code == 200
                counts[size] = queries(statements)
                if path.startswith("/api"):
                    rows = response.json()["rows"]
                    assert len(rows) == size and all(r["unread"] == 2 for r in rows)
                else:
                    assert response.text.count('<tr id="pupil-') == size
            assert len(counts[5]) == len(counts[30]), (path, counts)
            # Who she is, her groups, the pupils with their unread counts, the latest
            # levels, before the talk (plans and bookings, guardians, preparations); the
            # read log's one statement for every row shown was written by the first view
            # (a read is logged once a school day).
            assert len(counts[5]) == 7, counts[5]


# ---- Outsiders -----------------------------------------------------------------------------

OUTSIDERS = [
    "maja",  # a pupil of another group
    "hugo",  # a pupil of another group of the same mentor
    "teacher-6d",
    "mentor-6d",
    "mentor-8b",
    "principal",  # leads the school, but a group's rows are for its mentors and teachers
    "principal-2",
    "guardian-lina",
    "guardian-mikael",
]


def test_outsiders_get_nothing_about_the_group(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    g4a = group_id(db, "4A")
    for key in OUTSIDERS:
        outsider = signed_in(key)
        for url in (f"/groups/{g4a}", f"/api/groups/{g4a}/overview", f"/groups?group_id={g4a}"):
            response = outsider.get(url)
            assert response.status_code in (403, 404), (key, url, response.status_code)
            assert "Alva" not in response.text and "Elias" not in response.text, (key, url)
        listed = outsider.get("/api/groups")
        if listed.status_code == 200:  # staff: her own groups only
            assert "4A" not in {g["name"] for g in listed.json()}, key
        else:
            assert listed.status_code == 403, key
        home = outsider.get("/")
        assert f'href="/groups/{g4a}"' not in home.text, key


def test_a_pupil_in_two_of_her_groups_is_unread_once_on_the_start_page(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    elias = demo_person(db, "elias")
    db.add(GroupPupil(group_id=group_id(db, "5C"), pupil_id=elias.id))  # type: ignore[arg-type]
    db.commit()
    page = english(signed_in("mentor-4a")).get("/").text
    assert "New from my pupils (1 unread)" in page
    assert page.count("<strong>1 unread comment</strong>") == 2  # in 4A and in 5C


def test_the_overview_leads_to_the_groups_talk_times(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    group = group_id(db, "4A")
    mentor = signed_in("mentor-4a")
    assert f'href="/groups/{group}/talk-times"' in mentor.get(f"/groups/{group}").text
    times = mentor.get(f"/groups/{group}/talk-times")
    assert times.status_code == 200 and "Klassrum 4A" in times.text  # the demo's times
