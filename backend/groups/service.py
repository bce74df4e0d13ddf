"""A member of staff's groups and the group at a glance. Each is built with a fixed number
of statements whatever the group's size (groups/queries.py), so a class of 30 costs what a
class of 5 does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlmodel import Session

from backend.access import GroupAccess, Relation, Staff, StaffGroup
from backend.db import Query
from backend.errors import Forbidden
from backend.groups import queries
from backend.groups.schemas import (
    AreaLevelPublic,
    GroupOverviewPublic,
    GroupPublic,
    PupilRowPublic,
)
from backend.i18n import N_
from backend.notifications.service import Kind, notify
from backend.plans.service import month_start

SORTS = ("name", "unread", "not_rated")  # and "area:<area>"
AREA_SORT = "area:"
NOT_MENTOR = N_("Only the group's mentor can send reminders.")


class PupilName(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    unread: int


class GroupPupils(msgspec.Struct, frozen=True, kw_only=True):
    """A group on the staff start page: the group, and its pupils by name."""

    group: GroupPublic
    pupils: list[PupilName]


def _public(group: StaffGroup, pupils: list[PupilName]) -> GroupPublic:
    return GroupPublic(
        id=group.id,
        name=group.name,
        school_id=group.school_id,
        school_year=group.school_year,
        relation=group.relation.value,
        subjects=list(group.subjects),
        pupils=len(pupils),
        unread=sum(p.unread for p in pupils),
    )


def _pupils(session: Session, query: Query, params: dict[str, int]) -> list[tuple[int, PupilName]]:
    """(group id, pupil) for each row of queries.PUPILS_OF_*, by name."""
    return [
        (
            row.group_id,
            PupilName(
                id=row.pupil_id,
                name=f"{row.given_name} {row.family_name}",
                unread=int(row.unread),
            ),
        )
        for row in query.rows(session, params)
    ]


def groups_with_pupils(session: Session, *, staff: Staff) -> list[GroupPupils]:
    """Her groups (mentored first, then taught, by name), each with its pupils and what is
    unread for her: one query for all of them."""
    by_group: dict[int, list[PupilName]] = {g.id: [] for g in staff.groups}
    for group_id, pupil in _pupils(
        session, queries.PUPILS_OF_STAFF, {"viewer_id": staff.viewer.person_id}
    ):
        if group_id in by_group:
            by_group[group_id].append(pupil)
    return [
        GroupPupils(group=_public(g, by_group[g.id]), pupils=by_group[g.id]) for g in staff.groups
    ]


def unread_total(groups: list[GroupPupils]) -> int:
    """What is unread for her over all her groups, each pupil once (a pupil may be in her
    class and in a teaching group of hers)."""
    return sum({p.id: p.unread for g in groups for p in g.pupils}.values())


class Readiness(msgspec.Struct, kw_only=True):
    """Where one pupil stands before this term's talk."""

    prepared: str = "not_started"  # ready, started or not_started
    guardians: list[int] = msgspec.field(default_factory=list)  # with access
    guardians_ready: list[int] = msgspec.field(default_factory=list)
    booked_at: datetime | None = None
    held: bool = False
    agreements: int = 0
    agreements_signed: int = 0  # signed by every party (and those followed up since)
    agreements_followed_up: int = 0


HELD_STATES = frozenset({"held", "signed", "followed_up", "archived"})


def readiness(session: Session, *, group_id: int, today: date) -> dict[int, Readiness]:
    """Per pupil of the group with a plan this term: prepared, guardians prepared, booked,
    held. Three queries whatever the group's size."""
    params = {"group_id": group_id, "today": today}
    found: dict[int, Readiness] = {}
    for talk in queries.TALKS.rows(session, params):
        found[talk.pupil_id] = Readiness(
            booked_at=talk.starts_at,
            held=talk.state in HELD_STATES,
            agreements=talk.agreements,
            agreements_signed=talk.signed,
            agreements_followed_up=talk.followed_up,
        )
    for guardian in queries.GUARDIANS.rows(session, {"group_id": group_id}):
        if guardian.pupil_id in found:
            found[guardian.pupil_id].guardians.append(guardian.guardian_id)
    for prep in queries.PREPARED.rows(session, params):
        row = found.get(prep.pupil_id)
        if row is None:
            continue
        author_id = prep.author_id
        if author_id == prep.pupil_id:
            row.prepared = "ready" if prep.ready_at is not None else "started"
        elif prep.ready_at is not None and author_id in row.guardians:
            row.guardians_ready.append(author_id)
    return found


def checked_sort(sort: str, areas: list[str]) -> str:
    """The sort asked for, if it is one we offer; otherwise by name."""
    if sort in SORTS or (sort.startswith(AREA_SORT) and sort[len(AREA_SORT) :] in areas):
        return sort
    return "name"


def overview(
    session: Session, *, access: GroupAccess, today: date, zone: ZoneInfo, sort: str = "name"
) -> GroupOverviewPublic:
    """One row per pupil, one column per goal area of the goals in force this term: the
    latest level in the area and when, whether she has rated anything this month, and how
    many of her reflections are unread for the viewer; and before the talk: prepared,
    guardians prepared, booked, held. Five queries."""
    group = access.group
    viewer_id = access.staff.viewer.person_id
    pupils = [
        pupil
        for _group, pupil in _pupils(
            session, queries.PUPILS_OF_GROUP, {"group_id": group.id, "viewer_id": viewer_id}
        )
    ]
    latest: dict[int, dict[str, datetime | None]] = {}
    levels: dict[tuple[int, str], int] = {}
    for rating in queries.LATEST_BY_GOAL.rows(session, {"group_id": group.id, "today": today}):
        pupil_id, area, level, at = rating.pupil_id, rating.area, rating.level, rating.created_at
        areas_of = latest.setdefault(pupil_id, {})
        earlier = areas_of.get(area)
        if area not in areas_of or (at is not None and (earlier is None or at > earlier)):
            areas_of[area] = at
            if level is not None:
                levels[(pupil_id, area)] = level
    areas = sorted({area for found in latest.values() for area in found})
    ready = readiness(session, group_id=group.id, today=today)
    since = month_start(today, zone)
    rows = []
    for pupil in pupils:
        found = latest.get(pupil.id, {})
        cells = []
        for area in areas:
            at = found.get(area)
            cells.append(
                AreaLevelPublic(
                    area=area,
                    level=levels.get((pupil.id, area)) if at is not None else None,
                    rated_at=at,
                    rated_on=at.astimezone(zone).date() if at is not None else None,
                    this_month=at is not None and at >= since,
                )
            )
        rows.append(
            PupilRowPublic(
                id=pupil.id,
                name=pupil.name,
                areas=cells,
                not_rated_this_month=not any(c.this_month for c in cells),
                unread=pupil.unread,
                **_talk_columns(ready.get(pupil.id)),
            )
        )
    sort = checked_sort(sort, areas)
    rows.sort(key=_sort_key(sort, areas))
    return GroupOverviewPublic(group=_public(group, pupils), areas=areas, sort=sort, rows=rows)


def _talk_columns(ready: Readiness | None) -> dict[str, Any]:
    if ready is None:
        return {}
    return {
        "prepared": ready.prepared,
        "guardians": len(ready.guardians),
        "guardians_ready": len(ready.guardians_ready),
        "booked_at": ready.booked_at,
        "held": ready.held,
        "agreements": ready.agreements,
        "agreements_signed": ready.agreements_signed,
        "agreements_followed_up": ready.agreements_followed_up,
    }


def _sort_key(sort: str, areas: list[str]) -> Callable[[PupilRowPublic], Any]:
    """Name always breaks ties. By an area: lowest level first, not rated before that."""
    if sort == "unread":
        return lambda r: (-r.unread, r.name)
    if sort == "not_rated":
        return lambda r: (not r.not_rated_this_month, r.name)
    if sort.startswith(AREA_SORT):
        index = areas.index(sort[len(AREA_SORT) :])
        return lambda r: (r.areas[index].level or 0, r.name)
    return lambda r: r.name


def remind_group(session: Session, *, access: GroupAccess, today: date) -> int:
    """The mentor's reminder to the families of her group (only hers: 403 for a teacher): a
    pupil who is not ready is asked to prepare, and so is each guardian with access who is
    not ready; where no time is booked, the guardians with access are asked to book one.
    Each person gets it in today's digest (one a day, which the table holds). Returns how
    many people got something new."""
    if access.group.relation is not Relation.MENTOR:
        raise Forbidden("not_mentor", NOT_MENTOR)
    group_id, sender_id = access.group.id, access.staff.viewer.person_id
    reached: set[int] = set()

    def send(person_id: int, kind: Kind, pupil_id: int) -> None:
        if notify(
            session,
            person_ids=[person_id],
            kind=kind,
            day=today,
            pupil_id=pupil_id,
            actor_id=sender_id,
        ):
            reached.add(person_id)

    for pupil_id, ready in readiness(session, group_id=group_id, today=today).items():
        if ready.held:
            continue
        if ready.prepared != "ready":
            send(pupil_id, Kind.PREPARE, pupil_id)
        for guardian_id in ready.guardians:
            if guardian_id not in ready.guardians_ready:
                send(guardian_id, Kind.PREPARE, pupil_id)
        if ready.booked_at is None:
            for guardian_id in ready.guardians:
                send(guardian_id, Kind.BOOK, pupil_id)
    session.commit()
    return len(reached)
