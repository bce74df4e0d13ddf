"""Only the pupil's own data: every route is checked, with a foreign pupil, a restricted
guardian and staff outside the pupil's groups."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from litestar import Litestar, get
from sqlmodel import Session, select

from backend.access import Policy
from backend.app import create_app
from backend.models import Goal, Plan, ReadLog, SelfAssessment
from tests.integration.conftest import Visitor, demo_person

PUBLIC = {
    "/healthz",
    "/login",
    "/logout",
    "/lang",
    "/offline",
    "/accessibility",
    "/sw.js",
    "/manifest.webmanifest",
    "/static/{name:path}",
    "/enrol/{code:str}",
    "/enrol/{code:str}/options",
    "/enrol/{code:str}/verify",
    "/auth/login/options",
    "/auth/login/verify",
}


def goals_of(db: Session, key: str) -> list[int]:
    pupil = demo_person(db, key)
    return [
        g.id
        for g in db.exec(select(Goal).join(Plan).where(Plan.pupil_id == pupil.id))
        if g.id is not None
    ]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def handlers(app: Litestar) -> list[tuple[str, Any]]:
    return [
        (route.path, handler)
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if not route.path.startswith("/schema")
        and handler.http_methods != {"OPTIONS"}  # Litestar's own, answers with Allow only
    ]


def test_every_route_declares_an_access_policy_and_uses_it(app: Litestar) -> None:
    """A domain cannot forget the access check: each route names its policy, and a route
    that is not public takes the `access` it resolves (else the check would never run)."""
    seen: dict[Policy, int] = {}
    for path, handler in handlers(app):
        provide = handler.resolve_dependencies().get("access")
        assert provide is not None, f"{path} declares no access policy"
        policy = getattr(provide.dependency, "policy", None)
        assert isinstance(policy, Policy), f"{path}: 'access' is not one of the policies"
        if policy is Policy.PUBLIC:
            assert path in PUBLIC, f"{path} is public but not in the reviewed list"
        else:
            assert "access" in handler.parsed_fn_signature.parameters, f"{path} ignores access"
        seen[policy] = seen.get(policy, 0) + 1
    assert set(seen) == set(Policy), seen


def test_the_policy_test_catches_a_route_without_one(settings: Any) -> None:
    @get("/forgotten", sync_to_thread=False)
    def forgotten() -> str:
        return "data"

    app = create_app(settings)
    app.register(forgotten)
    with pytest.raises(AssertionError, match="declares no access policy"):
        test_every_route_declares_an_access_policy_and_uses_it(app)


def test_every_other_route_needs_a_session(app: Litestar, visitor: Callable[[], Visitor]) -> None:
    guest = visitor()
    checked = 0
    for route in app.routes:
        if route.path in PUBLIC or route.path.startswith("/schema"):
            continue
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):  # type: ignore[union-attr]
            url = concrete(route.path)
            if method == "GET":
                response = guest.get(url)
                assert response.status_code in (303, 401), (method, url)
                if response.status_code == 303:
                    assert response.headers["location"].startswith("/login?next=")
            else:
                headers = {"x-csrftoken": guest.token}  # PATCH and DELETE too, not only POST
                response = guest.client.request(method, url, json={}, headers=headers)
                assert response.status_code in (401, 403), (method, url, response.text)
                assert "Alva" not in response.text
            checked += 1
    assert checked >= 9, "the routes under test exist"


def test_a_foreign_pupil_can_neither_read_nor_write(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva_goal = goals_of(db, "alva")[0]
    alva = demo_person(db, "alva")
    elias = signed_in("elias")
    assert "multiplikationstabellerna" in elias.get("/").text  # his own plan (same class)
    assert elias.get(f"/pupils/{alva.id}").status_code == 404
    assert elias.get(f"/api/pupils/{alva.id}/plan").status_code == 404
    own_goal = goals_of(db, "elias")[0]
    assert f'id="goal-{own_goal}-comment"' in elias.get(f"/goals/{own_goal}").text
    opened = elias.get(f"/goals/{alva_goal}")
    assert opened.status_code == 404 and "hack" not in opened.text
    assert elias.get(f"/goals/{alva_goal}", headers={"hx-request": "true"}).status_code == 404
    html = elias.form(f"/goals/{alva_goal}/self-assessments", {"level": "1", "comment": "hack"})
    assert html.status_code == 404
    api = elias.post(f"/api/goals/{alva_goal}/self-assessments", json={"level": 1})
    assert api.status_code == 404
    htmx = elias.post(
        f"/goals/{alva_goal}/self-assessments", data={"level": "1"}, headers={"hx-request": "true"}
    )
    assert htmx.status_code == 404
    for response in (html, api, htmx):
        assert "Alva" not in response.text and "multiplikation" not in response.text
    assert db.exec(select(SelfAssessment).where(SelfAssessment.goal_id == alva_goal)).all() == []


def test_guardians_read_their_child_only(db: Session, signed_in: Callable[[str], Visitor]) -> None:
    alva, maja = demo_person(db, "alva"), demo_person(db, "maja")
    for key in ("guardian-anna", "guardian-per"):  # two households, each their own access
        guardian = signed_in(key)
        home = guardian.get("/")  # one child: her plan is the start page
        assert home.status_code == 303 and home.headers["location"] == f"/pupils/{alva.id}"
        assert guardian.get(f"/pupils/{alva.id}").status_code == 200
        assert "multiplikationstabellerna" in guardian.get(f"/pupils/{alva.id}").text
        assert guardian.get(f"/pupils/{maja.id}").status_code == 404
        goal = goals_of(db, "alva")[0]
        assert guardian.form(f"/goals/{goal}/self-assessments", {"level": "4"}).status_code == 404


def test_a_restricted_guardian_sees_nothing(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    maja = demo_person(db, "maja")
    mikael = signed_in("guardian-mikael")
    home = mikael.get("/")
    assert home.status_code == 200 and "Maja" not in home.text
    assert mikael.get(f"/pupils/{maja.id}").status_code == 404
    assert mikael.get(f"/api/pupils/{maja.id}/plan").status_code == 404


def test_staff_read_only_their_groups_and_each_read_is_logged(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva, maja = demo_person(db, "alva"), demo_person(db, "maja")
    mentor_4a = signed_in("mentor-4a")
    assert mentor_4a.get(f"/pupils/{alva.id}").status_code == 200
    assert mentor_4a.get(f"/pupils/{maja.id}").status_code == 404
    teacher = signed_in("teacher-ek")
    assert teacher.get(f"/api/pupils/{maja.id}/plan").status_code == 200
    principal = signed_in("principal")  # an individual plan only with a logged reason
    asked = principal.get(f"/pupils/{alva.id}")
    assert asked.status_code == 303 and asked.headers["location"] == f"/pupils/{alva.id}/reason"
    refused = principal.get(f"/api/pupils/{alva.id}/plan")
    assert refused.status_code == 403 and refused.json()["reason"] == "reason_needed"
    assert "multiplikation" not in refused.text
    reads = db.exec(select(ReadLog)).all()
    assert {(e.reader_id, e.pupil_id, e.kind, e.role) for e in reads} == {
        (demo_person(db, "mentor-4a").id, alva.id, "plan", "mentor"),
        (demo_person(db, "teacher-ek").id, maja.id, "plan", "teacher"),
    }


@pytest.mark.parametrize("path", ["/logout", "/lang"])
def test_state_changes_need_the_csrf_token(visitor: Callable[[], Visitor], path: str) -> None:
    guest = visitor()
    guest.token
    response = guest.client.post(path, data={"lang": "en"}, follow_redirects=False)
    assert response.status_code == 403
    assert "Ladda om sidan" in response.text


def test_a_self_assessment_without_the_token_is_refused(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = signed_in("alva")
    goal = goals_of(db, "alva")[0]
    response = alva.client.post(
        f"/goals/{goal}/self-assessments", data={"level": "2"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert db.exec(select(SelfAssessment).where(SelfAssessment.goal_id == goal)).all() == []


def test_the_pupil_and_her_guardians_see_who_on_the_staff_read_her_plan(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    pupil = signed_in("alva")
    assert "Ingen annan har öppnat planen än." in pupil.get("/").text
    mentor = signed_in("mentor-4a")
    mentor.get(f"/pupils/{alva.id}")
    mentor.get(f"/pupils/{alva.id}")  # twice on one day: listed once
    home = pupil.get("/").text
    assert home.count("Karin Lind (mentor) ·") == 1
    guardian_view = signed_in("guardian-per").get(f"/pupils/{alva.id}").text
    assert "Karin Lind (mentor) ·" in guardian_view
    assert "Per Nilsson (vårdnadshavare) ·" in pupil.get("/").text  # guardians' reads too
    anna_view = signed_in("guardian-anna").get(f"/pupils/{alva.id}").text
    assert "Karin Lind (mentor) ·" in anna_view
    assert "Per Nilsson" not in anna_view, "another household's reads are not shown"
    mentor_view = mentor.get(f"/pupils/{alva.id}").text
    assert "Vem har läst planen" not in mentor_view


def test_a_teacher_sees_her_pupils_by_group(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    teacher = signed_in("teacher-ek")  # teaches both 4A and 8B
    home = teacher.get("/").text
    assert home.index("<h2>4A</h2>") < home.index("Alva Nilsson") < home.index("<h2>8B</h2>")
    assert home.index("<h2>8B</h2>") < home.index("Maja Andersson")


def test_the_readers_and_the_pupil_list_as_json(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    readers = signed_in("alva").get("/api/plan/readers")
    assert readers.status_code == 200
    assert [(r["role"], r["name"]) for r in readers.json()][:3] == [
        ("guardian", "Anna Nilsson"),
        ("guardian", "Per Nilsson"),
        ("mentor", "Karin Lind"),
    ]
    assert {r["role"] for r in readers.json()[3:]} == {"teacher"}
    assert signed_in("guardian-anna").get("/api/plan/readers").status_code == 404  # pupils only
    pupils = signed_in("teacher-ek").get("/api/pupils").json()
    assert [p["group"] for p in pupils] == ["4A"] * 2 + ["5C"] * 5 + ["8B"] * 2  # not 6D
    assert signed_in("guardian-mikael").get("/api/pupils").json() == []  # restricted


def test_a_guardian_with_two_children_reads_both_and_no_one_else(
    signed_in: Callable[[str], Visitor],
) -> None:
    sanna = signed_in("guardian-sanna")
    home = sanna.get("/")
    assert home.status_code == 200 and home.url.path == "/"  # a list, not one plan
    assert home.text.index("Adam Falk") < home.text.index("Wilma Dahl")
    assert "Ebba Wik" not in home.text  # their classmate
    pupils = sanna.get("/api/pupils").json()
    assert [p["name"] for p in pupils] == ["Adam Falk", "Wilma Dahl"]
    assert all(sanna.get(f"/pupils/{p['id']}").status_code == 200 for p in pupils)
