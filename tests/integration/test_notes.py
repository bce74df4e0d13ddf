"""Running notes: the note form in three interactions, tagging with the author's subject,
staff-only notes that never reach the pupil or her guardians, the author's edit (409 on a
stale version) and delete, and the access sweep."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlmodel import Session, select

from backend.models import Group, GroupPupil, GroupTeacher, Note, ReadLog
from tests.integration.conftest import Visitor, demo_person

SHARED = "Alva använder tallinjen själv"  # the demo's shared note
STAFF_ONLY = "extra lästid på torsdagar"  # the demo's staff-only note
HX = {"hx-request": "true"}


def notes_of(db: Session, key: str) -> list[Note]:
    db.expire_all()
    pupil = demo_person(db, key)
    return list(db.exec(select(Note).where(Note.pupil_id == pupil.id).order_by(Note.id)))


def test_the_note_form_opens_in_place_with_the_text_focused_and_two_save_buttons(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    teacher = signed_in("teacher-ek")
    part = teacher.get(f"/pupils/{alva.id}/notes/new", headers=HX)
    assert part.status_code == 200
    assert "<html" not in part.text, "a fragment for the group list"
    assert re.search(r"<textarea[^>]*autofocus", part.text)
    assert f'hx-post="/pupils/{alva.id}/notes"' in part.text
    assert 'name="shared" value="0"' in part.text and 'name="shared" value="1"' in part.text
    assert "Spara bara för personalen" in part.text
    assert "Spara och dela med eleven och vårdnadshavarna" in part.text
    assert "Taggad: Matematik" in part.text and "<select" not in part.text
    assert f'aria-describedby="note-{alva.id}-guidance' in part.text
    assert f'id="note-{alva.id}-guidance"' in part.text  # the writing guidance
    page = teacher.get(f"/pupils/{alva.id}/notes/new")
    assert page.status_code == 200 and "<html" in page.text
    assert "Ny anteckning om Alva Nilsson" in page.text


def test_a_shared_note_saved_with_htmx_is_tagged_and_confirmed(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    before = len(notes_of(db, "alva"))
    teacher = signed_in("teacher-ek")
    saved = teacher.form(
        f"/pupils/{alva.id}/notes",
        {"text": "  Alva förklarade bråk för en kompis.  ", "shared": "1"},
        headers=HX,
    )
    assert saved.status_code == 200
    assert "Sparat – delad med eleven och vårdnadshavarna" in saved.text
    assert "data-focus" in saved.text and f'href="/pupils/{alva.id}/notes"' in saved.text
    notes = notes_of(db, "alva")
    assert len(notes) == before + 1
    note = notes[-1]
    assert (note.text, note.shared, note.subject) == (
        "Alva förklarade bråk för en kompis.",
        True,
        "Matematik",
    )
    assert note.author_id == demo_person(db, "teacher-ek").id


def test_a_staff_only_note_without_javascript_redirects_back(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    mentor = signed_in("mentor-4a")
    saved = mentor.form(
        f"/pupils/{alva.id}/notes",
        {"text": "Ringer hem på fredag.", "shared": "0", "back": "/groups/1"},
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/groups/1"
    note = notes_of(db, "alva")[-1]
    assert (note.text, note.shared, note.subject) == ("Ringer hem på fredag.", False, "Mentor")
    default = mentor.form(f"/pupils/{alva.id}/notes", {"text": "Till listan.", "shared": "0"})
    assert default.headers["location"] == f"/pupils/{alva.id}/notes"
    hostile = mentor.form(
        f"/pupils/{alva.id}/notes", {"text": "Bort.", "shared": "0", "back": "//evil.example"}
    )
    assert hostile.headers["location"] == "/"


def test_a_teacher_of_several_subjects_chooses_one(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    ek = demo_person(db, "teacher-ek")
    group = db.exec(select(Group).where(Group.name == "6D")).one()  # Alva in a second group
    assert group.id is not None and ek.id is not None and alva.id is not None
    db.add(GroupTeacher(group_id=group.id, teacher_id=ek.id, subject="NO"))
    db.add(GroupPupil(group_id=group.id, pupil_id=alva.id))
    db.commit()
    teacher = signed_in("teacher-ek")
    form = teacher.get(f"/pupils/{alva.id}/notes/new", headers=HX).text
    assert "<select" in form and '<option value="Matematik"' in form and '"NO"' in form
    teacher.form(f"/pupils/{alva.id}/notes", {"text": "Bra på NO.", "shared": "0", "subject": "NO"})
    assert notes_of(db, "alva")[-1].subject == "NO"
    refused = teacher.form(
        f"/pupils/{alva.id}/notes", {"text": "Fel.", "shared": "0", "subject": "Slöjd"}
    )
    assert refused.status_code == 422 and "Välj ett av dina ämnen." in refused.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "Skriv anteckningen."),
        ("x" * 2001, "Anteckningen är för lång. Skriv högst 2000 tecken."),
        ("Hej\x07då", "Anteckningen har ett tecken som vi inte kan spara."),
    ],
)
def test_a_refused_note_keeps_the_text_and_says_why(
    db: Session, signed_in: Callable[[str], Visitor], text: str, message: str
) -> None:
    alva = demo_person(db, "alva")
    before = len(notes_of(db, "alva"))
    teacher = signed_in("teacher-ek")
    refused = teacher.form(f"/pupils/{alva.id}/notes", {"text": text, "shared": "1"}, headers=HX)
    assert refused.status_code == 422
    assert message in refused.text and 'role="alert"' in refused.text
    assert f'href="#note-{alva.id}-text"' in refused.text
    if text.strip() and "\x07" not in text:
        assert text in refused.text, "what she wrote is kept"
    assert len(notes_of(db, "alva")) == before


def test_a_note_without_the_csrf_token_is_refused(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    before = len(notes_of(db, "alva"))
    teacher = signed_in("teacher-ek")
    teacher.token
    response = teacher.client.post(
        f"/pupils/{alva.id}/notes", data={"text": "Utan token", "shared": "1"}
    )
    assert response.status_code == 403
    note = notes_of(db, "alva")[0]
    edit = teacher.client.post(f"/notes/{note.id}/edit", data={"text": "x", "version": "1"})
    delete = teacher.client.post(f"/notes/{note.id}/delete")
    api = teacher.client.post(f"/api/pupils/{alva.id}/notes", json={"text": "x"})
    assert (edit.status_code, delete.status_code, api.status_code) == (403, 403, 403)
    assert len(notes_of(db, "alva")) == before


def test_staff_see_every_note_newest_first_with_staff_only_marked_and_the_read_logged(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    mentor = signed_in("mentor-4a")
    mentor.form(f"/pupils/{alva.id}/notes", {"text": "Den senaste.", "shared": "1"})
    page = mentor.get(f"/pupils/{alva.id}/notes")
    assert page.status_code == 200
    text = page.text
    assert text.index("Den senaste.") < text.index(SHARED) and STAFF_ONLY in text
    assert text.count('<span class="note__audience">Bara personalen</span>') == 1
    assert text.count("note--staff") == 1
    # Only her own note offers a change.
    own = notes_of(db, "alva")[-1]
    assert f'href="/notes/{own.id}/edit"' in text
    others = [n for n in notes_of(db, "alva") if n.id != own.id]
    assert all(f'href="/notes/{n.id}/edit"' not in text for n in others)
    reads = db.exec(select(ReadLog).where(ReadLog.kind == "notes")).all()
    assert [(r.reader_id, r.pupil_id, r.role) for r in reads] == [
        (demo_person(db, "mentor-4a").id, alva.id, "mentor")
    ]


def test_staff_only_notes_never_reach_the_pupil_or_her_guardians(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    teacher = signed_in("teacher-ek")
    teacher.form(f"/pupils/{alva.id}/notes", {"text": "Hemligt för personalen.", "shared": "0"})
    teacher.form(f"/pupils/{alva.id}/notes", {"text": "Till familjen.", "shared": "1"})
    pupil = signed_in("alva")
    guardian = signed_in("guardian-anna")
    bodies = [
        pupil.get("/").text,
        pupil.get(f"/api/pupils/{alva.id}/notes").text,
        pupil.get("/api/plan").text,
        guardian.get(f"/pupils/{alva.id}").text,
        guardian.get(f"/api/pupils/{alva.id}/notes").text,
        guardian.get(f"/api/pupils/{alva.id}/plan").text,
    ]
    for body in bodies:
        assert "Hemligt för personalen." not in body and STAFF_ONLY not in body
    for body in (bodies[0], bodies[3]):
        assert "Från skolan" in body and "Till familjen." in body and SHARED in body
        assert "Sara Ek" in body and "Matematik" in body
    listed = pupil.get(f"/api/pupils/{alva.id}/notes").json()
    assert listed[0]["text"] == "Till familjen." and len(listed) == 2
    assert listed[1]["text"].startswith(SHARED) and all(n["shared"] for n in listed)
    # The staff page of notes is not theirs.
    assert pupil.get(f"/pupils/{alva.id}/notes").status_code == 404
    assert guardian.get(f"/pupils/{alva.id}/notes").status_code == 404
    staff_json = teacher.get(f"/api/pupils/{alva.id}/notes").json()
    assert any(n["text"] == "Hemligt för personalen." for n in staff_json)
    # The staff view of the plan shows shared notes only, too, with the way to all of them.
    staff_plan = teacher.get(f"/pupils/{alva.id}").text
    assert "Hemligt för personalen." not in staff_plan
    assert f'href="/pupils/{alva.id}/notes"' in staff_plan
    assert f'href="/pupils/{alva.id}/notes/new"' in staff_plan
    for body in (bodies[0], bodies[3]):  # the family gets no way to them
        assert f"/pupils/{alva.id}/notes" not in body


def test_the_author_edits_her_note_and_a_stale_save_keeps_both_texts(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    note = next(n for n in notes_of(db, "alva") if n.shared)
    teacher = signed_in("teacher-ek")
    form = teacher.get(f"/notes/{note.id}/edit")
    assert form.status_code == 200 and note.text in form.text
    assert 'name="version" value="1"' in form.text
    saved = teacher.form(
        f"/notes/{note.id}/edit", {"text": "Ny text.", "version": "1", "shared": "1"}
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/pupils/{note.pupil_id}/notes#note-{note.id}"
    changed = notes_of(db, "alva")[0]
    assert (changed.text, changed.version, changed.shared) == ("Ny text.", 2, True)
    assert changed.updated_at is not None
    stale = teacher.form(
        f"/notes/{note.id}/edit", {"text": "Min gamla flik.", "version": "1", "shared": "0"}
    )
    assert stale.status_code == 409
    assert "Min gamla flik." in stale.text and "Ny text." in stale.text  # both texts
    assert 'name="version" value="2"' in stale.text  # saving again works
    assert notes_of(db, "alva")[0].text == "Ny text."
    again = teacher.form(
        f"/notes/{note.id}/edit", {"text": "Min gamla flik.", "version": "2", "shared": "0"}
    )
    assert again.status_code == 303
    assert (notes_of(db, "alva")[0].text, notes_of(db, "alva")[0].shared) == (
        "Min gamla flik.",
        False,
    )
    empty = teacher.form(f"/notes/{note.id}/edit", {"text": " ", "version": "3", "shared": "0"})
    assert empty.status_code == 422 and "Skriv anteckningen." in empty.text


def test_only_the_author_edits_or_deletes(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    note = notes_of(db, "alva")[0]  # Sara Ek's
    pupil_id, text = note.pupil_id, note.text
    mentor = signed_in("mentor-4a")  # sees Alva, did not write it
    assert mentor.get(f"/notes/{note.id}/edit").status_code == 403
    edit = mentor.form(f"/notes/{note.id}/edit", {"text": "Kapad", "version": "1"})
    assert edit.status_code == 403
    assert mentor.form(f"/notes/{note.id}/delete", {}).status_code == 403
    patch = mentor.client.patch(
        f"/api/notes/{note.id}",
        json={"text": "Kapad", "version": 1},
        headers={"x-csrftoken": mentor.token},
    )
    assert patch.status_code == 403 and patch.json()["reason"] == "not_author"
    gone = mentor.client.delete(f"/api/notes/{note.id}", headers={"x-csrftoken": mentor.token})
    assert gone.status_code == 403
    assert notes_of(db, "alva")[0].text == text
    note_id = note.id
    teacher = signed_in("teacher-ek")
    deleted = teacher.form(f"/notes/{note_id}/delete", {})
    assert deleted.status_code == 303
    assert deleted.headers["location"] == f"/pupils/{pupil_id}/notes?deleted=1"
    assert note_id not in {n.id for n in notes_of(db, "alva")}
    assert teacher.get(f"/notes/{note_id}/edit").status_code == 404
    assert "Anteckningen är borttagen." in teacher.get(deleted.headers["location"]).text


def test_notes_as_json(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    alva = demo_person(db, "alva")
    teacher = signed_in("teacher-ek")
    created = teacher.post(
        f"/api/pupils/{alva.id}/notes", json={"text": " Via API. ", "shared": False}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["text"], body["shared"], body["subject"], body["version"]) == (
        "Via API.",
        False,
        "Matematik",
        1,
    )
    assert body["author"] == "Sara Ek"
    listed = teacher.get(f"/api/pupils/{alva.id}/notes").json()
    assert listed[0]["id"] == body["id"]
    empty = teacher.post(f"/api/pupils/{alva.id}/notes", json={"text": ""})
    assert empty.status_code == 400 and "Alva" not in empty.text  # the schema refuses it
    wrong = teacher.post(f"/api/pupils/{alva.id}/notes", json={"text": "x", "subject": "Slöjd"})
    assert wrong.status_code == 422 and wrong.json()["reason"] == "invalid_subject"
    blank = teacher.post(f"/api/pupils/{alva.id}/notes", json={"text": "   "})
    assert blank.status_code == 422 and blank.json()["reason"] == "invalid_text"
    url = f"/api/notes/{body['id']}"
    headers = {"x-csrftoken": teacher.token}
    changed = teacher.client.patch(
        url, json={"text": "Ändrad.", "version": 1, "shared": True}, headers=headers
    )
    assert changed.status_code == 200
    assert (changed.json()["text"], changed.json()["version"], changed.json()["shared"]) == (
        "Ändrad.",
        2,
        True,
    )
    stale = teacher.client.patch(url, json={"text": "Gammal.", "version": 1}, headers=headers)
    assert stale.status_code == 409
    assert stale.json()["reason"] == "stale_version"
    assert stale.json()["current"]["text"] == "Ändrad."
    assert stale.json()["current"]["version"] == 2
    removed = teacher.client.delete(url, headers=headers)
    assert removed.status_code == 204
    assert teacher.client.delete(url, headers=headers).status_code == 404
    pupil = signed_in("alva")
    assert pupil.post(f"/api/pupils/{alva.id}/notes", json={"text": "Jag"}).status_code == 404
    schema = teacher.get("/schema/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(schema["/api/pupils/{pupil_id}/notes"])
    assert {"patch", "delete"} <= set(schema["/api/notes/{note_id}"])


OUTSIDERS = [
    "maja",  # a pupil of another group
    "elias",  # a pupil of the same group: not her notes either
    "teacher-6d",
    "mentor-6d",
    "mentor-8b",
    "principal-2",
    "guardian-lina",
    "guardian-mikael",
]


@pytest.mark.parametrize("key", OUTSIDERS)
def test_outsiders_get_nothing_from_any_notes_route(
    db: Session, signed_in: Callable[[str], Visitor], key: str
) -> None:
    alva = demo_person(db, "alva")
    note = notes_of(db, "alva")[0]
    count = len(notes_of(db, "alva"))
    outsider = signed_in(key)
    headers = {"x-csrftoken": outsider.token}
    responses = [
        outsider.get(f"/pupils/{alva.id}/notes/new"),
        outsider.get(f"/pupils/{alva.id}/notes/new", headers=HX),
        outsider.get(f"/pupils/{alva.id}/notes"),
        outsider.form(f"/pupils/{alva.id}/notes", {"text": "Inbrott", "shared": "1"}),
        outsider.get(f"/notes/{note.id}/edit"),
        outsider.form(f"/notes/{note.id}/edit", {"text": "Inbrott", "version": "1"}),
        outsider.form(f"/notes/{note.id}/delete", {}),
        outsider.get(f"/api/pupils/{alva.id}/notes"),
        outsider.post(f"/api/pupils/{alva.id}/notes", json={"text": "Inbrott"}),
        outsider.client.patch(
            f"/api/notes/{note.id}", json={"text": "Inbrott", "version": 1}, headers=headers
        ),
        outsider.client.delete(f"/api/notes/{note.id}", headers=headers),
    ]
    for response in responses:
        assert response.status_code in (403, 404), (response.request.url, response.status_code)
        assert "Alva" not in response.text and note.text not in response.text
    assert len(notes_of(db, "alva")) == count and notes_of(db, "alva")[0].text == note.text
