"""The read log is complete (issue 23, item 7): every GET route that shows a pupil's data
to someone other than the pupil herself (a path naming her, her plan, goal, note or
proposal, her group, or all my data of her guardian) is opened by each kind of reader who
may open it, and each read leaves a row in the log with the reader's relation to her (and,
for a principal, the reason she gave), which the pupil's own view of the log then shows.
A route that reads a pupil's data but is not logged must be named below, with why."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from litestar import Litestar
from sqlmodel import Session, col, func, select

from backend import readlog
from backend.access import Policy
from backend.models import Goal, GoalProposal, Group, Note, Plan, ReadLog
from backend.readlog import ReadKind
from tests.integration.conftest import Visitor, demo_person
from tests.integration.test_access import handlers
from tests.integration.test_talks import times_of

# Who reads Alva's data besides Alva, and as what; the principal after giving a reason.
READERS = {
    "mentor-4a": "mentor",
    "teacher-ek": "teacher",
    "guardian-anna": "guardian",
    "principal": "principal",
}
REASON = "Vårdnadshavaren bad om ett möte om stödet i matematik."
# The path parameters that name a pupil or something of hers.
PUPILS_DATA = {"pupil_id", "plan_id", "goal_id", "note_id", "proposal_id", "group_id"}
# Routes without such a parameter that show a pupil's data to someone else.
ALSO = {"/me/data", "/me/data.json", "/api/me/data"}  # a guardian's: her children's too

# Routes that name a pupil but are deliberately not in the log, and why.
NOT_LOGGED = {
    "/api/pupils/{pupil_id:int}/read-log": "the log itself, read by the family it is for",
    "/pupils/{pupil_id:int}/reason": "the principal's form for her reason: only the name",
    "/pupils/{pupil_id:int}/import": "the form to upload a plan: only the pupil's name",
    "/pupils/{pupil_id:int}/notes/new": "the form for a new note: only the pupil's name",
    "/pupils/{pupil_id:int}/preparation": "the guardian's own answers, not the pupil's",
    "/api/pupils/{pupil_id:int}/guardian-preparation": "the guardian's own answers",
    "/groups/{group_id:int}/people": "the roster a mentor issues sign-up links from",
    "/api/groups/{group_id:int}/people": "the roster a mentor issues sign-up links from",
    "/groups/{group_id:int}/talk-times": "the group's talk times: when, and whose family",
    "/api/groups/{group_id:int}/talk-times": "the group's talk times: when, and whose family",
}

# Where the principal is not asked for a reason (the guardian links a school keeps).
NO_REASON = {"/pupils/{pupil_id:int}/guardians", "/api/pupils/{pupil_id:int}/guardians"}
# What the family is told was read, where the issue names it.
KINDS = {
    "/pupils/{pupil_id:int}/compilation": ReadKind.COMPILATION,
    "/api/pupils/{pupil_id:int}/compilation": ReadKind.COMPILATION,
    "/pupils/{pupil_id:int}/notes": ReadKind.NOTES,
    "/api/pupils/{pupil_id:int}/notes": ReadKind.NOTES,
    "/notes/{note_id:int}/edit": ReadKind.NOTES,
    "/api/pupils/{pupil_id:int}/preparations": ReadKind.PREPARATION,
    "/pupils/{pupil_id:int}/written-plan": ReadKind.WRITTEN,
    "/api/pupils/{pupil_id:int}/summary": ReadKind.WRITTEN,
    "/api/pupils/{pupil_id:int}/agreements": ReadKind.WRITTEN,
    "/pupils/{pupil_id:int}/plans": ReadKind.HISTORY,
    "/api/pupils/{pupil_id:int}/plans": ReadKind.HISTORY,
    "/plans/{plan_id:int}": ReadKind.HISTORY,
    "/api/plans/{plan_id:int}": ReadKind.HISTORY,
    "/pupils/{pupil_id:int}/export.json": ReadKind.EXPORT,
    "/api/pupils/{pupil_id:int}/export": ReadKind.EXPORT,
    "/me/data": ReadKind.MY_DATA,
    "/me/data.json": ReadKind.MY_DATA,
    "/api/me/data": ReadKind.MY_DATA,
}


def reading_routes(app: Litestar) -> list[str]:
    """The GET routes that may show a pupil's data to someone other than her."""
    found = []
    for path, handler in handlers(app):
        if "GET" not in handler.http_methods:
            continue
        policy = getattr(handler.resolve_dependencies()["access"].dependency, "policy", None)
        names = set(re.findall(r"\{(\w+)", path))
        if path in ALSO or (names & PUPILS_DATA and policy is not Policy.OWN):
            found.append(path)
    return sorted(found)


def test_every_read_of_a_pupils_data_by_someone_else_is_logged(
    app: Litestar, db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    alva = demo_person(db, "alva")
    plan = db.exec(select(Plan).where(Plan.pupil_id == alva.id).order_by(col(Plan.id).desc()))
    plan_id = plan.first().id  # type: ignore[union-attr]
    ids = {
        "pupil_id": alva.id,
        "plan_id": plan_id,
        "goal_id": db.exec(select(Goal.id).where(Goal.plan_id == plan_id)).first(),
        "note_id": db.exec(select(Note.id).where(Note.pupil_id == alva.id)).first(),
        "proposal_id": db.exec(
            select(GoalProposal.id).where(GoalProposal.plan_id == plan_id)
        ).first(),
        "group_id": db.exec(select(Group.id).where(Group.name == "4A")).one(),
    }
    assert all(ids.values()), ids
    readers = {key: signed_in(key) for key in READERS}
    people = {key: demo_person(db, key) for key in READERS}
    names = {key: f"{p.given_name} {p.family_name}" for key, p in people.items()}
    pupil = signed_in("alva")
    given = readers["principal"].post(
        f"/api/pupils/{alva.id}/read-reasons", json={"reason": REASON}
    )
    assert given.status_code == 201, given.text
    booked = readers["guardian-anna"].post(
        f"/api/talk-times/{times_of(db, '4A')[0].id}/booking", json={}
    )
    assert booked.status_code == 201, booked.text  # so that the calendar file is there

    routes = reading_routes(app)
    assert not set(NOT_LOGGED) - set(routes), "a route listed here is gone"
    unlogged: list[str] = []
    unshown: list[str] = []
    read_by: dict[str, list[str]] = {}
    for path in routes:
        if path in NOT_LOGGED:
            continue
        url = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: str(ids[m.group(1)]), path)
        since = datetime.now().astimezone()
        for key, role in READERS.items():
            if path in ALSO and role != "guardian":  # staff's own data holds no pupil's
                continue
            readlog._WRITTEN.clear()  # each route's read counts, not an earlier one that day
            mark = db.exec(select(func.max(ReadLog.id))).one() or 0
            answer = readers[key].get(url)
            if answer.status_code in (403, 404):  # not hers to read
                continue
            assert answer.status_code == 200, (url, key, answer.status_code)
            read_by.setdefault(path, []).append(key)
            db.expire_all()
            rows = db.exec(
                select(ReadLog).where(
                    col(ReadLog.id) > mark,
                    ReadLog.pupil_id == alva.id,
                    ReadLog.reader_id == people[key].id,
                )
            ).all()
            kind, asked = KINDS.get(path), path not in NO_REASON
            if not any(
                r.role == role
                and (kind is None or r.kind == kind)
                and r.reason == (REASON if asked and role == "principal" else "")
                for r in rows
            ):
                unlogged.append(f"{path} by {role}: {[(r.kind, r.role, r.reason) for r in rows]}")
        log = pupil.get(f"/api/pupils/{alva.id}/read-log").json()
        for key in read_by.get(path, []):
            role, kind = READERS[key], KINDS.get(path)
            if not any(
                e["name"] == names[key]
                and e["role"] == role
                and datetime.fromisoformat(e["at"]) >= since
                and (kind is None or e["kind"] == kind)
                and (role != "principal" or path in NO_REASON or REASON in e["reasons"])
                for e in log
            ):
                unshown.append(f"{path} by {role}")
    assert unlogged == [], "reads that are not in the log:\n" + "\n".join(unlogged)
    assert unshown == [], "reads the pupil is not shown"
    unread = [p for p in routes if p not in NOT_LOGGED and p not in read_by]
    assert unread == [], "routes no reader could open: the test does not test them"
    assert len(read_by) >= 30
    # The guardian sees the staff's reads and her own, as the pupil does.
    seen = {
        (e["name"], e["role"])
        for e in readers["guardian-anna"].get(f"/api/pupils/{alva.id}/read-log").json()
    }
    assert {(names[k], r) for k, r in READERS.items()} <= seen
