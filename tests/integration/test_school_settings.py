"""Issue 10, part 3: the principal's school settings — which guardian relation types read
the plan and sign, and the retention periods — on a page and in JSON. A change of relation
types recomputes the school's guardian links, but for staff decisions and protected
pupils; numbers are whole and ≥ 0 or empty (the installation's default), refused in the
reader's language; only the school's principal gets in."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from backend.db import make_engine
from backend.errors import Conflict
from backend.models import AuditEvent, Guardianship, School
from backend.schools import service
from tests.integration.conftest import Visitor, demo_person
from tests.integration.test_guardian_access import links


def school(db: Session) -> School:
    db.expire_all()
    found = db.exec(select(School).where(School.name == "Demoskolan")).one()
    assert found.id is not None
    return found


def state(db: Session) -> tuple[Any, ...]:
    s = school(db)
    return (
        s.guardian_relations,
        s.retention_read_log_days,
        s.retention_audit_days,
        s.retention_plan_years,
        links(db),
        db.exec(
            select(AuditEvent.kind).where(
                col(AuditEvent.kind).in_(["guardian_relations_changed", "retention_changed"])
            )
        ).all(),
    )


def put(visitor: Visitor, url: str, body: dict[str, Any], **kw: Any) -> Any:
    return visitor.client.put(url, json=body, headers={"x-csrftoken": visitor.token, **kw})


def relink(db: Session, guardian: str, pupil: str, **fields: Any) -> tuple[int, int]:
    g, p = demo_person(db, guardian), demo_person(db, pupil)
    assert g.id is not None and p.id is not None
    link = db.get(Guardianship, (g.id, p.id)) or Guardianship(guardian_id=g.id, pupil_id=p.id)
    for name, value in fields.items():
        setattr(link, name, value)
    db.add(link)
    db.commit()
    return g.id, p.id


def access(db: Session, key: tuple[int, int]) -> bool:
    db.expire_all()
    link = db.get(Guardianship, key)
    assert link is not None
    return link.has_access


def test_the_principal_reads_the_settings_with_the_defaults(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    s = school(db)
    principal = signed_in("principal")
    body = principal.get(f"/api/schools/{s.id}/settings").json()
    assert body["guardian_relations"] == ["Vårdnadshavare"]
    assert [body[f"retention_{k}"] for k in ("read_log_days", "audit_days", "plan_years")] == [
        None,
        None,
        None,
    ]
    assert body["defaults"] == {"read_log_days": 0, "audit_days": 0, "plan_years": 0}
    page = principal.get(f"/schools/{s.id}/settings")
    assert page.status_code == 200
    assert 'value="Vårdnadshavare" checked' in page.text
    assert 'value="God man">' in page.text and "Utsedd behörig" in page.text
    assert "Tomt: standardvärdet, sparas för alltid." in page.text
    for start in (f"/schools/{s.id}/terms", f"/schools/{s.id}"):
        assert f'href="/schools/{s.id}/settings"' in principal.get(start).text, start


def test_a_change_of_relations_recomputes_the_links_but_keeps_decisions_and_protection(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    now = datetime.now(UTC)
    per = relink(db, "guardian-per", "alva", relation="God man", has_access=True)
    lina = relink(db, "guardian-lina", "elias", relation="Annan ansvarig", has_access=False)
    eva = relink(db, "guardian-eva", "maja", relation="God man", has_access=True, decided_at=now)
    layla = relink(db, "guardian-layla", "omar", relation="Annan ansvarig", has_access=False)
    omar = demo_person(db, "omar")
    omar.security_marking = "Skyddad folkbokföring"
    db.add(omar)
    db.commit()
    mikael = relink(db, "guardian-mikael", "maja")  # the demo's decision: restricted
    principal = signed_in("principal")
    s = school(db)
    url = f"/api/schools/{s.id}/settings"
    saved = put(principal, url, {"guardian_relations": ["Vårdnadshavare", "Annan ansvarig"]})
    assert saved.status_code == 200, saved.text
    assert saved.json()["guardian_relations"] == ["Vårdnadshavare", "Annan ansvarig"]
    assert saved.json()["links_changed"] == 2  # Per closed, Lina opened
    assert school(db).guardian_relations == "Vårdnadshavare,Annan ansvarig"
    assert not access(db, per) and access(db, lina)
    assert access(db, eva)  # a staff decision stands
    assert not access(db, layla)  # a protected pupil's link waits for staff
    assert not access(db, mikael)
    assert signed_in("guardian-lina").get(f"/pupils/{lina[1]}").status_code == 200
    assert signed_in("guardian-per").get(f"/pupils/{per[1]}").status_code == 404
    kinds = db.exec(select(AuditEvent.kind).where(col(AuditEvent.actor_id).is_not(None))).all()
    assert "guardian_relations_changed" in kinds
    # The same setting again changes nothing.
    again = put(principal, url, {"guardian_relations": ["Annan ansvarig", "Vårdnadshavare"]})
    assert again.json()["links_changed"] == 0


def test_the_form_saves_relations_and_retention(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    s = school(db)
    principal = signed_in("principal")
    url = f"/schools/{s.id}/settings"
    answer = principal.form(
        url,
        {
            "guardian_relations": "Vårdnadshavare",
            "retention_read_log_days": " 30 ",
            "retention_audit_days": "",
            "retention_plan_years": "0",
        },
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"{url}?saved=0"
    after = school(db)
    assert (
        after.retention_read_log_days,
        after.retention_audit_days,
        after.retention_plan_years,
    ) == (30, None, 0)
    page = principal.get(answer.headers["location"])
    assert "Inställningarna är sparade." in page.text and 'value="30"' in page.text
    body = principal.get(f"/api/schools/{s.id}/settings").json()
    assert (body["retention_read_log_days"], body["retention_plan_years"]) == (30, 0)
    kinds = db.exec(select(AuditEvent.kind)).all()
    assert "retention_changed" in kinds and "guardian_relations_changed" not in kinds


def test_invalid_settings_are_refused_field_by_field_and_change_nothing(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    s = school(db)
    principal = signed_in("principal")
    before = state(db)
    url = f"/schools/{s.id}/settings"
    answer = principal.form(
        url,
        {
            "retention_read_log_days": "-1",
            "retention_audit_days": "1.5",
            "retention_plan_years": "abc",
        },
    )
    assert answer.status_code == 422
    for message in (
        "Kryssa i minst ett slag av vårdnadshavare som får läsa planerna.",
        "Skriv ett helt antal dagar, 0 eller fler, eller lämna fältet tomt.",
        "Skriv ett helt antal år, 0 eller fler, eller lämna fältet tomt.",
    ):
        assert message in answer.text
    assert 'value="1.5"' in answer.text  # what she wrote stays
    assert principal.form(url, {"guardian_relations": "Föräldrar"}).status_code == 422
    assert (
        principal.form(
            url, {"guardian_relations": "Vårdnadshavare", "retention_plan_years": "101"}
        ).status_code
        == 422
    )
    english = principal.form(
        url,
        {"guardian_relations": "Vårdnadshavare", "retention_audit_days": "x"},
        headers={"accept-language": "en"},
    )
    assert "Write a whole number of days, 0 or more, or leave the field empty." in english.text
    api = f"/api/schools/{s.id}/settings"
    for body in (
        {"guardian_relations": []},
        {"guardian_relations": ["Föräldrar"]},
        {"guardian_relations": ["Vårdnadshavare"], "retention_audit_days": -1},
        {"guardian_relations": ["Vårdnadshavare"], "retention_plan_years": 1.5},
    ):
        refused = put(principal, api, body)
        assert refused.status_code in {400, 422}, (body, refused.status_code)
        assert "reason" in refused.json()
    assert state(db) == before


OUTSIDERS = (
    "alva",
    "guardian-anna",
    "guardian-lina",
    "guardian-mikael",
    "mentor-4a",
    "teacher-ek",
    "mentor-6d",
    "teacher-6d",
    "mentor-8b",
    "principal-2",
)


def test_only_the_schools_principal_gets_in(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    s = school(db)
    before = state(db)
    body = {"guardian_relations": ["God man"], "retention_audit_days": 1}
    for key in OUTSIDERS:
        outsider = signed_in(key)
        for url in (f"/schools/{s.id}/settings", f"/api/schools/{s.id}/settings"):
            assert outsider.get(url).status_code in {403, 404}, (key, url)
        assert put(outsider, f"/api/schools/{s.id}/settings", body).status_code in {403, 404}
        form = {"guardian_relations": "God man", "retention_audit_days": "1"}
        assert outsider.form(f"/schools/{s.id}/settings", form).status_code in {403, 404}, key
    assert state(db) == before


def test_a_save_over_a_change_made_meanwhile_is_refused_and_keeps_what_she_chose(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """Two principals open the settings; the first saves. The second's save, from what
    she saw before, is a 409 that shows the settings as they are now, keeps her choices in
    the form and changes nothing; saving again from there goes through."""
    s = school(db)
    url = f"/api/schools/{s.id}/settings"
    principal = signed_in("principal")
    seen = principal.get(url).json()["version"]
    first = put(principal, url, {"guardian_relations": ["Vårdnadshavare"],
                                 "retention_read_log_days": 30, "version": seen})  # fmt: skip
    assert first.status_code == 200, first.text
    assert first.json()["version"] != seen
    before = state(db)
    stale = put(principal, url, {"guardian_relations": ["Vårdnadshavare", "God man"],
                                 "retention_read_log_days": 90, "version": seen})  # fmt: skip
    assert stale.status_code == 409, stale.text
    assert stale.json()["reason"] == "stale_version"
    assert stale.json()["current"]["retention_read_log_days"] == 30
    assert state(db) == before

    page = principal.form(
        f"/schools/{s.id}/settings",
        {"guardian_relations": ["Vårdnadshavare", "God man"],
         "retention_read_log_days": "90", "version": seen},
    )  # fmt: skip
    assert page.status_code == 409
    assert "Någon annan sparade inställningarna under tiden" in page.text
    assert 'value="90"' in page.text and 'value="God man" checked' in page.text
    assert state(db) == before
    fresh = re.search(r'name="version" value="(\w+)"', page.text)
    assert fresh and fresh.group(1) == first.json()["version"]
    again = principal.form(
        f"/schools/{s.id}/settings",
        {"guardian_relations": ["Vårdnadshavare", "God man"],
         "retention_read_log_days": "90", "version": fresh.group(1)},
    )  # fmt: skip
    assert again.status_code in (200, 303), again.text
    assert school(db).retention_read_log_days == 90


def test_two_saves_at_the_same_moment_from_one_view_store_one(db: Session, settings: Any) -> None:
    """Two principals press Save at once, both from the settings as they were: one is
    stored, the other is a 409 (never both, the later silently over the first)."""
    s = school(db)
    seen = service.settings_of(db, school_id=int(s.id or 0), settings=settings).version
    engine = make_engine(settings.database_url)
    start = threading.Barrier(2)

    def save(days: int) -> str:
        with Session(engine, expire_on_commit=False) as session:
            start.wait()
            try:
                service.save_settings(session, school_id=int(s.id or 0), by_id=1,
                                      settings=settings, guardian_relations=["Vårdnadshavare"],
                                      retention_read_log_days=days, retention_audit_days=None,
                                      retention_plan_years=None, version=seen)  # fmt: skip
            except Conflict:
                return "409"
            return "saved"

    with ThreadPoolExecutor(2) as pool:
        answers = sorted(pool.map(save, [30, 90]))
    engine.dispose()
    assert answers == ["409", "saved"]
    assert school(db).retention_read_log_days in {30, 90}
