"""The talk cycle in figures for the principal (issue 22, item 1): per group, school year
and school, counts equal to what was put in the database (a group of 30 whose cycle the
test writes row by row), no count about fewer than five pupils (nor its complement) shown,
and an earlier term on asking. (Who may not read it at all: test_stats.py's outsiders,
on the same route.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from backend.models import (
    Agreement,
    Booking,
    Group,
    Guardianship,
    Person,
    Plan,
    PlanEvent,
    Preparation,
    Summary,
    TalkTime,
)
from backend.stats.cycle import BASES
from backend.stats.suppression import small
from tests.integration.conftest import Visitor, demo_person
from tests.statements import make_group

# Of the group's 30 pupils (the first n of them, by the order make_group made them):
PREPARED, GUARDIANS, BOOKED, HELD, PUBLISHED, AGREEMENTS, SIGNED, FOLLOWED = (
    12,
    9,
    20,
    17,
    15,
    16,
    10,
    5,
)


def write_cycle(db: Session, pupils: list[int]) -> None:
    """The cycle of each pupil of the group, row by row: the truth the figures must equal."""
    now = datetime.now(UTC)
    mentor = demo_person(db, "mentor-4a")
    group = db.exec(select(Group).where(Group.name == "7E")).one()
    for n, pupil_id in enumerate(pupils):
        plan = db.exec(select(Plan).where(Plan.pupil_id == pupil_id)).one()
        assert plan.id is not None and group.id is not None and mentor.id is not None
        if n < PREPARED:
            db.add(Preparation(plan_id=plan.id, author_id=pupil_id, audience="pupil", ready_at=now))
        if n < GUARDIANS:
            guardian = Person(given_name="Vh", family_name=f"{n}", user_handle=bytes([n]) * 32)
            db.add(guardian)
            db.flush()
            db.add(Guardianship(guardian_id=guardian.id, pupil_id=pupil_id))  # type: ignore[arg-type]
            db.add(
                Preparation(
                    plan_id=plan.id, author_id=guardian.id, audience="guardian", ready_at=now
                )
            )
        if n < BOOKED:
            start = now + timedelta(days=3, minutes=30 * n)
            time = TalkTime(
                group_id=group.id,
                term_id=plan.term_id,
                mentor_id=mentor.id,
                starts_at=start,
                ends_at=start + timedelta(minutes=20),
                closes_at=start - timedelta(days=1),
            )
            db.add(time)
            db.flush()
            assert time.id is not None
            db.add(
                Booking(
                    talk_time_id=time.id,
                    pupil_id=pupil_id,
                    term_id=plan.term_id,
                    booked_by_id=pupil_id,
                )
            )
        if n < HELD:
            db.add(PlanEvent(plan_id=plan.id, state="held", by_id=mentor.id))
        if n < PUBLISHED:
            db.add(Summary(plan_id=plan.id, held_on=now.date(), published_at=now))
        if n < AGREEMENTS:
            state = "done" if n < FOLLOWED else "signed" if n < SIGNED else "open"
            db.add(
                Agreement(
                    plan_id=plan.id, text="Läsa", party="pupil", due_on=now.date(), state=state
                )
            )
    db.commit()


def cycle_of(principal: Visitor, school_id: int, query: str = "") -> dict[str, object]:
    body = principal.get(f"/api/schools/{school_id}/overview{query}").json()
    return body["cycle"]


def test_the_figures_are_what_the_database_holds_and_none_is_small(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    pupils = make_group(db, name="7E", size=30)
    write_cycle(db, pupils)
    school_id = db.exec(select(Group).where(Group.name == "7E")).one().school_id
    cycle = cycle_of(signed_in("principal"), school_id)
    assert cycle["current"] is True and cycle["term"] == cycle["terms"][0]
    group = next(g for g in cycle["groups"] if g["name"] == "7E")
    expected = {
        "pupils": 30,
        "prepared": PREPARED,
        "guardians_prepared": GUARDIANS,
        "booked": BOOKED,
        "held": HELD,
        "required": 0,  # åk 7: the written plan is the school's choice
        "published_required": 0,
        "others": 30,
        "published_others": PUBLISHED,
        "with_agreements": AGREEMENTS,
        "agreements_signed": SIGNED,
        "agreements_followed_up": FOLLOWED,
        "not_rated_this_month": 0,  # make_group rated every goal today
    }
    assert {name: group[name] for name in expected} == expected
    assert group["suppressed"] == []
    # Every row of the table: a count shown is no count about fewer than five pupils,
    # and neither is what it leaves out of its base.
    rows = [*cycle["groups"], *cycle["years"], cycle["total"]]
    for row in rows:
        for name, base in BASES.items():
            value = row[name]
            if value is None:
                assert name in row["suppressed"]
                continue
            assert not small(value), (row, name)
            if base is not None and row[base] is not None:
                assert not small(row[base] - value), (row, name, "complement")
    # The demo's small groups are hidden, and the year 7 total is the group of 30 alone.
    small_group = next(g for g in cycle["groups"] if g["name"] == "4A")
    assert small_group["pupils"] is None and "pupils" in small_group["suppressed"]
    year7 = next(y for y in cycle["years"] if y["school_year"] == 7)
    assert year7["pupils"] == 30 and year7["prepared"] == PREPARED


def test_one_more_group_hides_what_the_total_would_give_away(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """Year 7 has the group of 30 and a group of 6 where 3 have booked: the 3 are hidden,
    and so is the 30-group's count of bookings, else the year's total minus it gives 3."""
    pupils = make_group(db, name="7E", size=30)
    write_cycle(db, pupils)
    more = make_group(db, name="7F", size=6)
    school_id = db.exec(select(Group).where(Group.name == "7E")).one().school_id
    f = db.exec(select(Group).where(Group.name == "7F")).one()
    mentor = demo_person(db, "mentor-4a")
    now = datetime.now(UTC)
    for n, pupil_id in enumerate(more[:3]):
        plan = db.exec(select(Plan).where(Plan.pupil_id == pupil_id)).one()
        start = now + timedelta(days=5, minutes=30 * n)
        time = TalkTime(
            group_id=f.id,  # type: ignore[arg-type]
            term_id=plan.term_id,
            mentor_id=mentor.id,  # type: ignore[arg-type]
            starts_at=start,
            ends_at=start + timedelta(minutes=20),
            closes_at=start,
        )
        db.add(time)
        db.flush()
        db.add(
            Booking(
                talk_time_id=time.id, pupil_id=pupil_id, term_id=plan.term_id, booked_by_id=pupil_id
            )
        )  # type: ignore[arg-type]
    db.commit()
    cycle = cycle_of(signed_in("principal"), school_id)
    groups = {g["name"]: g for g in cycle["groups"]}
    year7 = next(y for y in cycle["years"] if y["school_year"] == 7)
    assert groups["7F"]["booked"] is None  # 3 of 6
    assert year7["booked"] is None or groups["7E"]["booked"] is None, "23 - 20 = 3"
    shown = [
        g["booked"] for g in groups.values() if g["school_year"] == 7 and g["booked"] is not None
    ]
    if year7["booked"] is not None:
        assert not small(year7["booked"] - sum(shown))


def test_an_earlier_term_on_asking(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    principal = signed_in("principal")
    school_id = db.exec(select(Group).where(Group.name == "4A")).one().school_id
    now = cycle_of(principal, school_id)
    assert now["terms"], "the demo school has terms"
    for code in now["terms"]:
        earlier = cycle_of(principal, school_id, f"?term={code}")
        assert earlier["term"] == code
        assert earlier["current"] is (code == now["term"])
        if code != now["term"]:
            assert earlier["total"]["not_rated_this_month"] is None
    unknown = cycle_of(principal, school_id, "?term=HT1999")
    assert unknown["term"] == now["term"]
