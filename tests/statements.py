"""What the speed checks share (issue 21), the tests and the bench alike: counting the SQL
statements a request sends (a DBAPI-level counter that sees the ORM's statements and the
prebuilt `db.Query` ones alike), and a group of any size to count them on."""

from __future__ import annotations

import secrets
import sqlite3
from datetime import date
from typing import Any

import psycopg
from litestar import Litestar
from sqlalchemy import event
from sqlmodel import Session, select

from backend.app import create_app
from backend.demo import external, term_for
from backend.models import (
    Goal,
    Group,
    GroupMentor,
    GroupPupil,
    Person,
    Plan,
    Seen,
    SelfAssessment,
    Term,
)
from backend.settings import Settings

AREAS = ("Engelska", "Matematik", "Socialt")


def _counting(base: type[Any], log: list[str]) -> type[Any]:
    """A DBAPI cursor class that appends every statement to `log`, sent through the ORM or
    a prebuilt Query alike (both run on a DBAPI cursor); one executemany is one."""

    class Counting(base):  # type: ignore[misc, valid-type]
        def execute(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
            log.append(str(sql))
            return super().execute(sql, *args, **kwargs)

        def executemany(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
            log.append(str(sql))
            return super().executemany(sql, *args, **kwargs)

    return Counting


def counting_app(settings: Settings) -> tuple[Litestar, list[str]]:
    """The app for `settings`, and the list every statement it sends is appended to, on
    SQLite or PostgreSQL."""
    statements: list[str] = []
    app = create_app(settings)
    if app.state.engine.dialect.name == "sqlite":
        cursor = _counting(sqlite3.Cursor, statements)

        class Connection(sqlite3.Connection):
            def cursor(self, factory: Any = None) -> Any:
                return super().cursor(factory or cursor)

        extra: dict[str, Any] = {"factory": Connection}
    else:
        extra = {"cursor_factory": _counting(psycopg.Cursor, statements)}

    @event.listens_for(app.state.engine, "do_connect")
    def counted(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        params.update(extra)

    return app, statements


def queries(statements: list[str]) -> list[str]:
    """What the request asked of the database: not a new connection's PRAGMAs (SQLite) or
    the pool's check that a connection still lives (`;`, PostgreSQL)."""
    return [
        s
        for s in statements
        if not s.lstrip().upper().startswith("PRAGMA") and s.strip() not in (";", "")
    ]


def make_group(db: Session, *, name: str, size: int, mentor: str = "mentor-4a") -> list[int]:
    """A group of `size` pupils in the demo school, mentored by `mentor`, each with a plan
    this term, three goals, two ratings per goal (one with a comment) and one seen; the
    pupils' ids. For the speed checks: the same group is large or small."""
    school_id = db.exec(select(Group).where(Group.name == "4A")).one().school_id
    term = db.exec(select(Term).where(Term.code == term_for(date.today())[0])).one()  # noqa: DTZ011
    group = Group(school_id=school_id, name=name, school_year=7)
    db.add(group)
    db.flush()
    mentor_id = db.exec(select(Person).where(Person.external_id == external(mentor))).one().id
    db.add(GroupMentor(group_id=group.id, mentor_id=mentor_id))
    pupils = []
    for n in range(size):
        pupil = Person(
            given_name=f"Elev{n:02d}", family_name=name, user_handle=secrets.token_bytes(32)
        )
        db.add(pupil)
        db.flush()
        db.add(GroupPupil(group_id=group.id, pupil_id=pupil.id))
        plan = Plan(pupil_id=pupil.id, term_id=term.id)  # type: ignore[arg-type]
        db.add(plan)
        db.flush()
        for position, area in enumerate(AREAS):
            goal = Goal(plan_id=plan.id, area=area, text=f"Mål {area}", position=position)  # type: ignore[arg-type]
            db.add(goal)
            db.flush()
            assert goal.id is not None
            db.add(SelfAssessment(goal_id=goal.id, level=1 + n % 4, comment=""))
            rating = SelfAssessment(goal_id=goal.id, level=1 + (n + 1) % 4, comment="Svårt")
            db.add(rating)
            db.flush()
            if position == 0:
                db.add(Seen(self_assessment_id=rating.id, person_id=mentor_id))  # type: ignore[arg-type]
        assert pupil.id is not None
        pupils.append(pupil.id)
    db.commit()
    return pupils
