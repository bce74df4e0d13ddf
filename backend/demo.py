"""A demo school to try the app with: two groups (åk 4 and åk 8), a mentor for each, two
subject teachers, a principal, pupils with goals, and guardians — one pupil with two
guardians in separate households, one guardian without access, one with two children.
Staff pages get something to show: running notes, a teacher's reply, a pending goal
proposal, and a group of five pupils in åk 5 and one of four in åk 6 (a group under five is
suppressed in the principal's overview). Idempotent: people and groups are found again by
their external id."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import Session, SQLModel, select

from backend.models import (
    Goal,
    GoalProposal,
    Group,
    GroupMentor,
    GroupPupil,
    GroupTeacher,
    Guardianship,
    Note,
    Person,
    Plan,
    Reply,
    School,
    SchoolPrincipal,
    SelfAssessment,
    TalkTime,
    Term,
    utcnow,
)
from backend.talks import series as talks
from backend.terms import questions

T = TypeVar("T", bound=SQLModel)

GOALS = {
    4: [
        ("Matematik", "Jag kan multiplikationstabellerna upp till 10."),
        ("Svenska", "Jag läser en kapitelbok och kan berätta vad den handlar om."),
        ("Socialt", "Jag räcker upp handen och väntar på min tur."),
    ],
    5: [
        ("Matematik", "Jag kan räkna med bråk och visa hur jag tänker."),
        ("Engelska", "Jag kan berätta om min vardag på engelska."),
        ("Socialt", "Jag lyssnar när andra pratar i gruppen."),
    ],
    6: [
        ("Matematik", "Jag kan räkna med procent i vardagliga exempel."),
        ("Engelska", "Jag kan läsa en kort text och svara på frågor om den."),
        ("Studieteknik", "Jag lämnar in mina uppgifter i tid."),
    ],
    8: [
        ("Matematik", "Jag kan lösa ekvationer i två steg och förklara hur jag tänker."),
        ("Engelska", "Jag kan skriva en sammanhängande text om en vardaglig händelse."),
        ("Studieteknik", "Jag planerar mina läxor i kalendern varje söndag."),
    ],
}


def external(key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://iup.invalid/demo/{key}"))


def term_for(today: date) -> tuple[str, date, date]:
    """Spring term (VT) January–July, autumn term (HT) August–December."""
    if today.month >= 8:
        return f"HT{today.year}", date(today.year, 8, 1), date(today.year, 12, 31)
    return f"VT{today.year}", date(today.year, 1, 1), date(today.year, 7, 31)


def _one(session: Session, model: type[T], **where: object) -> T | None:
    query = select(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return session.exec(query).first()


def _person(
    session: Session, key: str, given: str, family: str, locale: str | None = None
) -> Person:
    person = _one(session, Person, external_id=external(key))
    if person is None:
        person = Person(
            given_name=given,
            family_name=family,
            external_id=external(key),
            user_handle=secrets.token_bytes(32),
            locale=locale,
        )
        session.add(person)
        session.flush()
    return person


def _link(session: Session, model: type[SQLModel], **fields: object) -> None:
    """Adds a link row unless its primary key is there already."""
    key = tuple(fields[column.name] for column in model.__table__.primary_key)  # type: ignore[attr-defined]
    if session.get(model, key) is None:
        session.add(model(**fields))


# (group, school year, its mentor, its pupils): a pupil's key is her given name in lower case.
CLASSES = [
    ("4A", 4, ("mentor-4a", "Karin", "Lind"), "Alva Nilsson, Elias Karlsson"),
    ("8B", 8, ("mentor-8b", "Johan", "Berg"), "Maja Andersson, Omar Haddad"),
    (
        "5C",
        5,
        ("mentor-4a", "Karin", "Lind"),
        "Hugo Lund, Ella Berg, Noah Ström, Saga Holm, Liam Sjö",
    ),
    ("6D", 6, ("mentor-6d", "Nils", "Ahl"), "Wilma Dahl, Adam Falk, Ebba Wik, Leo Ek"),
]
# (key, given, family, children, access, locale)
GUARDIANS = [
    ("anna", "Anna", "Nilsson", ("alva",), True, None),  # two households: Anna and Per
    ("per", "Per", "Nilsson", ("alva",), True, None),
    ("lina", "Lina", "Karlsson", ("elias",), True, None),
    ("eva", "Eva", "Andersson", ("maja",), True, None),
    ("mikael", "Mikael", "Andersson", ("maja",), False, None),  # restricted: no access
    ("layla", "Layla", "Haddad", ("omar",), True, "ar"),
    ("sanna", "Sanna", "Dahl", ("wilma", "adam"), True, None),  # siblings in 6D
]


def seed(session: Session, *, today: date) -> list[tuple[str, Person]]:
    """Returns (role, person) for everyone a demo sign-in link is printed for."""
    school, term = _school(session, today=today)
    principal = _person(session, "principal", "Birgitta", "Holm")
    _link(session, SchoolPrincipal, school_id=school.id, principal_id=principal.id)
    teachers = [
        (_person(session, "teacher-ek", "Sara", "Ek"), "Matematik"),
        (_person(session, "teacher-hassan", "Ali", "Hassan"), "Engelska"),
    ]
    people = [("principal", principal)]
    people += [(f"teacher of {subject}", teacher) for teacher, subject in teachers]
    pupils = _classes(session, school=school, term=term, teachers=teachers, people=people)
    people += _guardians(session, pupils=pupils, principal=principal)
    _staff_work(session, pupils=pupils)
    _last_term(
        session,
        school=school,
        pupils=[pupils[k] for k in ("hugo", "ella", "noah", "saga", "liam")],
        today=today,
    )
    _talk_times(session, today=today)
    people += _elsewhere(session)
    session.commit()
    return people


def _school(session: Session, *, today: date) -> tuple[School, Term]:
    """The demo school and its term today (with the default questions when new)."""
    school = _one(session, School, external_id=external("school"))
    if school is None:
        school = School(name="Demoskolan", unit_code="12345678", external_id=external("school"))
        session.add(school)
        session.flush()
    assert school.id is not None
    code, starts, ends = term_for(today)
    term = _one(session, Term, school_id=school.id, code=code)
    if term is None:
        term = Term(
            school_id=school.id, code=code, starts_on=starts, ends_on=ends, opened_at=utcnow()
        )
        session.add(term)
        session.flush()
        assert term.id is not None
        questions.add_defaults(session, term_id=term.id)
    return school, term


def _classes(
    session: Session,
    *,
    school: School,
    term: Term,
    teachers: list[tuple[Person, str]],
    people: list[tuple[str, Person]],
) -> dict[str, Person]:
    """The groups, their mentors and pupils (added to `people`), each pupil's plan."""
    assert school.id is not None
    pupils: dict[str, Person] = {}
    for name, year, mentor_key, members in CLASSES:
        group = _one(session, Group, external_id=external(f"group-{name}"))
        if group is None:
            group = Group(
                school_id=school.id,
                name=name,
                school_year=year,
                external_id=external(f"group-{name}"),
            )
            session.add(group)
            session.flush()
        mentor = _person(session, *mentor_key)
        _link(session, GroupMentor, group_id=group.id, mentor_id=mentor.id)
        if all(mentor is not person for _role, person in people):  # Karin mentors two groups
            people.append((f"mentor of {name}", mentor))
        for teacher, subject in teachers if year != 6 else []:
            _link(session, GroupTeacher, group_id=group.id, teacher_id=teacher.id, subject=subject)
        for member in members.split(", "):
            given, family = member.split(" ")
            key = given.lower()
            pupil = pupils[key] = _person(session, key, given, family)
            _link(session, GroupPupil, group_id=group.id, pupil_id=pupil.id)
            people.append((f"pupil in {name}", pupil))
            _plan(session, pupil=pupil, term=term, year=year)
    return pupils


def _guardians(
    session: Session, *, pupils: dict[str, Person], principal: Person
) -> list[tuple[str, Person]]:
    people = []
    for key, given, family, children, access, locale in GUARDIANS:
        guardian = _person(session, f"guardian-{key}", given, family, locale)
        for child in children:
            _link(
                session,
                Guardianship,
                guardian_id=guardian.id,
                pupil_id=pupils[child].id,
                has_access=access,
                # Mikael's restriction (a court order) is the principal's decision: a change
                # of the school's guardian relations keeps it.
                decided_at=None if access else utcnow(),
                decided_by_id=None if access else principal.id,
            )
        names = " and ".join(pupils[child].name for child in children)
        role = f"guardian of {names}" + ("" if access else " (restricted, no access)")
        people.append((role, guardian))
    return people


DEMO_ZONE = ZoneInfo("Europe/Stockholm")  # the settings' default school zone


def weekdays_from(day: date, count: int) -> list[date]:
    """The first `count` weekdays from `day` on (it included)."""
    days: list[date] = []
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _talk_times(session: Session, *, today: date) -> None:
    """Talk times for 4A (Karin) and 8B (Johan) on the next three weekdays from the day after
    tomorrow (booking closes a day before), 08:00–12:00, nothing booked; once."""
    days = weekdays_from(today + timedelta(days=2), 3)
    for name, mentor_key, place in (
        ("4A", "mentor-4a", "Klassrum 4A"),
        ("8B", "mentor-8b", "Sal 8B, eller videolänk: https://video.example.se/8b"),
    ):
        group = _one(session, Group, external_id=external(f"group-{name}"))
        mentor = _one(session, Person, external_id=external(mentor_key))
        assert group is not None and group.id is not None
        assert mentor is not None and mentor.id is not None
        if _one(session, TalkTime, group_id=group.id) is not None:
            continue
        talks.create_series(
            session,
            group_id=group.id,
            mentor_id=mentor.id,
            days=days,
            start=time(8),
            end=time(12),
            minutes=20,
            place=place,
            closes_hours=24,
            zone=DEMO_ZONE,
            today=today,
        )


def _elsewhere(session: Session) -> list[tuple[str, Person]]:
    """Staff outside the demo pupils' groups, to try access with: a teacher of 6D only, and
    the principal of another school."""
    other = _one(session, School, external_id=external("school-2"))
    if other is None:
        other = School(name="Andraskolan", unit_code="87654321", external_id=external("school-2"))
        session.add(other)
        session.flush()
    principal = _person(session, "principal-2", "Greta", "Sund")
    _link(session, SchoolPrincipal, school_id=other.id, principal_id=principal.id)
    group = _one(session, Group, external_id=external("group-6D"))
    teacher = _person(session, "teacher-6d", "Ulla", "Strand")
    assert group is not None
    _link(session, GroupTeacher, group_id=group.id, teacher_id=teacher.id, subject="Svenska")
    return [("principal of Andraskolan", principal), ("teacher of Svenska in 6D", teacher)]


def _staff_work(session: Session, *, pupils: dict[str, Person]) -> None:
    """Notes, a rating with a teacher's reply, and a pending proposal, once."""
    alva, elias = pupils["alva"], pupils["elias"]
    if _one(session, Note, pupil_id=alva.id) is not None:
        return
    ek = _person(session, "teacher-ek", "Sara", "Ek")
    assert alva.id is not None and elias.id is not None and ek.id is not None
    for text, shared in (
        ("Alva använder tallinjen själv när hon räknar. Nästa steg: sjuans tabell.", True),
        ("Prata med mentorn om extra lästid på torsdagar.", False),
    ):
        note = Note(
            pupil_id=alva.id, author_id=ek.id, subject="Matematik", text=text, shared=shared
        )
        session.add(note)
    goal = session.exec(
        select(Goal)
        .join(Plan, Plan.id == Goal.plan_id)  # type: ignore[arg-type]
        .where(Plan.pupil_id == elias.id, Goal.area == "Matematik")
    ).first()
    if goal is not None and goal.id is not None:
        rating = SelfAssessment(goal_id=goal.id, level=2, comment="Sjuans tabell är svår.")
        session.add(rating)
        session.flush()
        assert rating.id is not None
        session.add(
            Reply(
                self_assessment_id=rating.id,
                author_id=ek.id,
                text="Bra att du säger det! Vi övar sjuans tabell med kort på tisdag.",
            )
        )
    plan = _one(session, Plan, pupil_id=alva.id)
    if plan is not None and plan.id is not None:
        session.add(
            GoalProposal(
                plan_id=plan.id,
                area="Idrott och hälsa",
                text="Jag vill kunna simma 200 meter.",
                how="Jag tränar i simhallen på lördagar.",
            )
        )


def previous_term_for(today: date) -> tuple[str, date, date]:
    """The term before term_for(today): it has ended."""
    _code, starts, _ends = term_for(today)
    return term_for(starts - timedelta(days=1))


LAST_TERM_GOALS = [  # (area, text, latest rating): one reached, one offered to carry over
    ("Matematik", "Jag kan de fyra räknesätten med tal upp till 1000.", 4),
    ("Engelska", "Jag kan läsa en enkel bok på engelska.", 2),
]


def _last_term(session: Session, *, school: School, pupils: list[Person], today: date) -> None:
    """The school's term before this one, ended and closed, with a plan for each pupil of
    5C: a goal she reached (rated 4) and one she did not (rated 2), so her plan this term
    offers one goal to carry over. Once."""
    assert school.id is not None
    code, starts, ends = previous_term_for(today)
    if _one(session, Term, school_id=school.id, code=code) is not None:
        return
    term = Term(
        school_id=school.id,
        code=code,
        starts_on=starts,
        ends_on=ends,
        opened_at=datetime.combine(starts, time(8), tzinfo=UTC),
        closed_at=datetime.combine(ends + timedelta(days=1), time(1), tzinfo=UTC),  # by the date
    )
    session.add(term)
    session.flush()
    assert term.id is not None
    questions.add_defaults(session, term_id=term.id)
    created = datetime.combine(starts, time(9), tzinfo=UTC)
    rated = datetime.combine(starts + (ends - starts) / 2, time(12), tzinfo=UTC)
    for pupil in pupils:
        plan = Plan.model_validate({"pupil_id": pupil.id, "term_id": term.id, "state": "archived"})
        session.add(plan)
        session.flush()
        for position, (area, text, level) in enumerate(LAST_TERM_GOALS):
            fields = {"plan_id": plan.id, "area": area, "text": text, "position": position}
            goal = Goal.model_validate({**fields, "created_at": created})
            session.add(goal)
            session.flush()
            assert goal.id is not None
            session.add(SelfAssessment(goal_id=goal.id, level=level, created_at=rated))


def _plan(session: Session, *, pupil: Person, term: Term, year: int) -> None:
    if _one(session, Plan, pupil_id=pupil.id, term_id=term.id) is not None:
        return
    plan = Plan.model_validate({"pupil_id": pupil.id, "term_id": term.id, "state": "preparing"})
    session.add(plan)
    session.flush()
    for position, (area, text) in enumerate(GOALS[year]):
        fields = {"plan_id": plan.id, "area": area, "text": text, "position": position}
        session.add(Goal.model_validate(fields))
