"""The organiser's overview at a municipality's size (issue 22, item 3): 20 schools, about
50,000 pupils with this term's plans and a term's worth of the talk cycle, on a throwaway
PostgreSQL database (and on SQLite with --databases sqlite postgresql). The data is written
with bulk inserts (a few seconds; the generated municipality's full seeding takes minutes
at this size); the app runs as `iup serve` (one worker), the organiser signed in; the
overview is asked for --requests times one after another, as she opens it, and the JSON
and the page are timed from the outside. Prints the median and the slowest answer. (The
statements one request sends, 5 whatever the size, are counted by
tests/integration/test_statements_per_page.py.)

Run: `.venv/bin/python bench/organisation.py [--pupils 50000] [--requests 10]`; part of
`make bench`."""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Table, insert, text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.auth.sessions import SESSION_COOKIE, start_session
from backend.db import make_engine, upgrade
from backend.demo import term_for
from backend.models import (
    Agreement,
    Booking,
    Goal,
    Group,
    GroupPupil,
    Guardianship,
    Organisation,
    OrganisationSchool,
    Organiser,
    Person,
    Plan,
    PlanEvent,
    Preparation,
    School,
    SelfAssessment,
    Summary,
    TalkTime,
    Term,
)
from backend.settings import Settings
from bench.pages import postgres_database
from tests.support import free_port, stop_server

SCHOOLS = 20
YEARS = range(1, 10)
IUP = str(Path(sys.executable).parent / "iup")


def table(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]


class Rows:
    """The rows to insert, by model, with ids handed out in order (a fresh database)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311  (made-up data, the same every run)
        self.by_model: dict[Any, list[dict[str, Any]]] = {}
        self.ids: dict[str, int] = {}
        self.now = datetime.now(UTC)

    def add(self, model: Any, **values: Any) -> None:
        self.by_model.setdefault(model, []).append(values)

    def next_id(self, kind: str) -> int:
        self.ids[kind] = self.ids.get(kind, 0) + 1
        return self.ids[kind]

    def person(self, given: str, family: str) -> int:
        pid = self.next_id("person")
        self.add(Person, id=pid, given_name=given, family_name=family,
                 user_handle=os.urandom(32), created_at=self.now)  # fmt: skip
        return pid


def _pupil(rows: Rows, *, group: int, term: int, mentor: int, n: int, today: Any) -> None:
    """One pupil, her guardian and her plan, and how far it has come: rated (80 %),
    prepared (60 %), a guardian prepared (40 %), booked (50 %), held (40 %), then the
    written plan published and an agreement (70 % of those)."""
    rng, now = rows.rng, rows.now
    pupil, guardian = rows.person(f"Elev{n}", f"G{group}"), rows.person(f"Vh{n}", f"G{group}")
    rows.add(GroupPupil, group_id=group, pupil_id=pupil)
    rows.add(Guardianship, guardian_id=guardian, pupil_id=pupil)
    plan, goal, held = rows.next_id("plan"), rows.next_id("goal"), rng.random() < 0.4
    rows.add(Plan, id=plan, pupil_id=pupil, term_id=term, state="held" if held else "preparing")
    rows.add(Goal, id=goal, plan_id=plan, area="Svenska", text="Läsa", position=0, created_at=now)
    if rng.random() < 0.8:
        ago = timedelta(days=rng.randint(0, 60))
        rows.add(
            SelfAssessment, goal_id=goal, level=rng.randint(1, 4), comment="", created_at=now - ago
        )
    for author, audience, share in ((pupil, "pupil", 0.6), (guardian, "guardian", 0.4)):
        if rng.random() < share:
            rows.add(Preparation, plan_id=plan, author_id=author, audience=audience, ready_at=now)
    if rng.random() < 0.5:
        at, time_id = now + timedelta(days=3, minutes=20 * n), rows.next_id("time")
        rows.add(TalkTime, id=time_id, group_id=group, term_id=term, mentor_id=mentor,
                 starts_at=at, ends_at=at + timedelta(minutes=20), closes_at=at)  # fmt: skip
        rows.add(Booking, talk_time_id=time_id, pupil_id=pupil, term_id=term,
                 booked_by_id=guardian, booked_at=now)  # fmt: skip
    if held:
        rows.add(PlanEvent, plan_id=plan, state="held", at=now)
        if rng.random() < 0.7:
            rows.add(Summary, plan_id=plan, held_on=today, published_at=now)
            rows.add(Agreement, plan_id=plan, text="Läsa", party="pupil", due_on=today,
                     state=rng.choice(["open", "signed", "done"]), created_at=now)  # fmt: skip


def build(url: str, *, pupils: int, seed: int = 7) -> tuple[int, int]:
    """The municipality, written in bulk; returns the organisation's id and the organiser's."""
    upgrade(url)
    today = Settings().today()
    code, starts, ends = term_for(today)
    rows = Rows(seed)
    per_class = 28
    classes = max(1, pupils // (SCHOOLS * len(YEARS) * per_class))
    rows.add(Organisation, id=1, name="Storkommunen", external_id=None)
    office = rows.person("Oda", "Förvaltning")
    rows.add(Organiser, organisation_id=1, person_id=office)
    for s in range(1, SCHOOLS + 1):
        rows.add(School, id=s, name=f"Skola {s:02d}", unit_code=f"{s:08d}")
        rows.add(OrganisationSchool, organisation_id=1, school_id=s)
        term = rows.next_id("term")
        rows.add(Term, id=term, school_id=s, code=code, starts_on=starts, ends_on=ends,
                 summary_years="1,2,3,4,5", opened_at=rows.now)  # fmt: skip
        mentor = rows.person("Mentor", f"Skola{s}")
        for year in YEARS:
            for c in range(classes):
                group = rows.next_id("group")
                rows.add(
                    Group, id=group, school_id=s, name=f"{year}{chr(65 + c)}", school_year=year
                )
                for n in range(per_class):
                    _pupil(rows, group=group, term=term, mentor=mentor, n=n, today=today)
    _write(url, rows)
    return 1, office


def _write(url: str, rows: Rows) -> None:
    """In the models' order (parents first), 5,000 rows a statement; on PostgreSQL the
    sequences follow the ids given, and the statistics are gathered, as autovacuum would."""
    order = (Organisation, School, OrganisationSchool, Person, Organiser, Term, Group,
             GroupPupil, Guardianship, Plan, Goal, SelfAssessment, Preparation, TalkTime,
             Booking, PlanEvent, Summary, Agreement)  # fmt: skip
    engine = make_engine(url)
    with engine.begin() as connection:
        for model in order:
            batch = rows.by_model.get(model, [])
            for start in range(0, len(batch), 5000):
                connection.execute(insert(table(model)), batch[start : start + 5000])
        if engine.dialect.name == "postgresql":
            for model in order:
                name = table(model).name
                if "id" in table(model).c:
                    connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "  # noqa: S608
                            f'COALESCE((SELECT max(id) FROM "{name}"), 1))'
                        )
                    )
            connection.execute(text("ANALYZE"))
    engine.dispose()


@contextlib.contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "postgresql":
        with postgres_database() as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{tmp}/town.db"


def measure(kind: str, *, pupils: int, requests: int) -> dict[str, Any]:
    with database(kind) as url:
        started = time.monotonic()
        organisation, office = build(url, pupils=pupils)
        built = time.monotonic() - started
        engine = make_engine(url)
        with Session(engine) as session:
            token = start_session(session, person_id=office, passkey_id=None, hours=1)
        port = free_port()
        base = f"http://localhost:{port}"
        env = {**os.environ, "IUP_DATABASE_URL": url, "IUP_ORIGIN": base,
               "IUP_SECRET_KEY": "bench-town"}  # fmt: skip
        with tempfile.NamedTemporaryFile("wb", suffix=".log") as log:
            process = subprocess.Popen(
                [IUP, "serve", "--host", "127.0.0.1", "--port", str(port)],
                stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )  # fmt: skip
            try:
                with httpx.Client(base_url=base, cookies={SESSION_COOKIE: token}, timeout=60) as c:
                    _wait(c, process)
                    figures: dict[str, Any] = {"database": kind, "built_s": round(built, 1)}
                    for label, path in (
                        ("json", f"/api/organisations/{organisation}/overview"),
                        ("page", f"/organisations/{organisation}"),
                    ):
                        first = c.get(path)  # warms the prepared statements
                        assert first.status_code == 200, first.text[:300]
                        times = []
                        for _ in range(requests):
                            t = time.perf_counter()
                            answer = c.get(path)
                            times.append(time.perf_counter() - t)
                            assert answer.status_code == 200
                        figures[label] = {
                            "p50_ms": round(statistics.median(times) * 1000),
                            "max_ms": round(max(times) * 1000),
                        }
                    body = c.get(f"/api/organisations/{organisation}/overview").json()
                    figures["pupils"] = body["total"]["pupils"]
                    figures["schools"] = len(body["schools"])
                    return figures
            finally:
                stop_server(process)
                engine.dispose()


def _wait(client: httpx.Client, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit("iup serve exited")
        with contextlib.suppress(httpx.TransportError):
            if client.get("/healthz").status_code == 200:
                return
        time.sleep(0.1)
    raise SystemExit("iup serve did not answer within 30 s")


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/organisation.py")
    parser.add_argument("--pupils", type=int, default=50_400)  # 20 schools x 9 years x 10 x 28
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--databases", nargs="+", default=["postgresql"])
    args = parser.parse_args()
    for kind in args.databases:
        figures = measure(kind, pupils=args.pupils, requests=args.requests)
        print(
            f"organiser's overview, {figures['schools']} schools, {figures['pupils']} pupils, "
            f"{kind} (built in {figures['built_s']} s):"
        )
        for label in ("json", "page"):
            f = figures[label]
            print(f"  {label:5} p50 {f['p50_ms']} ms, slowest {f['max_ms']} ms")


if __name__ == "__main__":
    main()
