"""Every page as every kind of person, on a generated municipality (tests/municipality/).

Each kind of person (generate.KINDS: pupils, guardians of every family shape, teachers,
mentors, principals, a person linked to nothing) signs in with a passkey and opens every GET
route of `app.routes`, its path parameters filled with real ids of her own world (each
pupil she may see, her records, groups, schools, terms...) and with one id that is not hers
(403/404 expected). A principal gives the reason the app asks for. Nowhere a 5xx, and no
page names a pupil the generator's ground truth says she may not see. A path parameter
with no id provider below fails the test, so a new route is covered by itself."""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session, SQLModel, col, select

from backend.app import create_app
from backend.auth.service import issue_enrolment_code
from backend.models import (
    Agreement,
    Booking,
    Goal,
    GoalProposal,
    Group,
    GroupPupil,
    Message,
    Note,
    Organisation,
    Plan,
    SelfAssessment,
    TalkTime,
    Term,
)
from backend.roster.service import import_roster
from tests.integration.conftest import Visitor
from tests.municipality import ss12000
from tests.municipality.fixtures import (  # noqa: F401  (fixtures)
    Template,
    Town,
    town_fixture,
    town_template_fixture,
)
from tests.municipality.generate import KINDS, PROTECTED, SECRET, generate

# Routes with no page or JSON of a person's world: the files the app serves and the schema.
SKIP = ("/static/", "/schema")
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
MARKER = re.compile(r"\b(?:PERS|UTKAST|EGEN)-\d{5}\b")  # seed.py's private texts
# Pupils per member of staff (a family sees each of hers); more for a longer look.
STAFF_SAMPLE = int(os.environ.get("IUP_EVERY_ROUTE_STAFF_SAMPLE", "6"))


@dataclass(frozen=True)
class Value:
    id: int | str
    pupil: int | None = None  # whose data it is (a principal gives her reason for her)
    foreign: bool = False  # not the viewer's: 403/404 expected


@dataclass
class World:
    """What one person may open, as ids in the database, from the ground truth."""

    person: int
    pupils: list[int]  # sampled from those she may see
    foreign_pupil: int
    groups: list[int]
    foreign_group: int
    schools: list[int]
    foreign_school: int
    persons: list[int]
    foreign_person: int
    organisations: list[int]
    foreign_organisation: int


@dataclass
class Tally:
    pages: set[str] = field(default_factory=set)
    openings: int = 0
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    foreign_names: list[str] = field(default_factory=list)
    private_texts: list[str] = field(default_factory=list)
    markers_seen: int = 0
    not_refused: list[str] = field(default_factory=list)
    reasons: int = 0
    partials: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    unnamed: list[str] = field(default_factory=list)  # visible pupils no page named


def _pupil_records(db: Session, pupil: int, model: Any, column: Any, join: Any = None) -> list[int]:
    query = select(model.id)
    if join is not None:
        query = query.join(Plan, col(Plan.id) == join).where(col(Plan.pupil_id) == pupil)
    else:
        query = query.where(column == pupil)
    found = [int(i) for i in db.exec(query.order_by(col(model.id))).all()]
    return sorted({found[0], found[-1]}) if found else []  # last term's and this term's


def providers(
    db: Session, world: World, viewer: int
) -> dict[str, Callable[[dict[str, Value]], list[Value]]]:
    """Path parameter name -> the values to try, given the values chosen for the parameters
    before it in the path. A name missing here fails the test."""

    def per_pupil(ids_of: Callable[[int], list[int]]) -> Callable[[dict[str, Value]], list[Value]]:
        def values(_chosen: dict[str, Value]) -> list[Value]:
            out = [Value(i, p) for p in world.pupils for i in ids_of(p)]
            out += [Value(i, world.foreign_pupil, True) for i in ids_of(world.foreign_pupil)[:1]]
            return out

        return values

    def terms(chosen: dict[str, Value]) -> list[Value]:
        school = chosen["school_id"]
        found = db.exec(select(Term.id).where(Term.school_id == int(school.id))).all()
        return [Value(int(t), None, school.foreign) for t in found]

    def talk_times(pupil: int) -> list[int]:
        groups = select(GroupPupil.group_id).where(GroupPupil.pupil_id == pupil)
        found = db.exec(select(TalkTime.id).where(col(TalkTime.group_id).in_(groups))).first()
        return [int(found)] if found else []

    def code(_chosen: dict[str, Value]) -> list[Value]:
        return [Value(issue_enrolment_code(db, person_id=viewer, hours=1))]

    return {
        "pupil_id": per_pupil(lambda p: [p]),
        "goal_id": per_pupil(lambda p: _pupil_records(db, p, Goal, None, Goal.plan_id)),
        "proposal_id": per_pupil(
            lambda p: _pupil_records(db, p, GoalProposal, None, GoalProposal.plan_id)
        ),
        "assessment_id": per_pupil(
            lambda p: [
                int(i)
                for i in db.exec(
                    select(SelfAssessment.id)
                    .join(Goal, col(Goal.id) == SelfAssessment.goal_id)
                    .join(Plan, col(Plan.id) == Goal.plan_id)
                    .where(Plan.pupil_id == p)
                ).all()
            ][:1]
        ),
        "note_id": per_pupil(lambda p: _pupil_records(db, p, Note, Note.pupil_id)),
        "plan_id": per_pupil(lambda p: _pupil_records(db, p, Plan, Plan.pupil_id)),
        "message_id": per_pupil(lambda p: _pupil_records(db, p, Message, None, Message.plan_id)),
        "agreement_id": per_pupil(
            lambda p: _pupil_records(db, p, Agreement, None, Agreement.plan_id)
        ),
        "talk_time_id": per_pupil(talk_times),
        "group_id": lambda _c: (
            [Value(g) for g in world.groups] + [Value(world.foreign_group, None, True)]
        ),
        "school_id": lambda _c: (
            [Value(s) for s in world.schools] + [Value(world.foreign_school, None, True)]
        ),
        "term_id": terms,
        "person_id": lambda _c: (
            [Value(p) for p in world.persons] + [Value(world.foreign_person, None, True)]
        ),
        "code": code,
        "organisation_id": lambda _c: (
            [Value(o) for o in world.organisations]
            + [Value(world.foreign_organisation, None, True)]
        ),
    }


def world_of(town: Town, db: Session, kind: str) -> World:
    m = town.model
    ext = m.kinds[kind]
    me = town.id(ext)
    sees = m.may_see(ext)
    special = {p for k in KINDS for p in {m.kinds[k], *m.children(m.kinds[k], with_access=False)}}
    order = sorted(sees, key=lambda p: (p not in special, p))
    family = bool(m.children(ext)) or ext in m.pupils
    pupils = order if family and len(order) <= STAFF_SAMPLE * 2 else order[:STAFF_SAMPLE]
    foreign = next(
        p for p in sorted(special | set(m.pupils)) if p not in sees and p != ext and m.in_a_group(p)
    )
    mine = {g.id for g in (*m.mentored(ext), *m.taught(ext))}
    groups = [town.seeded.groups[g] for g in sorted(mine)][:3]
    foreign_group = next(town.seeded.groups[g.id] for g in m.groups if g.id not in mine)
    led = m.led(ext)
    schools = [town.seeded.schools[s] for s in led]
    foreign_school = next(town.seeded.schools[s.id] for s in m.schools if s.id not in led)
    persons: list[int] = []
    for group in m.mentored(ext)[:1]:
        member = sorted(m.members(group))[0]
        persons += [town.id(member)] + [
            town.id(g) for g, _rel in m.responsibles.get(member, [])[:1]
        ]
    for school in led[:1]:
        staff = sorted({d.person for d in m.duties if d.school == school and d.person != ext})
        persons += [town.id(p) for p in staff[:2]]
    found = db.exec(select(Organisation.id).where(Organisation.external_id == m.organiser)).one()
    organisation = int(found)
    return World(
        person=me,
        pupils=[town.id(p) for p in pupils],
        foreign_pupil=town.id(foreign),
        groups=groups,
        foreign_group=foreign_group,
        schools=schools,
        foreign_school=foreign_school,
        persons=persons,
        foreign_person=town.id(m.kinds["nobody"]),
        organisations=[organisation] if m.organised(ext) else [],
        foreign_organisation=organisation + (1 if m.organised(ext) else 0),  # else hers is
    )


def get_routes(app: Litestar) -> list[str]:
    paths = []
    for route in app.routes:
        if route.path.startswith(SKIP):
            continue
        if any("GET" in h.http_methods for h in getattr(route, "route_handlers", [])):
            paths.append(route.path)
    return sorted(set(paths))


def fillings(
    path: str, provide: dict[str, Callable[[dict[str, Value]], list[Value]]]
) -> Iterator[tuple[str, dict[str, Value]]]:
    names = PARAM.findall(path)
    missing = [n for n in names if n not in provide]
    assert not missing, f"{path}: no id provider for {missing}: add one to providers()"

    def walk(i: int, chosen: dict[str, Value]) -> Iterator[dict[str, Value]]:
        if i == len(names):
            yield dict(chosen)
            return
        for value in provide[names[i]](chosen):
            yield from walk(i + 1, {**chosen, names[i]: value})

    for chosen in walk(0, {}):
        url = PARAM.sub(lambda m: str(chosen[m.group(1)].id), path)
        yield url, chosen


def name_pattern(town: Town) -> tuple[re.Pattern[str], dict[str, str]]:
    """Every pupil's full name and every protected adult's, as a word (not inside a longer
    name)."""
    m = town.model
    by_name = {m.persons[p].name: p for p in (*m.pupils, *m.protected_adults())}
    alternatives = "|".join(re.escape(n) for n in sorted(by_name, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alternatives})(?![\w-])"), by_name


def signed_in(client: TestClient[Litestar], db: Session, person: int) -> Visitor:
    guest = Visitor(client)
    guest.client.cookies.clear()
    code = issue_enrolment_code(db, person_id=person, hours=1)
    response = guest.enrol(code)
    assert response.status_code == 201, response.text
    return guest


def open_page(guest: Visitor, url: str, chosen: dict[str, Value], tally: Tally) -> Any:
    response = guest.get(url)
    tally.requests += 1
    owner = next((v.pupil for v in chosen.values() if v.pupil is not None), None)
    asks = (response.status_code == 303 and response.headers["location"].endswith("/reason")) or (
        response.status_code == 403 and "reason_needed" in response.text
    )
    if asks:
        where = response.headers.get("location") or f"/pupils/{owner}/reason"
        given = guest.form(where, {"reason": "Uppföljning av elevens stöd inför samtalet."})
        tally.requests += 1
        tally.reasons += 1
        assert given.status_code < 500, (where, given.status_code, given.text[:300])
        response = guest.get(url)
        tally.requests += 1
    return response


@pytest.mark.long
def test_every_page_as_every_kind_of_person(town: Town, capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    pattern, by_name = name_pattern(town)
    m = town.model
    tally = Tally()
    app = create_app(town.settings)
    routes = get_routes(app)
    ids = {v: k for k, v in town.seeded.ids.items()}
    with TestClient(app) as client, town.session() as db:
        # Staff first: the families then read who on the staff has read the plan.
        for number, kind in enumerate(sorted(KINDS, key=lambda k: not m.staff_sees(m.kinds[k]))):
            ext = m.kinds[kind]
            world = world_of(town, db, kind)
            allowed = m.may_be_named(ext)
            guest = signed_in(client, db, world.person)
            if number % 2:  # every other person reads the app in English
                chosen_language = guest.form("/lang", {"lang": "en", "next": "/"})
                assert chosen_language.status_code == 303, chosen_language.text
            provide = providers(db, world, world.person)
            named: set[str] = set()

            # Her own signatures stay in "all my data", naming the pupil she signed for
            # (a mentor's, after the pupil has changed class, too).
            own_acts = allowed | town.seeded.signed_for.get(world.person, set())

            staff_sees = m.staff_sees(ext)

            def check(response: Any, where: str, chosen: dict[str, Value], path: str) -> None:
                tally.statuses[response.status_code] += 1
                if response.status_code >= 500:
                    tally.server_errors.append(f"{where}: {response.status_code}")
                foreign = any(v.foreign for v in chosen.values())
                if foreign and response.status_code not in (403, 404):
                    tally.not_refused.append(f"{where}: {response.status_code}")
                for marker in set(MARKER.findall(response.text)):
                    tally.markers_seen += 1
                    pupil, author = town.seeded.private[marker]
                    if pupil not in staff_sees and author != world.person:
                        tally.private_texts.append(f"{where}: reads {marker}")
                here = own_acts if path.startswith(("/me/data", "/api/me/data")) else allowed
                for found in set(pattern.findall(response.text)):
                    named.add(by_name[found])
                    if by_name[found] not in here:
                        tally.foreign_names.append(f"{where}: names {found}")

            for path in routes:
                for url, chosen in fillings(path, provide):
                    response = open_page(guest, url, chosen, tally)
                    tally.openings += 1
                    tally.pages.add(path)
                    where = f"{kind} ({m.persons[ext].name}) GET {url}"
                    check(response, where, chosen, path)
                    html = response.headers.get("content-type", "").startswith("text/html")
                    if response.status_code == 200 and html:  # the htmx fragment of the page
                        partial = guest.get(url, headers={"hx-request": "true"})
                        tally.requests += 1
                        tally.partials += 1
                        check(partial, f"{where} (HX-Request)", chosen, path)
            for pupil in {town.id(p) for p in m.may_see(ext)} & set(world.pupils):
                if ids[pupil] not in named:
                    tally.unnamed.append(f"{kind}: no page names {m.persons[ids[pupil]].name}")
            guest.client.cookies.clear()
    seconds = time.monotonic() - started
    summary = (
        f"every route: {len(tally.pages)} pages x {len(KINDS)} kinds of person, "
        f"{tally.openings} openings and {tally.partials} htmx fragments "
        f"({tally.requests} requests, {tally.reasons} reasons given) "
        f"in {seconds:.0f} s; 5xx: {len(tally.server_errors)}; "
        f"foreign names: {len(tally.foreign_names)}; private texts read by others: "
        f"{len(tally.private_texts)} (of {tally.markers_seen} read); foreign ids not refused: "
        f"{len(tally.not_refused)}; statuses {dict(sorted(tally.statuses.items()))}"
    )
    with capsys.disabled():  # the figures, in a plain run too (not from an xdist worker)
        print(f"\n{summary}")
    problems = (
        tally.server_errors
        + tally.foreign_names
        + tally.private_texts
        + tally.not_refused
        + tally.unnamed
    )
    assert not problems, summary + "\n" + "\n".join(problems[:60])


# ---- the generator itself --------------------------------------------------------------


def test_the_generator_is_deterministic_and_its_families_are_as_asked() -> None:
    a, b = generate(seed=7), generate(seed=7)
    assert a.summary() == b.summary() and a.kinds == b.kinds
    assert [p.name for p in a.persons.values()] == [p.name for p in b.persons.values()]
    assert generate(seed=8).kinds != a.kinds
    names = [p.name for p in a.persons.values()]
    assert len(names) == len(set(names)), "full names are unique"
    text = " ".join(names)
    assert {"å", "ä", "ö"} <= set(text.lower())
    assert re.search(r"[\u0600-\u06ff]", text), "Arabic script"
    assert any(n in text for n in ("Cabdullaahi", "Xamdi", "Faadumo", "Maxamed", "Cawo"))
    assert a.persons[a.kinds["pupil_secret"]].security_marking == SECRET
    assert a.persons[a.kinds["pupil_protected"]].security_marking == PROTECTED
    assert len(a.children(a.kinds["guardian_three_groups"])) == 3
    assert a.children(a.kinds["protected_pupil_guardian"]) == set()  # restricted by default
    assert a.children(a.kinds["annan_ansvarig"]) == set()  # by the schools' setting
    assert len(a.children(a.kinds["god_man"])) == 1  # opened by staff
    assert a.children(a.kinds["restricted_guardian"]) == set()  # closed by staff
    assert a.kinds["pupil_changed_class"] not in a.may_see(a.kinds["former_mentor"])
    assert not a.in_a_group(a.kinds["pupil_without_group"])
    assert a.enrolments[a.kinds["pupil_without_enrolment"]] == []
    assert a.may_see(a.kinds["nobody"]) == set()
    two = a.kinds["principal_two_schools"]
    assert len(a.led(two)) == 2
    teacher = a.kinds["teacher_guardian"]
    assert a.children(teacher) and a.taught(teacher)
    mover = a.kinds["pupil_changed_class"]
    ended = [mm for g in a.groups for mm in g.members if mm.person == mover and mm.end]
    assert (
        len(ended) == 1
        and sum(mover in a.members(g) for g in a.groups if g.group_type == "Klass") == 1
    )


def test_the_files_carry_what_the_standard_requires(town_template: Template) -> None:
    """SS 12000 v2.1: the required fields of each entity, and the references resolve."""
    required = {
        "organisations": {"id", "meta", "displayName", "organisationType"},
        "persons": {"id", "meta", "givenName", "familyName"},
        "groups": {"id", "meta", "displayName", "groupType", "organisation", "startDate"},
        "duties": {"id", "meta", "dutyAt", "dutyRole", "startDate"},
        "activities": {
            "id",
            "meta",
            "displayName",
            "calendarEventsRequired",
            "startDate",
            "groups",
            "organisation",
        },
    }
    records: dict[str, list[dict[str, Any]]] = {}
    for entity in ss12000.ENTITIES:
        pages = sorted(town_template.files.glob(f"{entity}*.json"))
        assert pages, entity
        for n, page in enumerate(pages):
            body = json.loads(page.read_text(encoding="utf-8"))
            assert set(body) == {"data", "pageToken"}
            assert (body["pageToken"] is None) == (n == len(pages) - 1)
            records.setdefault(entity, []).extend(body["data"])
    assert len(list(town_template.files.glob("persons-*.json"))) > 1, "persons come in pages"
    for entity, fields in required.items():
        for record in records[entity]:
            assert fields <= set(record), (entity, fields - set(record))
            assert set(record["meta"]) == {"created", "modified"}
    ids = {e: {r["id"] for r in rs} for e, rs in records.items()}
    for person in records["persons"]:
        for e in person.get("enrolments", []):
            assert {"enroledAt", "schoolType", "startDate"} <= set(e)
            assert e["enroledAt"]["id"] in ids["organisations"]
        for r in person.get("responsibles", []):
            assert r["person"]["id"] in ids["persons"]
    for duty in records["duties"]:
        assert duty["person"]["id"] in ids["persons"]
        for role in duty.get("assignmentRole", []):
            assert role["group"]["id"] in ids["groups"] and role["assignmentRoleType"] == "Mentor"
    for activity in records["activities"]:
        assert {t["duty"]["id"] for t in activity["teachers"]} <= ids["duties"]
        assert activity["syllabus"]["id"] in ids["syllabuses"]


def test_no_civic_number_email_or_address_is_stored(town: Town) -> None:
    """The export brings personnummer, e-mail and addresses; the import keeps none of it."""
    m = town.model
    secrets_ = {p.civic_no for p in m.persons.values()} | {p.email for p in m.persons.values()}
    secrets_ |= {p.street for p in m.persons.values() if p.street}
    with town.session() as db:  # every row of every table, on either database
        dump = "\n".join(
            repr(tuple(row))
            for table in SQLModel.metadata.sorted_tables
            for row in db.execute(table.select())
        )
    assert m.persons[m.kinds["pupil"]].name.split()[0] in dump  # the dump holds the people
    leaked = sorted(s for s in secrets_ if s in dump)
    assert leaked == [], leaked[:5]


def test_the_import_matches_the_model(town: Town) -> None:
    """What the ground truth is built on: every person, group and school arrived."""
    m = town.model
    assert set(town.seeded.ids) == set(m.persons)
    assert len(town.seeded.groups) == len(m.groups)
    assert len(town.seeded.schools) == len(m.schools)
    assert town.seeded.signed > 0
    again = town.seeded.reimported
    assert again is not None  # today's roster after the earlier one: the term went on
    assert again.changes["guardianships"].ended == len(m.former)
    assert again.changes["memberships"].ended == 1  # the old class of the pupil who moved
    assert again.changes["memberships"].created == 2  # her new class, and the new pupil
    with town.session() as db:  # the same export once more changes nothing
        third = import_roster(db, source=town.files, dry_run=False, today=m.today)
    assert not third.changed, third.lines[:10]
    with town.session() as db:
        for group in m.groups:
            gid = town.seeded.groups[group.id]
            stored = set(db.exec(select(GroupPupil.pupil_id).where(GroupPupil.group_id == gid)))
            assert stored == {town.id(p) for p in m.members(group)}, group.name
        assert db.exec(select(Group).where(col(Group.school_year).is_(None))).first() is None


@pytest.mark.parametrize("kind", ["pupil", "mentor"])
def test_a_route_without_an_id_provider_fails(town: Town, kind: str) -> None:
    with town.session() as db:
        provide = providers(db, world_of(town, db, kind), town.kinds[kind])
        with pytest.raises(AssertionError, match="no id provider for"):
            list(fillings("/pupils/{pupil_id:int}/widgets/{widget_id:int}", provide))


def test_the_name_check_finds_a_name_in_a_page(town: Town) -> None:
    """The check that keeps foreign names out must see them: in HTML, in JSON, in RTL
    script, and not inside a longer name."""
    pattern, by_name = name_pattern(town)
    m = town.model
    hidden = m.persons[m.kinds["pupil_protected"]].name  # Arabic script
    mother = m.persons[m.kinds["protected_pupil_guardian"]].name
    text = f'<li>{hidden}</li>{{"name": "{mother}"}} {m.persons[m.kinds["pupil"]].name}s'
    assert set(pattern.findall(text)) == {hidden, mother}
    assert by_name[mother] not in m.may_be_named(m.kinds["pupil"])
    assert by_name[mother] in m.may_be_named(m.kinds["protected_pupil_guardian"])
    assert by_name[hidden] not in m.may_be_named(m.kinds["protected_pupil_guardian"])


def test_the_roster_organiser_reads_counts_equal_to_the_database(town: Town) -> None:
    """Issue 22: the Huvudman of the SS 12000 files arrives with its schools and the person
    with a duty there; she reads, per school, the pupils with a plan in the school's current
    term and how many of them are booked and have prepared, as the database holds them
    (counted here with plain queries), and never a pupil's page."""
    m = town.model
    app = create_app(town.settings)
    with TestClient(app) as client, town.session() as db:
        organisation = db.exec(
            select(Organisation).where(Organisation.external_id == m.organiser)
        ).one()
        assert organisation.name == m.organiser_name
        organiser = town.id(m.kinds["organiser"])
        oda = signed_in(client, db, organiser)
        body = oda.get(f"/api/organisations/{organisation.id}/overview").json()
        assert {s["name"] for s in body["schools"]} == {s.name for s in m.schools}
        today = town.settings.today()
        for school in body["schools"]:
            term = db.exec(
                select(Term)
                .where(Term.school_id == school["school_id"], col(Term.starts_on) <= today)
                .order_by(col(Term.ends_on) >= today, col(Term.starts_on))
            ).all()[-1]
            planned = set(
                db.exec(
                    select(Plan.pupil_id)
                    .join(GroupPupil, col(GroupPupil.pupil_id) == Plan.pupil_id)
                    .join(Group, col(Group.id) == GroupPupil.group_id)
                    .where(Plan.term_id == term.id, Group.school_id == school["school_id"])
                ).all()
            )
            booked = (
                set(db.exec(select(Booking.pupil_id).where(Booking.term_id == term.id)).all())
                & planned
            )
            for name, truth in (("pupils", len(planned)), ("booked", len(booked))):
                if school[name] is not None:
                    assert school[name] == truth, (school["name"], name)
                else:
                    assert name in school["suppressed"]
            assert school["pupils"] is not None, "a school of the town is no small figure"
        alva = town.id(m.kinds["pupil"])
        assert oda.get(f"/pupils/{alva}").status_code == 404
        assert oda.get(f"/api/pupils/{alva}/plan").status_code == 404
