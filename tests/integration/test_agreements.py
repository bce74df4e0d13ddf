"""After the talk, through the JSON API with software authenticators: the written plan, two
agreements, each party's passkey signature over the exact text, verification from the
database alone, a change that voids the signatures, follow-up, and every refusal the
issue names (another agreement's challenge, a replay, a non-party, a text changed while
signing, a restricted guardian)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from backend.models import (
    Agreement,
    Notification,
    NotificationItem,
    PlanEvent,
    Signature,
    Summary,
    Term,
)
from backend.settings import Settings
from backend.terms.closing import close_term
from tests.integration.conftest import Visitor, demo_person
from tests.integration.test_cli import iup
from tests.integration.test_compilation import plan_of

DUE = (date.today() + timedelta(days=30)).isoformat()  # noqa: DTZ011
YESTERDAY = (date.today() - timedelta(days=1)).isoformat()  # noqa: DTZ011


def write_plan(mentor: Visitor, pupil_id: int, *, agreements: int = 2) -> list[dict[str, Any]]:
    saved = mentor.client.put(
        f"/api/pupils/{pupil_id}/summary",
        headers={"x-csrftoken": mentor.token},
        json={
            "version": 0,
            "held_on": YESTERDAY,
            "participants": "Alva, Anna, Karin",
            "measures_school": "Extra lästräning två gånger i veckan.",
            "measures_pupil": "Läsa 20 minuter varje dag.",
            "measures_home": "Fråga om boken vid middagen.",
        },
    )
    assert saved.status_code == 200, saved.text
    made = []
    for n, party in enumerate(["pupil", "school", "home"][:agreements]):
        created = mentor.post(
            f"/api/pupils/{pupil_id}/agreements",
            json={
                "text": f"Överenskommelse {n + 1}: läsa varje dag",
                "party": party,
                "due_on": DUE,
            },
        )
        assert created.status_code == 201, created.text
        made.append(created.json())
    published = mentor.post(f"/api/pupils/{pupil_id}/summary/publish", json={})
    assert published.status_code == 200, published.text
    return made


def sign(visitor: Visitor, agreement_id: int, *, every: bool = False) -> Any:
    query = "?all=true" if every else ""
    options = visitor.post(f"/api/agreements/{agreement_id}/signature/options{query}", json={})
    assert options.status_code == 200, options.text
    return visitor.post(
        f"/api/agreements/{agreement_id}/signature",
        json=visitor.authenticator.login(options.json()),
    )


def verify_all(settings: Settings, *args: str) -> tuple[int, list[str]]:
    """`iup verify-signatures`: its exit code and its lines."""
    result = iup(settings, "verify-signatures", *args)
    return result.exit_code, result.output.splitlines()


def test_the_written_plan_signed_by_every_party_and_followed_up(
    db: Session, settings: Settings, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    assert alva.id is not None
    mentor = signed_in("mentor-4a")
    pupil, anna, per = signed_in("alva"), signed_in("guardian-anna"), signed_in("guardian-per")

    # Before it is published the family sees nothing of it.
    assert pupil.get(f"/api/pupils/{alva.id}/summary").status_code == 404
    first, second = write_plan(mentor, alva.id)
    plan = plan_of(db, "alva")
    assert plan.state == "held"
    summary = pupil.get(f"/api/pupils/{alva.id}/summary").json()
    assert summary["measures_pupil"] == "Läsa 20 minuter varje dag."
    assert summary["published_at"] and summary["required"] is True  # åk 4

    # Pupil signs both with one touch; Anna signs one at a time; the mentor both.
    # Each is sent back to the page she signed on, loaded afresh.
    done = sign(pupil, first["id"], every=True)
    assert done.status_code == 201, done.text
    assert done.json()["signed"] == [first["id"], second["id"]]
    assert re.fullmatch(r"/\?signed=\d+#done", done.json()["redirect"])
    for agreement in (first, second):
        by_anna = sign(anna, agreement["id"])
        assert by_anna.status_code == 201
        assert re.fullmatch(rf"/pupils/{alva.id}\?signed=\d+#done", by_anna.json()["redirect"])
    by_mentor = sign(mentor, first["id"], every=True)
    assert by_mentor.status_code == 201
    assert re.fullmatch(
        rf"/pupils/{alva.id}/written-plan\?signed=\d+#done", by_mentor.json()["redirect"]
    )

    listed = per.get(f"/api/pupils/{alva.id}/agreements").json()
    by_name = {s["name"]: s for s in listed[0]["signers"]}
    assert by_name["Per Nilsson"]["signed_at"] is None, "Per is still asked"
    assert by_name["Anna Nilsson"]["verified"] is True
    assert "Mikael Andersson" not in by_name
    assert plan_of(db, "alva").state == "held"

    assert sign(per, first["id"], every=True).status_code == 201
    db.expire_all()
    assert plan_of(db, "alva").state == "signed"
    assert {a.state for a in db.exec(select(Agreement)).all()} == {"signed"}
    code, lines = verify_all(settings)
    assert code == 0 and len(lines) == 8 and all(line.startswith("OK ") for line in lines)
    code, lines = verify_all(settings, "--pupil", str(alva.id))
    assert code == 0 and len(lines) == 8

    # A tampered text fails verification.
    row = db.get(Agreement, first["id"])
    assert row is not None
    row.text = row.text + "!"
    db.add(row)
    db.commit()
    code, lines = verify_all(settings)
    assert code == 1
    failed = [line for line in lines if line.startswith("FAILED ")]
    assert len(failed) == 4 and all(f"agreement {first['id']} " in line for line in failed)
    assert "differ from what was signed" in failed[0]
    row.text = row.text[:-1]
    db.add(row)
    db.commit()

    # The mentor changes the second: its four signatures are void, the signers are told.
    changed = mentor.client.patch(
        f"/api/agreements/{second['id']}",
        headers={"x-csrftoken": mentor.token},
        json={"version": 1, "text": "Läsa 30 minuter varje dag"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2 and changed.json()["state"] == "open"
    db.expire_all()
    void = db.exec(select(Signature).where(Signature.agreement_id == second["id"])).all()
    assert len(void) == 4 and all(s.voided_at is not None for s in void)
    assert plan_of(db, "alva").state == "held"
    code, lines = verify_all(settings)
    assert code == 0 and sum("(void" in line for line in lines) == 4, "void ones still verify"
    told = db.exec(
        select(Notification.person_id)
        .join(NotificationItem, col(NotificationItem.notification_id) == Notification.id)
        .where(NotificationItem.kind == "agreement_changed")
    ).all()
    assert set(told) == {
        alva.id,
        demo_person(db, "guardian-anna").id,
        demo_person(db, "guardian-per").id,
    }
    stale = mentor.client.patch(
        f"/api/agreements/{second['id']}",
        headers={"x-csrftoken": mentor.token},
        json={"version": 1, "text": "Något annat"},
    )
    assert (
        stale.status_code == 409 and stale.json()["current"]["text"] == "Läsa 30 minuter varje dag"
    )

    # The pupil marks her part done; the mentor confirms both.
    progress = pupil.post(f"/api/agreements/{first['id']}/progress", json={"comment": "Klart!"})
    assert progress.status_code == 200 and progress.json()["progress_comment"] == "Klart!"
    assert pupil.post(f"/api/agreements/{second['id']}/progress", json={}).status_code == 403
    for agreement in (first, second):
        confirmed = mentor.post(
            f"/api/agreements/{agreement['id']}/follow-up", json={"done": True, "comment": "Bra"}
        )
        assert confirmed.status_code == 200, confirmed.text
    db.expire_all()
    assert plan_of(db, "alva").state == "followed_up"
    story = db.exec(
        select(PlanEvent.state).where(PlanEvent.plan_id == plan.id).order_by(col(PlanEvent.id))
    ).all()
    assert story[-4:] == ["held", "signed", "held", "followed_up"]


def test_refusals(db: Session, settings: Settings, signed_in: Callable[[str], Visitor]) -> None:
    alva = demo_person(db, "alva")
    maja = demo_person(db, "maja")
    assert alva.id is not None and maja.id is not None
    mentor = signed_in("mentor-4a")
    first, second = write_plan(mentor, alva.id)
    pupil = signed_in("alva")

    # A signature over another agreement's challenge.
    options = pupil.post(f"/api/agreements/{first['id']}/signature/options", json={})
    credential = pupil.authenticator.login(options.json())
    other = pupil.post(f"/api/agreements/{second['id']}/signature", json=credential)
    assert other.status_code == 403 and other.json()["reason"] == "other_agreement"
    # That challenge was used up by the attempt; a new one signs, and its replay is refused.
    options = pupil.post(f"/api/agreements/{first['id']}/signature/options", json={})
    credential = pupil.authenticator.login(options.json())
    assert (
        pupil.post(f"/api/agreements/{first['id']}/signature", json=credential).status_code == 201
    )
    replay = pupil.post(f"/api/agreements/{first['id']}/signature", json=credential)
    assert replay.status_code == 400 and replay.json()["reason"] == "challenge"

    # A person who is not a party: the teacher, another pupil's guardian.
    for outsider in (signed_in("teacher-ek"), signed_in("guardian-lina")):
        refused = outsider.post(f"/api/agreements/{second['id']}/signature/options", json={})
        assert refused.status_code in {403, 404}, refused.text

    # Someone else's assertion posted by a party: the passkey is not hers.
    anna = signed_in("guardian-anna")
    options = anna.post(f"/api/agreements/{second['id']}/signature/options", json={})
    stolen = pupil.authenticator.login(options.json())
    wrong = anna.post(f"/api/agreements/{second['id']}/signature", json=stolen)
    assert wrong.status_code == 403 and wrong.json()["reason"] == "not_your_passkey"

    # The text changed between the options and the signature.
    options = anna.post(f"/api/agreements/{second['id']}/signature/options", json={})
    credential = anna.authenticator.login(options.json())
    mentor.client.patch(
        f"/api/agreements/{second['id']}",
        headers={"x-csrftoken": mentor.token},
        json={"version": 1, "due_on": (date.today() + timedelta(days=40)).isoformat()},  # noqa: DTZ011
    )
    late = anna.post(f"/api/agreements/{second['id']}/signature", json=credential)
    assert late.status_code == 409 and late.json()["reason"] == "agreement_changed"

    # A restricted guardian is never asked and cannot sign.
    mentor_8b = signed_in("mentor-8b")
    (majas,) = write_plan(mentor_8b, maja.id, agreements=1)
    mikael = signed_in("guardian-mikael")
    assert (
        mikael.post(f"/api/agreements/{majas['id']}/signature/options", json={}).status_code == 404
    )
    assert mikael.get(f"/api/pupils/{maja.id}/agreements").status_code == 404
    names = {
        s["name"] for s in mentor_8b.get(f"/api/pupils/{maja.id}/agreements").json()[0]["signers"]
    }
    assert "Mikael Andersson" not in names and "Eva Andersson" in names

    db.expire_all()
    signatures = db.exec(select(Signature)).all()
    assert [(s.agreement_id, s.signer_id) for s in signatures] == [(first["id"], alva.id)]
    assert db.get(Summary, plan_of(db, "alva").id) is not None


OUTSIDERS = (
    "elias",
    "guardian-lina",
    "guardian-mikael",
    "mentor-6d",
    "teacher-6d",
    "mentor-8b",
    "principal-2",
)


def test_outsiders_can_neither_read_nor_write_anything_after_the_talk(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """Every route of the written plan, for everyone outside Alva's links: 403/404, and
    nothing changes. Her teacher reads but writes nothing a mentor writes."""
    alva = demo_person(db, "alva")
    assert alva.id is not None
    mentor = signed_in("mentor-4a")
    first, _second = write_plan(mentor, alva.id)
    a = first["id"]
    p = alva.id
    body = {"text": "x", "party": "pupil", "due_on": DUE}
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/api/pupils/{p}/summary", None),
        ("PUT", f"/api/pupils/{p}/summary", {"version": 1}),
        ("POST", f"/api/pupils/{p}/summary/publish", {}),
        ("GET", f"/api/pupils/{p}/agreements", None),
        ("POST", f"/api/pupils/{p}/agreements", body),
        ("PATCH", f"/api/agreements/{a}", {"version": 1, "text": "y"}),
        ("POST", f"/api/agreements/{a}/signature/options", {}),
        ("POST", f"/api/agreements/{a}/progress", {}),
        ("POST", f"/api/agreements/{a}/follow-up", {"done": True}),
        ("GET", f"/pupils/{p}/written-plan", None),
    ]
    forms = [
        (f"/pupils/{p}/written-plan", {"version": "1", "measures_home": "x"}),
        (f"/pupils/{p}/agreements", body),
        (f"/agreements/{a}", {"version": "1", **body}),
        (f"/agreements/{a}/follow-up", {"done": "1"}),
        (f"/agreements/{a}/progress", {"comment": "x"}),
    ]

    def snapshot() -> list[Any]:
        db.expire_all()
        return [
            [(r.id, r.text, r.state, r.version, r.progress_at) for r in db.exec(select(Agreement))],
            [(s.plan_id, s.version, s.measures_home) for s in db.exec(select(Summary))],
            len(db.exec(select(Signature)).all()),
        ]

    before = snapshot()
    for key in OUTSIDERS:
        outsider = signed_in(key)
        for method, url, data in calls:
            headers = {"x-csrftoken": outsider.token}
            answer = outsider.client.request(method, url, json=data, headers=headers)
            assert answer.status_code in {403, 404}, (key, method, url, answer.status_code)
        for url, form in forms:
            assert outsider.form(url, form).status_code in {403, 404}, (key, url)
    teacher = signed_in("teacher-ek")
    assert teacher.get(f"/api/pupils/{p}/summary").status_code == 200
    for method, url, data in calls[1:3] + calls[4:6] + calls[8:9]:
        answer = teacher.client.request(
            method, url, json=data, headers={"x-csrftoken": teacher.token}
        )
        assert answer.status_code == 403, (method, url, answer.text)
    assert snapshot() == before


def test_a_stale_summary_is_refused_with_both_texts_and_bad_input_is_named(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    mentor = signed_in("mentor-4a")
    url = f"/api/pupils/{alva.id}/summary"
    headers = {"x-csrftoken": mentor.token}
    first = mentor.client.put(url, headers=headers, json={"version": 0, "measures_home": "Läsa"})
    assert first.status_code == 200 and first.json()["version"] == 1
    second = mentor.client.put(url, headers=headers, json={"version": 1, "measures_home": "Räkna"})
    assert second.status_code == 200 and second.json()["version"] == 2
    stale = mentor.client.put(url, headers=headers, json={"version": 1, "measures_home": "Rita"})
    assert stale.status_code == 409 and stale.json()["current"]["measures_home"] == "Räkna"
    future = (date.today() + timedelta(days=2)).isoformat()  # noqa: DTZ011
    late = mentor.client.put(url, headers=headers, json={"version": 2, "held_on": future})
    assert late.status_code == 422 and late.json()["reason"] == "invalid_held_on"
    unpublished = mentor.post(f"/api/pupils/{alva.id}/summary/publish", json={})
    assert unpublished.status_code == 422 and unpublished.json()["reason"] == "invalid_held_on"
    for body in (
        {"text": "", "party": "pupil", "due_on": DUE},
        {"text": "Läsa", "party": "granny", "due_on": DUE},
        {"text": "Läsa", "party": "home", "due_on": "snart"},
        {"text": "x" * 1001, "party": "home", "due_on": DUE},
    ):
        refused = mentor.post(f"/api/pupils/{alva.id}/agreements", json=body)
        assert refused.status_code in {400, 422}, body
    db.expire_all()
    assert db.exec(select(Agreement)).first() is None
    summary = db.get(Summary, plan_of(db, "alva").id)
    assert summary is not None and summary.measures_home == "Räkna" and summary.held_on is None


def test_an_archived_plan_refuses_every_write_after_the_talk(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    assert alva.id is not None
    mentor, pupil = signed_in("mentor-4a"), signed_in("alva")
    first, _second = write_plan(mentor, alva.id)
    options = pupil.post(f"/api/agreements/{first['id']}/signature/options", json={})
    assert options.status_code == 200
    credential = pupil.authenticator.login(options.json())
    plan = plan_of(db, "alva")
    term = db.get(Term, plan.term_id)
    assert term is not None and term.id is not None
    close_term(db, school_id=term.school_id, term_id=term.id, by_id=None, today=date.today())  # noqa: DTZ011
    a, p = first["id"], alva.id
    headers = {"x-csrftoken": mentor.token}
    refused = [
        mentor.client.put(f"/api/pupils/{p}/summary", headers=headers, json={"version": 1}),
        mentor.post(f"/api/pupils/{p}/summary/publish", json={}),
        mentor.post(
            f"/api/pupils/{p}/agreements", json={"text": "x", "party": "home", "due_on": DUE}
        ),
        mentor.client.patch(
            f"/api/agreements/{a}", headers=headers, json={"version": 1, "text": "y"}
        ),
        mentor.post(f"/api/agreements/{a}/follow-up", json={"done": True}),
        pupil.post(f"/api/agreements/{a}/signature", json=credential),
        pupil.post(f"/api/agreements/{a}/signature/options", json={}),
        pupil.post(f"/api/agreements/{a}/progress", json={}),
    ]
    for answer in refused:
        assert answer.status_code == 409 and answer.json()["reason"] == "archived", answer.text
        assert "Terminen är stängd" in answer.json()["message"]
    page = mentor.form(f"/pupils/{p}/agreements", {"text": "x", "party": "home", "due_on": DUE})
    assert page.status_code == 409
    db.expire_all()
    assert len(db.exec(select(Agreement)).all()) == 2
    assert db.exec(select(Signature)).first() is None
    assert pupil.get(f"/api/pupils/{p}/summary").json()["state"] == "archived"
    home = pupil.get("/")
    assert "Skriv under" not in home.text and "Jag har gjort min del" not in home.text
