"""Sign-up links from the web: a mentor issues them for her group's pupils and guardians, a
principal for her school's staff; a newer link voids the older one; passkeys are listed and
removed (a lost phone); the letter is in its reader's language; and nobody else gets in."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlmodel import Session, col, select

from backend import i18n
from backend.models import AuditEvent, AuditKind, EnrolmentCode, Group, PasskeyCredential, utcnow
from tests.integration.conftest import ORIGIN, Visitor, demo_person

LINK = re.compile(re.escape(ORIGIN) + r"/enrol/([A-Za-z0-9_-]+)")
REPLACED_SV = "Den här länken har ersatts av en nyare. Be om den senaste."


def group_id(db: Session, name: str) -> int:
    group = db.exec(select(Group).where(Group.name == name)).one()
    assert group.id is not None
    return group.id


def person_id(db: Session, key: str) -> int:
    found = demo_person(db, key).id
    assert found is not None
    return found


def issue(staff: Visitor, person: int) -> tuple[str, httpx.Response]:
    """The web form: the result page, and the code in the link it shows."""
    page = staff.form(f"/people/{person}/enrolment-links", {})
    assert page.status_code == 200, page.text
    match = LINK.search(page.text)
    assert match, "the page shows the link"
    return match.group(1), page


def letter(page: httpx.Response) -> re.Match[str]:
    found = re.search(
        r'<article class="letter" lang="(\w+)" dir="(\w+)"[^>]*>(.*?)</article>', page.text, re.S
    )
    assert found, "the page has the letter"
    return found


def codes_of(db: Session, person: int) -> list[EnrolmentCode]:
    db.expire_all()
    return list(db.exec(select(EnrolmentCode).where(EnrolmentCode.person_id == person)).all())


# Lists --------------------------------------------------------------------------------


def test_the_mentor_lists_her_group_with_guardians_and_passkeys(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    signed_in("alva")  # alva now has one passkey
    mentor = signed_in("mentor-4a")
    group = group_id(db, "4A")
    page = mentor.get(f"/groups/{group}/people")
    assert page.status_code == 200
    for key, name in [("alva", "Alva Nilsson"), ("guardian-anna", "Anna Nilsson")]:
        assert f'<a href="/people/{person_id(db, key)}">{name}</a>' in page.text
    assert "1 passkey" in page.text
    assert "Ingen passkey" in page.text
    rows = mentor.get(f"/api/groups/{group}/people").json()
    assert [p["name"] for p in rows] == ["Alva Nilsson", "Elias Karlsson"]
    assert rows[0]["passkeys"] == 1
    assert [g["name"] for g in rows[0]["guardians"]] == ["Anna Nilsson", "Per Nilsson"]
    assert rows[1]["passkeys"] == 0


def test_a_teacher_of_the_group_may_not_list_it(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    teacher = signed_in("teacher-ek")
    group = group_id(db, "4A")
    assert teacher.get(f"/groups/{group}/people").status_code == 403
    refused = teacher.get(f"/api/groups/{group}/people")
    assert refused.status_code == 403
    assert refused.json()["reason"] == "forbidden"


def test_the_principal_lists_her_staff(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    principal = signed_in("principal")
    school = db.get(Group, group_id(db, "4A"))
    assert school is not None
    page = principal.get(f"/schools/{school.school_id}/staff")
    assert page.status_code == 200
    assert f'<a href="/people/{person_id(db, "teacher-ek")}">Sara Ek</a>' in page.text
    assert "Lärare i Matematik i 4A" in page.text
    staff = principal.get(f"/api/schools/{school.school_id}/staff").json()
    names = [s["name"] for s in staff]
    assert "Karin Lind" in names and "Ulla Strand" in names
    assert "Alva Nilsson" not in names and "Birgitta Holm" not in names


# Issuing -------------------------------------------------------------------------------


def test_a_newer_link_replaces_the_older_one(
    db: Session, signed_in: Callable[[str], Visitor], visitor: Callable[[], Visitor]
) -> None:
    mentor = signed_in("mentor-4a")
    alva = person_id(db, "alva")
    first, page = issue(mentor, alva)
    assert "<svg" in page.text and 'class="qr__code"' in page.text
    assert "style=" not in page.text  # the strict CSP refuses style attributes
    assert "visas bara den här gången" in page.text
    second, _page = issue(mentor, alva)
    assert first != second

    codes = codes_of(db, alva)
    assert len(codes) == 2
    old, new = sorted(codes, key=lambda c: c.created_at)
    assert old.voided_at is not None and old.expires_at <= utcnow()
    assert new.voided_at is None and new.used_at is None
    assert new.issued_by_id == person_id(db, "mentor-4a")
    assert new.expires_at - new.created_at == timedelta(hours=72)  # IUP_ENROLMENT_HOURS
    # The person's page says the same as the setting (and the README): 72 hours.
    assert "gäller i 3 dagar" in mentor.get(f"/people/{alva}").text
    audited = db.exec(
        select(AuditEvent).where(AuditEvent.kind == AuditKind.ENROLMENT_CODE_ISSUED)
    ).all()
    assert [e.actor_id for e in audited if e.detail == f"person {alva}"][-2:] == [
        person_id(db, "mentor-4a")
    ] * 2

    phone = visitor()
    refused = phone.get(f"/enrol/{first}")
    assert refused.status_code == 410
    assert REPLACED_SV in html.unescape(refused.text)
    options = phone.post(f"/enrol/{first}/options", json={})
    assert options.status_code == 410
    assert options.json()["reason"] == "code_replaced"

    assert phone.get(f"/enrol/{second}").status_code == 200
    assert phone.enrol(second).status_code == 201
    assert phone.get("/").status_code == 200  # signed in as Alva
    assert len(mentor.get(f"/api/people/{alva}/passkeys").json()) == 1


def test_the_mentor_issues_for_a_guardian_as_json(
    db: Session, signed_in: Callable[[str], Visitor], visitor: Callable[[], Visitor]
) -> None:
    mentor = signed_in("mentor-4a")
    anna = person_id(db, "guardian-anna")
    response = mentor.post(f"/api/people/{anna}/enrolment-links")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"url", "expires_at"}
    match = LINK.fullmatch(body["url"])
    assert match
    (code,) = [c for c in codes_of(db, anna) if c.used_at is None and c.voided_at is None]
    assert code.issued_by_id == person_id(db, "mentor-4a")
    assert visitor().enrol(match.group(1)).status_code == 201


def test_a_teacher_cannot_issue_for_a_pupil(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    teacher = signed_in("teacher-ek")
    alva = person_id(db, "alva")
    before = len(codes_of(db, alva))
    assert teacher.form(f"/people/{alva}/enrolment-links", {}).status_code == 404
    assert teacher.post(f"/api/people/{alva}/enrolment-links").status_code == 404
    assert teacher.get(f"/people/{alva}").status_code == 404
    assert len(codes_of(db, alva)) == before


def test_the_principal_issues_for_her_staff_only(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    principal = signed_in("principal")
    ek, alva = person_id(db, "teacher-ek"), person_id(db, "alva")
    page = principal.get(f"/people/{ek}")
    assert page.status_code == 200
    assert "Lärare i Matematik i 4A" in page.text
    _code, _page = issue(principal, ek)
    assert codes_of(db, ek)[-1].issued_by_id == person_id(db, "principal")
    assert principal.post(f"/api/people/{alva}/enrolment-links").status_code == 404
    assert principal.get(f"/people/{alva}").status_code == 404

    other = signed_in("principal-2")
    refused = other.post(f"/api/people/{ek}/enrolment-links")
    assert refused.status_code == 404
    assert refused.json()["reason"] == "not_found"
    assert other.get(f"/people/{ek}").status_code == 404


# The letter -----------------------------------------------------------------------------


def test_the_letter_is_in_the_readers_language(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    layla, anna = person_id(db, "guardian-layla"), person_id(db, "guardian-anna")
    _code, page = issue(signed_in("mentor-8b"), layla)
    assert '<html lang="sv" dir="ltr">' in page.text  # the page is the mentor's
    lang, direction, text = letter(page).groups()
    assert (lang, direction) == ("ar", "rtl")
    assert "مرحبًا \u2068Layla Haddad\u2069" in text  # the name isolated in the Arabic
    assert "Demoskolan" in text and "Johan Berg" in text
    assert "Välkommen" not in text

    _code, page = issue(signed_in("mentor-4a"), anna)
    lang, direction, text = letter(page).groups()
    assert (lang, direction) == ("sv", "ltr")
    assert "Hej Anna Nilsson" in text
    assert "Karin Lind" in text and "Demoskolan" in text


def test_the_letter_goes_out_in_every_language_the_app_speaks() -> None:
    """The letter's strings are in every catalogue (tests/unit/test_catalogues.py checks
    each is complete); a language we do not have gives a Swedish letter."""
    assert {lang: i18n.letter_language(lang) for lang in i18n.LANGUAGES} == {
        lang: lang for lang in i18n.LANGUAGES
    }
    assert i18n.letter_language("ar-SE") == "ar"
    assert i18n.letter_language("de") == "sv"
    assert i18n.letter_language(None) == "sv"


# Passkeys -------------------------------------------------------------------------------


def test_a_lost_phone_its_passkey_is_removed_and_signs_in_no_more(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    pupil = signed_in("alva")
    mentor = signed_in("mentor-4a")
    alva = person_id(db, "alva")
    (passkey,) = mentor.get(f"/api/people/{alva}/passkeys").json()
    page = mentor.get(f"/people/{alva}")
    assert html.escape(passkey["nickname"]) in page.text
    action = f"/people/{alva}/passkeys/{passkey['id']}/remove"
    assert f'action="{action}"' in page.text

    ask = mentor.form(action, {})
    assert ask.status_code == 200
    assert 'name="confirm" value="yes"' in ask.text
    assert db.get(PasskeyCredential, passkey["id"]) is not None

    removed = mentor.form(action, {"confirm": "yes"})
    assert removed.status_code == 303
    assert removed.headers["location"] == f"/people/{alva}?removed=1"
    db.expire_all()
    assert db.get(PasskeyCredential, passkey["id"]) is None
    assert mentor.get(f"/api/people/{alva}/passkeys").json() == []
    event = db.exec(
        select(AuditEvent)
        .where(AuditEvent.kind == AuditKind.PASSKEY_REMOVED)
        .order_by(col(AuditEvent.id).desc())
    ).first()
    assert event is not None and event.actor_id == person_id(db, "mentor-4a")

    assert pupil.get("/api/plan").status_code == 401  # her session ended with it
    refused = pupil.sign_in()
    assert refused.status_code == 400
    assert refused.json()["reason"] == "unknown_passkey"
    assert mentor.form(action, {"confirm": "yes"}).status_code == 404


def test_a_passkey_removed_through_the_api(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    guardian = signed_in("guardian-anna")
    mentor = signed_in("mentor-4a")
    anna = person_id(db, "guardian-anna")
    (passkey,) = mentor.get(f"/api/people/{anna}/passkeys").json()
    url = f"/api/people/{anna}/passkeys/{passkey['id']}"
    assert mentor.client.delete(url, headers={"x-csrftoken": mentor.token}).status_code == 204
    assert mentor.client.delete(url, headers={"x-csrftoken": mentor.token}).status_code == 404
    assert guardian.sign_in().status_code == 400
    person = mentor.get(f"/api/people/{anna}").json()
    assert person["passkeys"] == []
    assert person["language"] == "sv" and person["school"] == "Demoskolan"
    assert person["roles"] == [
        {"role": "guardian", "of": "Alva Nilsson", "group_id": group_id(db, "4A"), "subject": ""}
    ]


def test_the_forms_and_the_api_need_the_csrf_token(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    pupil = signed_in("alva")
    mentor = signed_in("mentor-4a")
    alva = person_id(db, "alva")
    before = len(codes_of(db, alva))
    (passkey,) = mentor.get(f"/api/people/{alva}/passkeys").json()
    for url in (f"/people/{alva}/enrolment-links", f"/api/people/{alva}/enrolment-links"):
        assert mentor.client.post(url, follow_redirects=False).status_code == 403
    refused = mentor.client.post(
        f"/people/{alva}/passkeys/{passkey['id']}/remove",
        data={"confirm": "yes"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert mentor.client.delete(f"/api/people/{alva}/passkeys/{passkey['id']}").status_code == 403
    assert len(codes_of(db, alva)) == before
    assert db.get(PasskeyCredential, passkey["id"]) is not None
    assert pupil.get("/api/plan").status_code == 200


def test_the_api_is_described(signed_in: Callable[[str], Visitor]) -> None:
    schema = signed_in("mentor-4a").get("/schema/openapi.json").json()
    paths = schema["paths"]
    issue = paths["/api/people/{person_id}/enrolment-links"]["post"]
    assert "201" in issue["responses"] and "404" in issue["responses"]
    assert "delete" in paths["/api/people/{person_id}/passkeys/{passkey_id}"]
    assert "get" in paths["/api/people/{person_id}/passkeys"]
    assert not any(p.startswith(("/people", "/groups", "/schools")) for p in paths)


# The access sweep -----------------------------------------------------------------------

OUTSIDERS = [
    "maja",  # a pupil of another group
    "elias",  # a pupil of the same group: not hers to handle
    "guardian-anna",  # alva's own guardian: not staff
    "guardian-lina",  # a guardian of another child
    "guardian-mikael",  # a restricted guardian
    "teacher-ek",  # a teacher of alva's group, not her mentor
    "teacher-6d",  # a teacher of another group
    "mentor-6d",  # mentors of other groups
    "mentor-8b",
    "principal",  # the principal: not for pupils
    "principal-2",  # the principal of another school
]


def test_no_outsider_reaches_alva_or_the_lists(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """Every new route, for everyone who is not alva's mentor (and, for the staff list,
    not the school's principal): 403 or 404 and nothing about anyone."""
    pupil = signed_in("alva")
    mentor = signed_in("mentor-4a")
    alva = person_id(db, "alva")
    (passkey,) = mentor.get(f"/api/people/{alva}/passkeys").json()
    # A name no page carries for another reason ("Passkey" is in every page's menu).
    renamed = pupil.form(f"/account/passkeys/{passkey['id']}/rename", {"nickname": "Alvas mobil"})
    assert renamed.status_code == 303
    (passkey,) = mentor.get(f"/api/people/{alva}/passkeys").json()
    assert passkey["nickname"] == "Alvas mobil"
    group = group_id(db, "4A")
    school = db.get(Group, group)
    assert school is not None
    before = len(codes_of(db, alva))
    for key in OUTSIDERS:
        outsider = signed_in(key)
        requests: list[tuple[str, Callable[[], httpx.Response]]] = [
            ("page", lambda o=outsider: o.get(f"/people/{alva}")),
            ("issue", lambda o=outsider: o.form(f"/people/{alva}/enrolment-links", {})),
            (
                "remove",
                lambda o=outsider: o.form(
                    f"/people/{alva}/passkeys/{passkey['id']}/remove", {"confirm": "yes"}
                ),
            ),
            ("json", lambda o=outsider: o.get(f"/api/people/{alva}")),
            ("passkeys", lambda o=outsider: o.get(f"/api/people/{alva}/passkeys")),
            ("issue json", lambda o=outsider: o.post(f"/api/people/{alva}/enrolment-links")),
            (
                "delete",
                lambda o=outsider: o.client.delete(
                    f"/api/people/{alva}/passkeys/{passkey['id']}",
                    headers={"x-csrftoken": o.token},
                ),
            ),
            ("group", lambda o=outsider: o.get(f"/groups/{group}/people")),
            ("group json", lambda o=outsider: o.get(f"/api/groups/{group}/people")),
        ]
        if key != "principal":
            requests += [
                ("staff", lambda o=outsider: o.get(f"/schools/{school.school_id}/staff")),
                ("staff json", lambda o=outsider: o.get(f"/api/schools/{school.school_id}/staff")),
            ]
        for what, request in requests:
            response = request()
            expected = {403} if key == "teacher-ek" and what.startswith("group") else {404}
            if key == "principal" and what.startswith("group"):
                expected = {404}
            assert response.status_code in expected, (key, what, response.status_code)
            assert "Alva" not in response.text, (key, what)
            assert passkey["nickname"] not in response.text, (key, what)
            assert "/enrol/" not in response.text, (key, what)
    assert len(codes_of(db, alva)) == before
    assert db.get(PasskeyCredential, passkey["id"]) is not None
    assert pupil.get("/api/plan").status_code == 200


def test_the_letter_of_a_protected_mentor_names_her_role_not_her_name(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """The letter goes home to the family: a mentor with protected identity is "en
    mentor" there, while her own page still says who she is."""
    mentor = signed_in("mentor-4a")
    karin = demo_person(db, "mentor-4a")
    _code, page = issue(mentor, person_id(db, "guardian-anna"))
    assert "Utfärdad av Karin Lind" in letter(page).group(3)
    karin.security_marking = "Skyddad folkbokföring"
    db.add(karin)
    db.commit()
    _code, page = issue(mentor, person_id(db, "guardian-anna"))
    text = letter(page).group(3)
    assert "Utfärdad av en mentor" in text and "Karin" not in text
