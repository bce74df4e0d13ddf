"""Who may touch this pupil (DESIGN, "Who does what"): one dependency that every route
declares, so no domain can forget it. It resolves the viewer's relation to the pupil the
path names, answers 404 outside it (never a hint that the pupil exists), records the read
when the reader is not the pupil, and hands the handler an `Access` that says what the
viewer may do. tests/integration/test_access.py walks app.routes and fails for a route that
declares no policy.

    @get("/pupils/{pupil_id:int}", dependencies=access.for_pupil(ReadKind.PLAN))
    def page(access: Access) -> ...
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

import msgspec
from litestar import Request
from litestar.di import NamedDependency, Provide
from sqlalchemy import bindparam, literal_column, true, union_all
from sqlalchemy import select as core_select
from sqlmodel import Session, col

from backend import readlog
from backend.auth.sessions import Viewer
from backend.db import Query
from backend.errors import NotFound
from backend.i18n import N_
from backend.models import (
    Group,
    GroupMentor,
    GroupPupil,
    GroupTeacher,
    Guardianship,
    Person,
    SchoolPrincipal,
)
from backend.readlog import ReadKind
from backend.web import RowId, is_head


class Relation(StrEnum):
    SELF = "self"
    GUARDIAN = "guardian"
    MENTOR = "mentor"
    TEACHER = "teacher"
    PRINCIPAL = "principal"


ROLE_WORDS = {
    Relation.GUARDIAN: N_("guardian"),
    Relation.MENTOR: N_("mentor"),
    Relation.TEACHER: N_("teacher"),
    Relation.PRINCIPAL: N_("principal"),
}
STAFF = frozenset({Relation.MENTOR, Relation.TEACHER})
# Who reads a pupil's plan. The principal is resolved but reads an individual plan only
# with a logged reason (DESIGN), which a later domain adds.
PLAN_READERS = frozenset({Relation.SELF, Relation.GUARDIAN, *STAFF})


class Access(msgspec.Struct, frozen=True, kw_only=True):
    """The viewer's standing towards one pupil, and what follows from it."""

    viewer: Viewer
    pupil_id: int
    relation: Relation

    @property
    def is_self(self) -> bool:
        return self.relation is Relation.SELF

    @property
    def may_rate(self) -> bool:
        """Self-assessments are the pupil's own words."""
        return self.relation is Relation.SELF

    @property
    def sees_read_log(self) -> bool:
        return self.relation in {Relation.SELF, Relation.GUARDIAN}


class Policy(StrEnum):
    PUBLIC = "public"  # no session needed: sign-in, the app shell
    SIGNED_IN = "signed_in"  # anyone signed in, about themselves (their passkeys)
    OWN = "own"  # the signed-in pupil's own plan
    PUPIL = "pupil"  # the pupil named in the path, by the viewer's relation


def _declare(policy: Policy, fn: Callable[..., Any]) -> dict[str, Provide]:
    fn.policy = policy  # type: ignore[attr-defined]  # read by the route-policy test
    return {"access": Provide(fn, sync_to_thread=False)}


def _public() -> None:
    return None


def _signed_in(viewer: NamedDependency[Viewer]) -> Viewer:
    return viewer


def own(viewer: Viewer) -> Access:
    """The signed-in pupil towards her own plan; 404 for anyone who is not a pupil."""
    if not viewer.is_pupil:
        raise NotFound()
    return Access(viewer=viewer, pupil_id=viewer.person_id, relation=Relation.SELF)


def _own(viewer: NamedDependency[Viewer]) -> Access:
    return own(viewer)


PUBLIC = _declare(Policy.PUBLIC, _public)
SIGNED_IN = _declare(Policy.SIGNED_IN, _signed_in)
OWN = _declare(Policy.OWN, _own)


def for_pupil(
    reads: ReadKind | None, allow: frozenset[Relation] = PLAN_READERS
) -> dict[str, Provide]:
    """The pupil of `{pupil_id}` in the path. `reads` names what the route shows, recorded
    in the read log when the viewer is not the pupil; None for a route that only writes."""

    def resolve(
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        viewer: NamedDependency[Viewer],
        pupil_id: RowId,
    ) -> Access:
        found = relation(db, viewer=viewer, pupil_id=pupil_id)
        if found is None or found not in allow:
            raise NotFound()
        if reads is not None and found is not Relation.SELF and not is_head(request.scope):
            readlog.record(
                db, reader_id=viewer.person_id, pupil_id=pupil_id, kind=reads, role=found
            )
        return Access(viewer=viewer, pupil_id=pupil_id, relation=found)

    return _declare(Policy.PUPIL, resolve)


_V: Any = bindparam("viewer_id")
_P: Any = bindparam("pupil_id")
_PUPIL_GROUPS = core_select(col(GroupPupil.group_id)).where(col(GroupPupil.pupil_id) == _P)
_RELATIONS = Query(
    union_all(
        core_select(literal_column("'guardian'"), col(Guardianship.has_access)).where(
            col(Guardianship.guardian_id) == _V, col(Guardianship.pupil_id) == _P
        ),
        core_select(literal_column("'mentor'"), true()).where(
            col(GroupMentor.mentor_id) == _V, col(GroupMentor.group_id).in_(_PUPIL_GROUPS)
        ),
        core_select(literal_column("'teacher'"), true()).where(
            col(GroupTeacher.teacher_id) == _V, col(GroupTeacher.group_id).in_(_PUPIL_GROUPS)
        ),
        core_select(literal_column("'principal'"), true())
        .select_from(SchoolPrincipal)
        .join(Group, col(Group.school_id) == SchoolPrincipal.school_id)
        .where(col(SchoolPrincipal.principal_id) == _V, col(Group.id).in_(_PUPIL_GROUPS)),
    )
)
_RANK = [Relation.GUARDIAN, Relation.MENTOR, Relation.TEACHER, Relation.PRINCIPAL]


def relation(session: Session, *, viewer: Viewer, pupil_id: int) -> Relation | None:
    """One query. A guardian whose access is restricted (a court order, protected identity)
    is nobody to this pupil, whatever else she is."""
    if viewer.person_id == pupil_id:
        return Relation.SELF if viewer.is_pupil else None
    rows = _RELATIONS.rows(session, {"viewer_id": viewer.person_id, "pupil_id": pupil_id})
    if any(kind == "guardian" and not allowed for kind, allowed in rows):
        return None
    kinds = {kind for kind, _allowed in rows}
    return next((r for r in _RANK if r.value in kinds), None)


class Reader(msgspec.Struct, frozen=True, kw_only=True):
    role: Relation
    name: str


_READERS = Query(
    union_all(
        core_select(literal_column("'guardian'"), col(Person.given_name), col(Person.family_name))
        .join(Guardianship, col(Guardianship.guardian_id) == Person.id)
        .where(col(Guardianship.pupil_id) == _P, col(Guardianship.has_access).is_(True)),
        core_select(literal_column("'mentor'"), col(Person.given_name), col(Person.family_name))
        .join(GroupMentor, col(GroupMentor.mentor_id) == Person.id)
        .where(col(GroupMentor.group_id).in_(_PUPIL_GROUPS)),
        core_select(literal_column("'teacher'"), col(Person.given_name), col(Person.family_name))
        .join(GroupTeacher, col(GroupTeacher.teacher_id) == Person.id)
        .where(col(GroupTeacher.group_id).in_(_PUPIL_GROUPS)),
    )
)


def readers_of(session: Session, *, pupil_id: int) -> list[Reader]:
    """Who reads what the pupil writes: her guardians with access, her mentors and her
    teachers, each person once under the closest relation, by name (one query)."""
    found: dict[str, Reader] = {}
    for role, given_name, family_name in _READERS.rows(session, {"pupil_id": pupil_id}):
        name = f"{given_name} {family_name}"
        if name not in found or _RANK.index(Relation(role)) < _RANK.index(found[name].role):
            found[name] = Reader(role=Relation(role), name=name)
    return sorted(found.values(), key=lambda r: (_RANK.index(r.role), r.name))


class PupilEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A pupil on an adult's start page, under the group she is there by (None: a child of
    the viewer's)."""

    id: int
    name: str
    group: str | None


_PUPILS_OF = Query(
    union_all(
        core_select(
            col(Person.id), col(Person.given_name), col(Person.family_name), literal_column("NULL")
        )
        .join(Guardianship, col(Guardianship.pupil_id) == Person.id)
        .where(col(Guardianship.guardian_id) == _V, col(Guardianship.has_access).is_(True)),
        core_select(
            col(Person.id), col(Person.given_name), col(Person.family_name), col(Group.name)
        )
        .join(GroupPupil, col(GroupPupil.pupil_id) == Person.id)
        .join(Group, col(Group.id) == GroupPupil.group_id)
        .where(
            col(GroupPupil.group_id).in_(
                core_select(col(GroupTeacher.group_id))
                .where(col(GroupTeacher.teacher_id) == _V)
                .union(
                    core_select(col(GroupMentor.group_id)).where(col(GroupMentor.mentor_id) == _V)
                )
            )
        ),
    )
)


def visible_pupils(session: Session, *, viewer_id: int) -> list[PupilEntry]:
    """The pupils a guardian (with access) or a teacher or mentor may open: her own children
    first, then each group she teaches or mentors, by name (one query)."""
    rows = _PUPILS_OF.rows(session, {"viewer_id": viewer_id})
    entries = {
        PupilEntry(id=pupil_id, name=f"{given} {family}", group=group)
        for pupil_id, given, family, group in rows
    }
    return sorted(entries, key=lambda e: (e.group is not None, e.group or "", e.name))
