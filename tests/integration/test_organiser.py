"""The organiser (issue 22, item 2): made with `iup organiser add`, she reads her
organisation's talk cycle per school and in all — counts only, never a group, a name or a
pupil's page — with the same protection as the principal's figures; nobody else reads it."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from sqlmodel import Session, select

from backend.demo import external
from backend.models import Group, Organisation, Person, School
from backend.settings import Settings
from backend.stats.cycle import BASES
from backend.stats.suppression import small
from tests.integration.conftest import Visitor, demo_person
from tests.integration.test_cli import iup
from tests.integration.test_cycle import write_cycle
from tests.statements import make_group


def organiser(db: Session, settings: Settings, name: str = "Demokommunen") -> tuple[int, int]:
    """A person of the organisation's office, made an organiser on the command line: her
    id and the organisation's."""
    person = Person(
        given_name="Oda", family_name="Förvaltning", user_handle=secrets.token_bytes(32)
    )
    db.add(person)
    db.commit()
    result = iup(settings, "organiser", "add", str(person.id), name)
    assert result.exit_code == 0, result.output
    schools = len(db.exec(select(School)).all())
    said = f"Oda Förvaltning is an organiser of {name}. Its schools: {schools}."
    assert result.output.strip() == said
    again = iup(settings, "organiser", "add", str(person.id), name)  # idempotent
    assert again.exit_code == 0 and again.output == result.output
    found = db.exec(select(Organisation).where(Organisation.name == name)).one()
    assert person.id is not None and found.id is not None
    return person.id, found.id


def sign_in_as(signed_in: Callable[[str], Visitor], db: Session, person_id: int) -> Visitor:
    person = db.get(Person, person_id)
    assert person is not None
    person.external_id = external(f"organiser-{person_id}")
    db.commit()
    return signed_in(f"organiser-{person_id}")


def test_the_organiser_reads_counts_per_school_and_nothing_about_anyone(
    db: Session, settings: Settings, signed_in: Callable[[str], Visitor]
) -> None:
    pupils = make_group(db, name="7E", size=30)
    write_cycle(db, pupils)
    person_id, organisation_id = organiser(db, settings)
    oda = sign_in_as(signed_in, db, person_id)
    body = oda.get(f"/api/organisations/{organisation_id}/overview").json()
    assert body["name"] == "Demokommunen" and body["min_pupils"] == 5
    school = next(s for s in body["schools"] if s["name"] == "Demoskolan")
    demo_pupils = 30 + len({p for g in db.exec(select(Group)).all() if g.name != "7E" for p in []})
    assert school["pupils"] is not None and school["pupils"] >= 30
    assert body["total"]["pupils"] is None or body["total"]["pupils"] == school["pupils"]
    del demo_pupils
    for row in [*body["schools"], body["total"]]:
        for name, base in BASES.items():
            value = row[name]
            if value is None:
                continue
            assert not small(value), (name, value)
            if base is not None and row[base] is not None:
                assert not small(row[base] - value), (name, "complement")
    # The page: counts only; no pupil's or group's name, no link to a pupil.
    page = oda.get(f"/organisations/{organisation_id}").text
    assert "Demokommunen" in page and 'id="cycle-table"' in page
    alva = demo_person(db, "alva")
    for text in ("Elev00", "7E", "4A", alva.given_name, "/pupils/"):
        assert text not in page.split("<main", 1)[1], text
    home = oda.get("/").text
    assert f"/organisations/{organisation_id}" in home


def test_an_organiser_opens_no_pupil_and_nobody_else_opens_her_figures(
    db: Session, settings: Settings, signed_in: Callable[[str], Visitor]
) -> None:
    person_id, organisation_id = organiser(db, settings)
    oda = sign_in_as(signed_in, db, person_id)
    alva = demo_person(db, "alva")
    school_id = db.exec(select(Group).where(Group.name == "4A")).one().school_id
    group_id = db.exec(select(Group).where(Group.name == "4A")).one().id
    for url in (
        f"/pupils/{alva.id}",
        f"/api/pupils/{alva.id}/plan",
        f"/pupils/{alva.id}/compilation",
        f"/schools/{school_id}",
        f"/api/schools/{school_id}/overview",
        f"/groups/{group_id}",
    ):
        answer = oda.get(url)
        assert answer.status_code in (403, 404), (url, answer.status_code)
        assert alva.given_name not in answer.text
    for key in ("principal", "mentor-4a", "alva"):
        for url in (
            f"/organisations/{organisation_id}",
            f"/api/organisations/{organisation_id}/overview",
        ):
            answer = signed_in(key).get(url)
            assert answer.status_code == 404, (key, url)
            assert "Demokommunen" not in answer.text
    other = oda.get(f"/api/organisations/{organisation_id + 1}/overview")
    assert other.status_code == 404
