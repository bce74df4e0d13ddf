"""The written plan as pages: the mentor writes, publishes and follows up with plain forms;
the family's plan page shows it once published, with who has signed and who is asked, the
sign buttons for the viewer, and the pupil's "done"; errors keep what was typed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlmodel import Session, select

from backend.models import Agreement, Plan, Summary
from tests.integration.conftest import Visitor, demo_person
from tests.integration.test_agreements import DUE, YESTERDAY, sign
from tests.integration.test_compilation import plan_of
from tests.integration.test_groups import group_id


def test_the_mentor_writes_publishes_and_the_family_signs_on_the_pages(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    mentor = signed_in("mentor-4a")
    page = mentor.get(f"/pupils/{alva.id}/written-plan")
    assert page.status_code == 200 and "Inte publicerad" in page.text

    # Publishing without a summary in åk 4 is refused, and what she typed stays.
    refused = mentor.form(
        f"/pupils/{alva.id}/written-plan",
        {"version": "0", "held_on": YESTERDAY, "participants": "Alva, Anna", "publish": "1"},
    )
    assert refused.status_code == 422
    assert "ska den skriftliga planen ha delen ”Det här ska vi göra”" in refused.text
    assert 'value="Alva, Anna"' in refused.text

    db.expire_all()
    version = str(db.get(Summary, plan_of(db, "alva").id).version)
    saved = mentor.form(
        f"/pupils/{alva.id}/written-plan",
        {
            "version": version,
            "held_on": YESTERDAY,
            "participants": "Alva, Anna",
            "measures_pupil": "Läsa högt varje kväll.",
            "publish": "1",
        },
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/pupils/{alva.id}/written-plan?published=1#done"
    bad = mentor.form(f"/pupils/{alva.id}/agreements", {"text": "Läsa", "party": "", "due_on": ""})
    assert bad.status_code == 422 and "Välj vem som gör det" in bad.text
    added = mentor.form(
        f"/pupils/{alva.id}/agreements",
        {"text": "Alva läser en bok i veckan", "party": "pupil", "due_on": DUE},
    )
    assert added.status_code == 303
    agreement = db.exec(select(Agreement)).one()
    at = "#done"
    assert added.headers["location"] == f"/pupils/{alva.id}/written-plan?added={agreement.id}{at}"

    pupil = signed_in("alva")
    home = pupil.get("/")
    assert "Alva läser en bok i veckan" in home.text
    assert "Läsa högt varje kväll." in home.text
    assert "väntar på Alva, Anna, Per och Karin" in home.text
    assert f'data-options-url="/api/agreements/{agreement.id}/signature/options"' in home.text
    assert "1 överenskommelse väntar på att du skriver under" in home.text

    assert sign(pupil, agreement.id).status_code == 201
    overview = mentor.get(f"/api/groups/{group_id(db, '4A')}/overview").json()
    (alva_row,) = [r for r in overview["rows"] if r["id"] == alva.id]
    assert (alva_row["agreements"], alva_row["agreements_signed"]) == (1, 0)
    per = signed_in("guardian-per")
    seen = per.get(f"/pupils/{alva.id}")
    assert "underskrivet av Alva" in seen.text and "kontrollerad" in seen.text
    assert "väntar på Anna, Per och Karin" in seen.text

    too_long = pupil.form(f"/agreements/{agreement.id}/progress", {"comment": "x" * 501})
    assert too_long.status_code == 422, "refused with a message, not cut short"
    refused = mentor.form(
        f"/agreements/{agreement.id}/follow-up", {"done": "1", "comment": "Bra\x01"}
    )
    assert refused.status_code == 422 and "Texten har ett tecken" in refused.text
    assert 'value="Bra' in refused.text, "what she typed stays in the field"
    done = pupil.form(f"/agreements/{agreement.id}/progress", {"comment": "Första boken klar"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/?progress={agreement.id}{at}"
    followed = mentor.form(f"/agreements/{agreement.id}/follow-up", {"done": "1", "comment": "Bra"})
    assert followed.status_code == 303
    assert followed.headers["location"] == (
        f"/pupils/{alva.id}/written-plan?followed={agreement.id}{at}"
    )
    db.expire_all()
    row = db.get(Agreement, agreement.id)
    assert row is not None and row.state == "done" and row.progress_comment == "Första boken klar"
    overview = mentor.get(f"/api/groups/{group_id(db, '4A')}/overview").json()
    (alva_row,) = [r for r in overview["rows"] if r["id"] == alva.id]
    assert (alva_row["agreements"], alva_row["agreements_followed_up"]) == (1, 1)
    assert alva_row["agreements_signed"] == 1  # followed up counts as past signing
    page = mentor.get(f"/groups/{group_id(db, '4A')}")
    assert f'href="/pupils/{alva.id}/written-plan"' in page.text

    # A change (on the mentor's page) lands at the agreement changed.
    changed = mentor.form(
        f"/agreements/{agreement.id}",
        {
            "version": str(row.version),
            "text": "Alva läser två böcker",
            "party": "pupil",
            "due_on": DUE,
        },
    )
    assert changed.status_code == 303, changed.text
    assert changed.headers["location"] == (
        f"/pupils/{alva.id}/written-plan?changed={agreement.id}{at}"
    )


def test_outsiders_see_no_written_plan(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    alva = demo_person(db, "alva")
    for key in ("elias", "guardian-lina", "mentor-6d", "teacher-6d", "mentor-8b"):
        outsider = signed_in(key)
        assert outsider.get(f"/pupils/{alva.id}/written-plan").status_code in {403, 404}
        assert outsider.form(
            f"/pupils/{alva.id}/agreements", {"text": "x", "party": "pupil", "due_on": DUE}
        ).status_code in {403, 404}
    assert db.exec(select(Agreement)).first() is None


def test_last_terms_agreements_reach_the_compilation(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    liam = demo_person(db, "liam")
    last = db.exec(select(Plan).where(Plan.pupil_id == liam.id, Plan.state == "archived")).one()
    assert last.id is not None
    db.add(
        Agreement(
            plan_id=last.id,
            text="Liam lämnar in läxan på fredagar",
            party="pupil",
            due_on=date(2026, 5, 29),
            state="not_done",
            created_by_id=demo_person(db, "mentor-4a").id or 0,
            follow_up_comment="Två av fem veckor",
        )
    )
    db.commit()
    mentor = signed_in("mentor-4a")
    data = mentor.get(f"/api/pupils/{liam.id}/compilation").json()
    assert data["last_term"]["agreements"] == [
        {
            "text": "Liam lämnar in läxan på fredagar",
            "party": "pupil",
            "state": "not_done",
            "follow_up_comment": "Två av fem veckor",
        }
    ]
    page = mentor.get(f"/pupils/{liam.id}/compilation")
    assert "Liam lämnar in läxan på fredagar (Eleven) – Inte gjord: Två av fem veckor" in page.text
