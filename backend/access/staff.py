"""The policies of staff's work, and what each proves: a member of staff with her groups
and schools (`STAFF_ONLY`), one of her groups (`FOR_GROUP`), a school she leads
(`FOR_SCHOOL`), a person she may issue a sign-up link for (`FOR_PERSON`), and a talk time
of a group, for its mentor and its families (`FOR_TALK_TIME`)."""

from __future__ import annotations

import msgspec
from litestar.di import NamedDependency
from sqlmodel import Session

from backend.access.policies import Policy, declare
from backend.access.queries import ISSUER, ORGANISATIONS, STAFF_OF, TIME_GROUP, TIME_STANDING
from backend.access.standing import Relation
from backend.errors import Forbidden, NotFound
from backend.viewer import Viewer
from backend.web import RowId


class StaffGroup(msgspec.Struct, frozen=True, kw_only=True):
    """A group a member of staff works with, and how: its mentor, or a teacher of
    `subjects` in it."""

    id: int
    name: str
    school_id: int
    school_year: int | None
    relation: Relation
    subjects: tuple[str, ...] = ()


class Staff(msgspec.Struct, frozen=True, kw_only=True):
    """A teacher, mentor or principal, with what she works with."""

    viewer: Viewer
    groups: tuple[StaffGroup, ...]  # mentored groups first, then taught, by name
    school_ids: tuple[int, ...]  # the schools she leads

    def group(self, group_id: int) -> StaffGroup | None:
        return next((g for g in self.groups if g.id == group_id), None)


class GroupAccess(msgspec.Struct, frozen=True, kw_only=True):
    """A mentor or teacher towards one of her groups."""

    staff: Staff
    group: StaffGroup


class PersonAccess(msgspec.Struct, frozen=True, kw_only=True):
    """Someone the viewer may issue a sign-up link for: a mentor for the pupils of her
    groups and their guardians, a principal for the staff of her school."""

    viewer: Viewer
    person_id: int
    relation: Relation  # the issuer's: MENTOR or PRINCIPAL


class TalkTimeAccess(msgspec.Struct, frozen=True, kw_only=True):
    """The viewer's standing towards one talk time (its group's): the group's mentor, or a
    guardian with access (or the pupil herself, who only reads) of `pupil_ids` in it."""

    viewer: Viewer
    talk_time_id: int
    group_id: int
    relation: Relation  # MENTOR, GUARDIAN or SELF
    pupil_ids: tuple[int, ...] = ()  # the viewer's children in the group (or herself)


class OrganisationAccess(msgspec.Struct, frozen=True, kw_only=True):
    """An organiser towards the organisation she works for: its figures, never a pupil."""

    viewer: Viewer
    organisation_id: int
    name: str


def organisations_of(session: Session, *, viewer: Viewer) -> list[tuple[int, str]]:
    """The organisations she works for: (id, name), by name."""
    return [
        (int(r.id), str(r.name))
        for r in ORGANISATIONS.rows(session, {"viewer_id": viewer.person_id})
    ]


def staff_of(session: Session, *, viewer: Viewer) -> Staff:
    """Her groups and schools, in one query. A mentor who also teaches in her group is
    its mentor, with her subjects kept."""
    groups: dict[int, StaffGroup] = {}
    schools: list[int] = []
    for row in STAFF_OF.rows(session, {"viewer_id": viewer.person_id}):
        if row.kind == "principal":
            schools.append(row.school_id)
            continue
        earlier = groups.get(row.group_id)
        subjects = (
            *(earlier.subjects if earlier else ()),
            *((row.subject,) if row.subject else ()),
        )
        mentor = row.kind == "mentor" or (
            earlier is not None and earlier.relation is Relation.MENTOR
        )
        groups[row.group_id] = StaffGroup(
            id=row.group_id,
            name=row.name,
            school_id=row.school_id,
            school_year=row.school_year,
            relation=Relation.MENTOR if mentor else Relation.TEACHER,
            subjects=tuple(sorted(set(subjects))),
        )
    ordered = sorted(groups.values(), key=lambda g: (g.relation is not Relation.MENTOR, g.name))
    return Staff(viewer=viewer, groups=tuple(ordered), school_ids=tuple(sorted(schools)))


def _staff(db: NamedDependency[Session], viewer: NamedDependency[Viewer]) -> Staff:
    found = staff_of(db, viewer=viewer)
    if not found.groups and not found.school_ids:
        raise Forbidden()
    return found


def _group(
    db: NamedDependency[Session], viewer: NamedDependency[Viewer], group_id: RowId
) -> GroupAccess:
    staff = staff_of(db, viewer=viewer)
    group = staff.group(group_id)
    if group is None:
        raise NotFound()
    return GroupAccess(staff=staff, group=group)


def _school(
    db: NamedDependency[Session], viewer: NamedDependency[Viewer], school_id: RowId
) -> Staff:
    staff = staff_of(db, viewer=viewer)
    if school_id not in staff.school_ids:
        raise NotFound()
    return staff


def _person(
    db: NamedDependency[Session], viewer: NamedDependency[Viewer], person_id: RowId
) -> PersonAccess:
    rows = ISSUER.rows(db, {"viewer_id": viewer.person_id, "person_id": person_id})
    if not rows or person_id == viewer.person_id:
        raise NotFound()
    kinds = {row.kind for row in rows}
    relation = Relation.MENTOR if "mentor" in kinds else Relation.PRINCIPAL
    return PersonAccess(viewer=viewer, person_id=person_id, relation=relation)


def _talk_time(
    db: NamedDependency[Session], viewer: NamedDependency[Viewer], talk_time_id: RowId
) -> TalkTimeAccess:
    found = TIME_GROUP.first(db, {"id": talk_time_id})
    if found is None:
        raise NotFound()
    group_id = int(found.group_id)
    rows = TIME_STANDING.rows(db, {"viewer_id": viewer.person_id, "group_id": group_id})
    kinds = {row.kind for row in rows}
    pupils = tuple(sorted({int(row.pupil_id) for row in rows if row.kind != "mentor"}))
    if "mentor" in kinds:
        relation = Relation.MENTOR
    elif "guardian" in kinds:
        relation = Relation.GUARDIAN
    elif "self" in kinds and viewer.is_pupil:
        relation = Relation.SELF
    else:
        raise NotFound()
    return TalkTimeAccess(
        viewer=viewer,
        talk_time_id=talk_time_id,
        group_id=group_id,
        relation=relation,
        pupil_ids=pupils,
    )


def _organisation(
    db: NamedDependency[Session], viewer: NamedDependency[Viewer], organisation_id: RowId
) -> OrganisationAccess:
    found = next((o for o in organisations_of(db, viewer=viewer) if o[0] == organisation_id), None)
    if found is None:
        raise NotFound()
    return OrganisationAccess(viewer=viewer, organisation_id=found[0], name=found[1])


STAFF_ONLY = declare(Policy.STAFF, _staff)
FOR_GROUP = declare(Policy.GROUP, _group)
FOR_SCHOOL = declare(Policy.SCHOOL, _school)
FOR_PERSON = declare(Policy.PERSON, _person)
FOR_TALK_TIME = declare(Policy.TALK_TIME, _talk_time)
FOR_ORGANISATION = declare(Policy.ORGANISATION, _organisation)
