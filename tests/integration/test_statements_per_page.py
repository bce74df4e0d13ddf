"""Statements per page do not grow with the data (issue 21, item 3): each page of the issue's
list is asked for once on a small school and once on one with ten times the pupils, goals,
ratings, replies, notes, notifications and agreements with their signatures, and the SQL
statements of that one request are counted (after a warm-up request, so that making the
pool's connections is not counted). A page fails when its count differs between the two (a
query per row: an N+1) or passes its budget in BUDGET. A count, not a timing: it holds on any
machine, in `make test`.

Reading a failure: the message names the page and lists both runs' statements (the first 80
characters of each); the statement that repeats in the large run is the loop to fold into
one query. A page made cheaper lowers its budget in the same commit."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session, col, select

from backend.auth.service import issue_enrolment_code
from backend.db import make_engine
from backend.demo import GOALS, external, term_for
from backend.models import (
    Goal,
    GoalProposal,
    Group,
    GroupMentor,
    GroupPupil,
    GroupTeacher,
    Guardianship,
    Note,
    Notification,
    NotificationItem,
    Organisation,
    Person,
    Plan,
    Reply,
    School,
    Seen,
    SelfAssessment,
    Term,
)
from backend.plans import service as plans_service
from backend.schools.service import add_organiser
from backend.settings import Settings
from tests.integration.conftest import ORIGIN, Visitor
from tests.integration.test_agreements import sign
from tests.statements import counting_app, queries
from tests.support import MasterCopy

# The most statements one request of each page may send, today's count: a page made cheaper
# lowers its budget; one that needs more says why in the commit that raises it. The plan
# pages and a goal's card read each thread's marks (one query); the reflections list the
# families' unread messages (one query): issue 24.
BUDGET = {
    "pupil home, before the talk": 10,
    "pupil home, after the talk": 15,
    "GET /api/plan": 3,
    "rating saved (htmx card)": 9,
    "guardian's plan page": 16,  # + her own preparation's "ready" (issue 24, item 5)
    "teacher's reflections": 5,
    "mentor's group overview": 7,
    "compilation": 15,
    "written-plan page": 9,
    "principal's school overview": 6,
    "organiser's overview": 5,
    "sign-in page": 0,
}
SIZES = {"small": 1, "large": 10}  # the large school has ten times the data of the small


# ---- The two schools -------------------------------------------------------------------------


def _person(db: Session, key: str) -> Person:
    return db.exec(select(Person).where(Person.external_id == external(key))).one()


def _ratings(db: Session, goal_ids: list[int], *, per_goal: int, replier: int | None) -> None:
    """`per_goal` ratings on each goal over the last weeks, every other one with a comment;
    the newest commented one of each goal answered by `replier` and seen by her."""
    now = datetime.now(UTC)
    for goal_id in goal_ids:
        ratings = [
            SelfAssessment(
                goal_id=goal_id,
                level=1 + n % 4,
                comment="Det går bättre nu." if n % 2 else "",
                created_at=now - timedelta(days=3 * (per_goal - n)),
            )
            for n in range(per_goal)
        ]
        db.add_all(ratings)
        if replier is not None:
            db.flush()
            answered = ratings[-1] if per_goal % 2 == 0 else ratings[-2]
            db.add(Reply(self_assessment_id=answered.id, author_id=replier, text="Bra jobbat!"))  # type: ignore[arg-type]
            db.add(Seen(self_assessment_id=answered.id, person_id=replier))  # type: ignore[arg-type]


def _pupil(
    db: Session, *, group_id: int, name: str, family: str, term_id: int, year: int
) -> list[int]:
    """A pupil with a guardian, her plan this term and its three goals; the goal ids."""
    pupil = Person(given_name=name, family_name=family, user_handle=secrets.token_bytes(32))
    guardian = Person(given_name="Vh", family_name=family, user_handle=secrets.token_bytes(32))
    db.add_all([pupil, guardian])
    db.flush()
    plan = Plan(pupil_id=pupil.id, term_id=term_id, state="preparing")  # type: ignore[arg-type]
    db.add_all([GroupPupil(group_id=group_id, pupil_id=pupil.id), plan])  # type: ignore[arg-type]
    db.add(Guardianship(guardian_id=guardian.id, pupil_id=pupil.id))  # type: ignore[arg-type]
    db.flush()
    goals = [
        Goal(plan_id=plan.id, area=area, text=words, position=n)  # type: ignore[arg-type]
        for n, (area, words) in enumerate(GOALS[year])
    ]
    db.add_all(goals)
    db.flush()
    return [g.id for g in goals]  # type: ignore[misc]


def grow(db: Session, *, n: int) -> None:
    """The demo school with `n` times the data every listed page reads: in 4A 3n more pupils
    (each with a guardian and 2n ratings of each of three goals), n more groups of five in
    the school (taught Matematik by Sara Ek); for Alva and Elias 3n more goals, 2n ratings
    of each goal with the teacher's replies, 2n notes, n goal proposals, and n days of
    notifications for them and their guardians."""
    school = db.exec(select(School).where(School.external_id == external("school"))).one()
    term = db.exec(
        select(Term).where(Term.school_id == school.id, Term.code == term_for(date.today())[0])  # noqa: DTZ011
    ).one()
    g4a = db.exec(select(Group).where(Group.external_id == external("group-4A"))).one()
    ek, karin = _person(db, "teacher-ek").id, _person(db, "mentor-4a").id
    assert term.id is not None and g4a.id is not None and school.id is not None
    assert ek is not None and karin is not None
    for k in range(3 * n):
        goal_ids = _pupil(
            db, group_id=g4a.id, name=f"Elev{k:02d}", family="Fyra", term_id=term.id, year=4
        )
        _ratings(db, goal_ids, per_goal=2 * n, replier=ek if k % 3 == 0 else None)
    for g in range(n):
        group = Group(school_id=school.id, name=f"7{chr(65 + g)}", school_year=8)
        db.add(group)
        db.flush()
        assert group.id is not None
        db.add_all(
            [
                GroupMentor(group_id=group.id, mentor_id=karin if g % 2 else ek),
                GroupTeacher(group_id=group.id, teacher_id=ek, subject="Matematik"),
            ]
        )
        for k in range(5):
            goal_ids = _pupil(
                db, group_id=group.id, name=f"Elev{k}", family=f"Sju{g}", term_id=term.id, year=8
            )
            _ratings(db, goal_ids, per_goal=n, replier=None)
    today = date.today()  # noqa: DTZ011
    for key, guardian in (("alva", "guardian-anna"), ("elias", "guardian-lina")):
        pupil = _person(db, key)
        plan = db.exec(select(Plan).where(Plan.pupil_id == pupil.id, Plan.term_id == term.id)).one()
        assert pupil.id is not None and plan.id is not None
        areas = ("Matematik", "Svenska", "Engelska", "Socialt", "Idrott och hälsa")
        db.add_all(
            Goal(plan_id=plan.id, area=areas[k % 5], text=f"Mål {k}", position=3 + k)
            for k in range(3 * n)
        )
        db.flush()
        plan_goals = db.exec(select(Goal.id).where(Goal.plan_id == plan.id)).all()
        _ratings(db, [g for g in plan_goals if g is not None], per_goal=2 * n, replier=ek)
        db.add_all(
            Note(
                pupil_id=pupil.id,
                author_id=ek,
                subject="Matematik",
                text=f"Anteckning {k}",
                shared=k % 2 == 0,
            )
            for k in range(2 * n)
        )
        db.add_all(
            GoalProposal(plan_id=plan.id, area="Bild", text=f"Förslag {k}") for k in range(n)
        )
        for reader in (pupil.id, _person(db, guardian).id):
            assert reader is not None
            for day in range(n):
                digest = Notification(person_id=reader, day=today - timedelta(days=day + 1))
                db.add(digest)
                db.flush()
                assert digest.id is not None
                db.add_all(
                    NotificationItem(
                        notification_id=digest.id, kind=kind, pupil_id=pupil.id, actor_id=karin
                    )
                    for kind in ("prepare", "book", "booked")
                )
    db.commit()


class Browser(Visitor):
    """A visitor whose cookies are her own on a test client that others use as well (two
    test clients must not share one app): they are put in before each request, and taken
    back after it."""

    def __init__(self, client: TestClient[Litestar]) -> None:
        super().__init__(client)
        self.jar = httpx.Cookies()

    @contextmanager
    def own_cookies(self) -> Iterator[None]:
        self.client.cookies = self.jar
        try:
            yield
        finally:
            self.jar = self.client.cookies

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        with self.own_cookies():
            return super().get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        with self.own_cookies():
            return super().post(url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        with self.own_cookies():
            headers = {"x-csrftoken": self.token}
            return self.client.put(url, headers=headers, follow_redirects=False, **kwargs)


@dataclass
class World:
    """One school, served by an app whose statements are counted, with its people signed
    in (each with cookies of her own) and the ids the pages' paths name."""

    statements: list[str]
    people: dict[str, Browser] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)


WHO = ("alva", "elias", "guardian-anna", "teacher-ek", "mentor-4a", "principal", "organiser")


def _organiser(db: Session) -> int:
    """Someone at the municipality's office who reads the figures across its schools; the
    organisation's id."""
    office = Person(
        given_name="Oda",
        family_name="Förvaltning",
        external_id=external("organiser"),
        user_handle=secrets.token_bytes(32),
    )
    db.add(office)
    db.commit()
    assert office.id is not None
    add_organiser(db, person_id=office.id, organisation="Demokommunen")
    found = db.exec(select(Organisation.id).where(Organisation.name == "Demokommunen")).one()
    return int(found or 0)


def after_the_talk(world: World, *, n: int) -> None:
    """Alva's written plan, published with 2n agreements, each signed by Alva and by Anna
    (all at once, as the page offers), through the JSON API."""
    mentor, alva = world.people["mentor-4a"], world.ids["alva"]
    yesterday = (date.today() - timedelta(days=1)).isoformat()  # noqa: DTZ011
    due = (date.today() + timedelta(days=30)).isoformat()  # noqa: DTZ011
    saved = mentor.put(
        f"/api/pupils/{alva}/summary",
        json={"version": 0, "held_on": yesterday, "measures_school": "Extra lästräning."},
    )
    assert saved.status_code == 200, saved.text
    made = []
    for k in range(2 * n):
        party = ("pupil", "school", "home")[k % 3]
        body = {"text": f"Överenskommelse {k}", "party": party, "due_on": due}
        created = mentor.post(f"/api/pupils/{alva}/agreements", json=body)
        assert created.status_code == 201, created.text
        made.append(created.json()["id"])
    published = mentor.post(f"/api/pupils/{alva}/summary/publish", json={})
    assert published.status_code == 200, published.text
    for key in ("alva", "guardian-anna"):
        signed = sign(world.people[key], made[0], every=True)
        assert signed.status_code == 201, signed.text


def _ids(db: Session) -> dict[str, int]:
    ids = {key: _person(db, key).id for key in WHO}
    ids["group"] = db.exec(select(Group.id).where(Group.external_id == external("group-4A"))).one()
    ids["school"] = db.exec(select(School.id).where(School.external_id == external("school"))).one()
    ids["goal"] = db.exec(  # Elias's first goal, rated on the page "rating saved"
        select(Goal.id).join(Plan).where(Plan.pupil_id == ids["elias"]).order_by(col(Goal.id))
    ).first()
    assert all(isinstance(v, int) for v in ids.values())
    return ids  # type: ignore[return-value]


@pytest.fixture(scope="module")
def worlds(
    tmp_path_factory: pytest.TempPathFactory, demo_master: MasterCopy
) -> Iterator[dict[str, World]]:
    """The small and the large school, each on its own copy of the demo database."""
    made: dict[str, World] = {}
    with ExitStack() as stack:
        for size, n in SIZES.items():
            url = demo_master.copy(size)
            settings = Settings(
                database_url=url,
                origin=ORIGIN,
                rp_id="localhost",
                secret_key="test-secret",
                debug=True,
            )
            engine = make_engine(settings.database_url)
            with Session(engine, expire_on_commit=False) as db:
                grow(db, n=n)
                organisation = _organiser(db)
                ids = _ids(db) | {"organisation": organisation}
                codes = {k: issue_enrolment_code(db, person_id=ids[k], hours=1) for k in WHO}
            engine.dispose()
            app, statements = counting_app(settings)
            stack.callback(app.state.engine.dispose)
            client = stack.enter_context(TestClient(app))
            world = made[size] = World(statements=statements, ids=ids)
            for key in (*WHO, "guest"):
                browser = world.people[key] = Browser(client)
                if key != "guest":
                    assert browser.enrol(codes[key]).status_code == 201
            after_the_talk(world, n=n)
        yield made


# ---- The pages and the check -----------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One request as its reader sends it: who, how, where (ids by name, as in World.ids)."""

    who: str
    path: str
    method: str = "GET"
    htmx: bool = False
    form: dict[str, str] = field(default_factory=dict)


PAGES = {
    "pupil home, before the talk": Page("elias", "/"),
    "pupil home, after the talk": Page("alva", "/"),
    "GET /api/plan": Page("alva", "/api/plan"),
    "rating saved (htmx card)": Page(
        "elias", "/goals/{goal}/self-assessments", "POST", htmx=True, form={"level": "3"}
    ),
    "guardian's plan page": Page("guardian-anna", "/pupils/{alva}"),
    "teacher's reflections": Page("teacher-ek", "/reflections"),
    "mentor's group overview": Page("mentor-4a", "/groups/{group}"),
    "compilation": Page("mentor-4a", "/pupils/{alva}/compilation"),
    "written-plan page": Page("mentor-4a", "/pupils/{alva}/written-plan"),
    "principal's school overview": Page("principal", "/schools/{school}"),
    "organiser's overview": Page("organiser", "/organisations/{organisation}"),
    "sign-in page": Page("guest", "/login"),
}


def request(world: World, page: Page) -> httpx.Response:
    visitor = world.people[page.who]
    url = page.path.format(**world.ids)
    headers = {"hx-request": "true"} if page.htmx else {}
    if page.method == "POST":
        return visitor.post(url, data=page.form, headers=headers)
    return visitor.get(url, headers=headers)


def statements_of(world: World, page: Page) -> tuple[list[str], int]:
    """The statements of one request of `page`, after a warm-up request, and the length
    of its answer."""
    warm = request(world, page)
    assert warm.status_code == 200, (page, warm.status_code, warm.text[:300])
    world.statements.clear()
    response = request(world, page)
    assert response.status_code == 200, (page, response.status_code, response.text[:300])
    return queries(world.statements), len(response.content)


def verdict(name: str, *, small: list[str], large: list[str], budget: int) -> str | None:
    """None when `name` sent as many statements for the large school as for the small one
    and no more than its budget; else what is wrong, with both runs' statements."""
    if len(small) == len(large) <= budget:
        return None
    problem = (
        f"{name}: {len(small)} statements for the small school, {len(large)} for the large"
        if len(small) != len(large)
        else f"{name}: {len(large)} statements, over its budget of {budget}"
    )

    def listing(run: list[str]) -> str:
        return "\n".join(f"  {' '.join(s.split())[:80]}" for s in run)

    return f"{problem}\nsmall:\n{listing(small)}\nlarge:\n{listing(large)}"


def count(worlds: dict[str, World], name: str) -> tuple[list[str], list[str]]:
    """The statements of `name` for the small and the large school; the large school's
    answer is the longer one (it shows the larger data), the sign-in page's aside, and the
    organiser's, whose counts are larger but no longer."""
    (small, shown), (large, more) = (statements_of(worlds[s], PAGES[name]) for s in SIZES)
    assert more > shown or PAGES[name].who in ("guest", "organiser"), (name, shown, more)
    return small, large


@pytest.mark.parametrize("name", list(PAGES))
def test_statements_per_page_do_not_grow_with_the_data(worlds: dict[str, World], name: str) -> None:
    small, large = count(worlds, name)
    print(f"{name}: small {len(small)}, large {len(large)}, budget {BUDGET[name]}")
    problem = verdict(name, small=small, large=large, budget=BUDGET[name])
    assert problem is None, problem


def test_a_planted_query_per_goal_is_caught(
    worlds: dict[str, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check is not blind: the plan read with one more statement for each goal (an
    N+1 planted on purpose) makes the pupil's home fail it, through the same verdict."""
    name = "pupil home, before the talk"
    small, large = count(worlds, name)
    assert verdict(name, small=small, large=large, budget=BUDGET[name]) is None
    plan_of = plans_service.plan_of

    def one_more_per_goal(session: Session, **kwargs: Any) -> Any:
        plan = plan_of(session, **kwargs)
        for goal in plan.goals if plan else []:
            session.exec(select(Goal.text).where(Goal.id == goal.id)).one()
        return plan

    monkeypatch.setattr(plans_service, "plan_of", one_more_per_goal)
    small, large = count(worlds, name)
    problem = verdict(name, small=small, large=large, budget=BUDGET[name])
    assert problem is not None and problem.startswith(f"{name}: ") and "for the large" in problem
    assert len(large) - len(small) >= 3 * (SIZES["large"] - SIZES["small"])  # his 27 more goals
