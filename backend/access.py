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
from datetime import timedelta
from enum import StrEnum
from typing import Any

import msgspec
from litestar import Request
from litestar.di import NamedDependency, Provide
from sqlalchemy import bindparam, literal_column, true, union_all
from sqlalchemy import select as core_select
from sqlmodel import Session, col

from backend import readlog
from backend.db import Query
from backend.errors import Forbidden, NotFound
from backend.i18n import N_
from backend.models import (
    Agreement,
    Goal,
    GoalProposal,
    Group,
    GroupMentor,
    GroupPupil,
    GroupTeacher,
    Guardianship,
    Note,
    Person,
    Plan,
    SchoolPrincipal,
    SelfAssessment,
    TalkTime,
    utcnow,
)
from backend.names import Namer
from backend.readlog import ReadKind
from backend.viewer import Viewer
from backend.web import MAX_ROW_ID, RowId, is_head


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
# Who reads a pupil's plan. The principal reads an individual plan only with a reason she
# has typed within REASON_LASTS, which the read log keeps and the family sees (DESIGN).
PLAN_READERS = frozenset({Relation.SELF, Relation.GUARDIAN, *STAFF, Relation.PRINCIPAL})
FAMILY = frozenset({Relation.SELF, Relation.GUARDIAN})
REASON_LASTS = timedelta(hours=1)


class ReasonNeeded(Forbidden):
    """A principal asked for one pupil's data without a recent reason: the page asks for it
    (`location`), the API answers 403 with this reason."""

    default_reason = "reason_needed"
    default_message = N_(
        "Write why you need to open this pupil's plan. The pupil and the guardians see it."
    )


_V: Any = bindparam("viewer_id")
_P: Any = bindparam("pupil_id")
_PUPIL_GROUPS = core_select(col(GroupPupil.group_id)).where(col(GroupPupil.pupil_id) == _P)


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

    @property
    def namer(self) -> Namer:
        """Whose names she sees around this pupil (backend/names.py)."""
        return namer_for(
            viewer_id=self.viewer.person_id, pupil_id=self.pupil_id, relation=self.relation
        )


def namer_for(*, viewer_id: int, pupil_id: int, relation: Relation) -> Namer:
    """Staff related to the pupil see every name; the pupil and her guardians see the
    protected ones as role words (backend/names.py)."""
    return Namer(viewer_id=viewer_id, pupil_id=pupil_id, staff=relation not in FAMILY)


class Policy(StrEnum):
    PUBLIC = "public"  # no session needed: sign-in, the app shell
    SIGNED_IN = "signed_in"  # anyone signed in, about themselves (their passkeys)
    OWN = "own"  # the signed-in pupil's own plan
    PUPIL = "pupil"  # the pupil named in the path, by the viewer's relation
    RECORD = "record"  # the pupil a goal, note, rating or proposal in the path is about
    STAFF = "staff"  # a teacher, mentor or principal, over her own groups and schools
    GROUP = "group"  # the group in the path, for its mentors and teachers
    SCHOOL = "school"  # the school in the path, for its principals
    PERSON = "person"  # someone the viewer may issue a sign-up link for
    TALK_TIME = "talk_time"  # a talk time in the path, for its group's mentor and families


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
    reads: ReadKind | None, allow: frozenset[Relation] = PLAN_READERS, *, reason: bool = True
) -> dict[str, Provide]:
    """The pupil of `{pupil_id}` in the path. `reads` names what the route shows, recorded
    in the read log when the viewer is not the pupil; None for a route that only writes.
    `reason=False` only for the route where a principal gives her reason, and for routes
    that show no plan data (a pupil's guardian links, people/guardian_controllers.py)."""

    def resolve(
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        viewer: NamedDependency[Viewer],
        pupil_id: RowId,
    ) -> Access:
        return _checked(
            request, db, viewer=viewer, pupil_id=pupil_id, reads=reads, allow=allow, reason=reason
        )

    return _declare(Policy.PUPIL, resolve)


def _checked(
    request: Request[Any, Any, Any],
    db: Session,
    *,
    viewer: Viewer,
    pupil_id: int,
    reads: ReadKind | None,
    allow: frozenset[Relation],
    reason: bool = True,
) -> Access:
    found = relation(db, viewer=viewer, pupil_id=pupil_id)
    if found is None or found not in allow:
        raise NotFound()
    if (
        reason
        and found is Relation.PRINCIPAL
        and not readlog.has_reason(
            db, reader_id=viewer.person_id, pupil_id=pupil_id, since=utcnow() - REASON_LASTS
        )
    ):
        raise ReasonNeeded(location=f"/pupils/{pupil_id}/reason")
    if reads is not None and found is not Relation.SELF and not is_head(request.scope):
        readlog.record(db, reader_id=viewer.person_id, pupil_id=pupil_id, kind=reads, role=found)
    return Access(viewer=viewer, pupil_id=pupil_id, relation=found)


class Record(StrEnum):
    """A record in the path that belongs to one pupil: the path parameter that names it."""

    GOAL = "goal_id"
    PROPOSAL = "proposal_id"
    ASSESSMENT = "assessment_id"
    NOTE = "note_id"
    AGREEMENT = "agreement_id"
    PLAN = "plan_id"


_ID: Any = bindparam("id")
_PUPIL_OF = {
    Record.GOAL: Query(
        core_select(col(Plan.pupil_id))
        .join(Goal, col(Goal.plan_id) == Plan.id)
        .where(col(Goal.id) == _ID)
    ),
    Record.PROPOSAL: Query(
        core_select(col(Plan.pupil_id))
        .join(GoalProposal, col(GoalProposal.plan_id) == Plan.id)
        .where(col(GoalProposal.id) == _ID)
    ),
    Record.ASSESSMENT: Query(
        core_select(col(Plan.pupil_id))
        .join(Goal, col(Goal.plan_id) == Plan.id)
        .join(SelfAssessment, col(SelfAssessment.goal_id) == Goal.id)
        .where(col(SelfAssessment.id) == _ID)
    ),
    Record.NOTE: Query(core_select(col(Note.pupil_id)).where(col(Note.id) == _ID)),
    Record.AGREEMENT: Query(
        core_select(col(Plan.pupil_id))
        .join(Agreement, col(Agreement.plan_id) == Plan.id)
        .where(col(Agreement.id) == _ID)
    ),
    Record.PLAN: Query(core_select(col(Plan.pupil_id)).where(col(Plan.id) == _ID)),
}


def for_record(
    record: Record, reads: ReadKind | None, allow: frozenset[Relation] = PLAN_READERS
) -> dict[str, Provide]:
    """Like `for_pupil`, for a path that names one of the pupil's records (`/api/goals/{goal_id}`):
    404 when the record does not exist or its pupil is not the viewer's to touch. What the
    viewer may do with the record itself (her own note, her subject's goal) is the
    domain's rule, in its service."""

    def resolve(
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        viewer: NamedDependency[Viewer],
    ) -> Access:
        # The raw path value, read before Litestar checks the handler's RowId: bounded here,
        # or a number past SQL INTEGER is a 500 (OverflowError on SQLite) instead of a 404.
        raw = request.path_params.get(record.value)
        known = isinstance(raw, int) and 1 <= raw <= MAX_ROW_ID
        row = _PUPIL_OF[record].first(db, {"id": raw}) if known else None
        if row is None:
            raise NotFound()
        return _checked(request, db, viewer=viewer, pupil_id=int(row[0]), reads=reads, allow=allow)

    return _declare(Policy.RECORD, resolve)


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


_STAFF_OF = Query(
    union_all(
        core_select(
            literal_column("'mentor'"),
            col(Group.id),
            col(Group.name),
            col(Group.school_id),
            col(Group.school_year),
            literal_column("''"),
        )
        .join(GroupMentor, col(GroupMentor.group_id) == Group.id)
        .where(col(GroupMentor.mentor_id) == _V),
        core_select(
            literal_column("'teacher'"),
            col(Group.id),
            col(Group.name),
            col(Group.school_id),
            col(Group.school_year),
            col(GroupTeacher.subject),
        )
        .join(GroupTeacher, col(GroupTeacher.group_id) == Group.id)
        .where(col(GroupTeacher.teacher_id) == _V),
        core_select(
            literal_column("'principal'"),
            literal_column("NULL"),
            literal_column("NULL"),
            col(SchoolPrincipal.school_id),
            literal_column("NULL"),
            literal_column("''"),
        ).where(col(SchoolPrincipal.principal_id) == _V),
    )
)


def staff_of(session: Session, *, viewer: Viewer) -> Staff:
    """Her groups and schools, in one query. A mentor who also teaches in her group is
    its mentor, with her subjects kept."""
    groups: dict[int, StaffGroup] = {}
    schools: list[int] = []
    for kind, group_id, name, school_id, year, subject in _STAFF_OF.rows(
        session, {"viewer_id": viewer.person_id}
    ):
        if kind == "principal":
            schools.append(school_id)
            continue
        earlier = groups.get(group_id)
        subjects = (*(earlier.subjects if earlier else ()), *((subject,) if subject else ()))
        mentor = kind == "mentor" or (earlier is not None and earlier.relation is Relation.MENTOR)
        groups[group_id] = StaffGroup(
            id=group_id,
            name=name,
            school_id=school_id,
            school_year=year,
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


class GroupAccess(msgspec.Struct, frozen=True, kw_only=True):
    """A mentor or teacher towards one of her groups."""

    staff: Staff
    group: StaffGroup


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


STAFF_ONLY = _declare(Policy.STAFF, _staff)
FOR_GROUP = _declare(Policy.GROUP, _group)
FOR_SCHOOL = _declare(Policy.SCHOOL, _school)


class PersonAccess(msgspec.Struct, frozen=True, kw_only=True):
    """Someone the viewer may issue a sign-up link for: a mentor for the pupils of her
    groups and their guardians, a principal for the staff of her school."""

    viewer: Viewer
    person_id: int
    relation: Relation  # the issuer's: MENTOR or PRINCIPAL


_MENTORED_GROUPS = core_select(col(GroupMentor.group_id)).where(col(GroupMentor.mentor_id) == _V)
_LED_GROUPS = core_select(col(Group.id)).where(
    col(Group.school_id).in_(
        core_select(col(SchoolPrincipal.school_id)).where(col(SchoolPrincipal.principal_id) == _V)
    )
)
_PERSON_ID: Any = bindparam("person_id")
_ISSUER = Query(
    union_all(
        core_select(literal_column("'mentor'")).where(
            col(GroupPupil.pupil_id) == _PERSON_ID, col(GroupPupil.group_id).in_(_MENTORED_GROUPS)
        ),
        core_select(literal_column("'mentor'"))
        .select_from(Guardianship)
        .join(GroupPupil, col(GroupPupil.pupil_id) == Guardianship.pupil_id)
        .where(
            col(Guardianship.guardian_id) == _PERSON_ID,
            col(GroupPupil.group_id).in_(_MENTORED_GROUPS),
        ),
        core_select(literal_column("'principal'")).where(
            col(GroupTeacher.teacher_id) == _PERSON_ID, col(GroupTeacher.group_id).in_(_LED_GROUPS)
        ),
        core_select(literal_column("'principal'")).where(
            col(GroupMentor.mentor_id) == _PERSON_ID, col(GroupMentor.group_id).in_(_LED_GROUPS)
        ),
    )
)


def _person(
    db: NamedDependency[Session], viewer: NamedDependency[Viewer], person_id: RowId
) -> PersonAccess:
    rows = _ISSUER.rows(db, {"viewer_id": viewer.person_id, "person_id": person_id})
    if not rows or person_id == viewer.person_id:
        raise NotFound()
    kinds = {kind for (kind,) in rows}
    relation = Relation.MENTOR if "mentor" in kinds else Relation.PRINCIPAL
    return PersonAccess(viewer=viewer, person_id=person_id, relation=relation)


FOR_PERSON = _declare(Policy.PERSON, _person)


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


def _reader(role: str) -> Any:
    return core_select(
        literal_column(f"'{role}'"),
        col(Person.id),
        col(Person.given_name),
        col(Person.family_name),
        col(Person.security_marking),
    )


_READERS = Query(
    union_all(
        _reader("guardian")
        .join(Guardianship, col(Guardianship.guardian_id) == Person.id)
        .where(col(Guardianship.pupil_id) == _P, col(Guardianship.has_access).is_(True)),
        _reader("mentor")
        .join(GroupMentor, col(GroupMentor.mentor_id) == Person.id)
        .where(col(GroupMentor.group_id).in_(_PUPIL_GROUPS)),
        _reader("teacher")
        .join(GroupTeacher, col(GroupTeacher.teacher_id) == Person.id)
        .where(col(GroupTeacher.group_id).in_(_PUPIL_GROUPS)),
    )
)


def readers_of(session: Session, *, pupil_id: int, namer: Namer) -> list[Reader]:
    """Who reads what the pupil writes: her guardians with access, her mentors and her
    teachers, each person once under the closest relation, named as `namer` allows (one
    query)."""
    found: dict[int, Reader] = {}
    for role, person_id, given, family, marking in _READERS.rows(session, {"pupil_id": pupil_id}):
        earlier = found.get(person_id)
        if earlier is None or _RANK.index(Relation(role)) < _RANK.index(earlier.role):
            name = namer.name(
                person_id=person_id, given=given, family=family, marking=marking, role=role
            )
            found[person_id] = Reader(role=Relation(role), name=name)
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


class TalkTimeAccess(msgspec.Struct, frozen=True, kw_only=True):
    """The viewer's standing towards one talk time (its group's): the group's mentor, or a
    guardian with access (or the pupil herself, who only reads) of `pupil_ids` in it."""

    viewer: Viewer
    talk_time_id: int
    group_id: int
    relation: Relation  # MENTOR, GUARDIAN or SELF
    pupil_ids: tuple[int, ...] = ()  # the viewer's children in the group (or herself)


_TIME_GROUP = Query(core_select(col(TalkTime.group_id)).where(col(TalkTime.id) == _ID))
_G: Any = bindparam("group_id")
_TIME_STANDING = Query(
    union_all(
        core_select(literal_column("'mentor'"), literal_column("NULL")).where(
            col(GroupMentor.mentor_id) == _V, col(GroupMentor.group_id) == _G
        ),
        core_select(literal_column("'guardian'"), col(Guardianship.pupil_id))
        .join(GroupPupil, col(GroupPupil.pupil_id) == Guardianship.pupil_id)
        .where(
            col(Guardianship.guardian_id) == _V,
            col(Guardianship.has_access).is_(True),
            col(GroupPupil.group_id) == _G,
        ),
        core_select(literal_column("'self'"), col(GroupPupil.pupil_id)).where(
            col(GroupPupil.pupil_id) == _V, col(GroupPupil.group_id) == _G
        ),
    )
)


def _talk_time(
    db: NamedDependency[Session], viewer: NamedDependency[Viewer], talk_time_id: RowId
) -> TalkTimeAccess:
    found = _TIME_GROUP.first(db, {"id": talk_time_id})
    if found is None:
        raise NotFound()
    group_id = int(found[0])
    rows = _TIME_STANDING.rows(db, {"viewer_id": viewer.person_id, "group_id": group_id})
    kinds = {kind for kind, _pupil in rows}
    pupils = tuple(sorted({int(pupil) for kind, pupil in rows if kind != "mentor"}))
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


FOR_TALK_TIME = _declare(Policy.TALK_TIME, _talk_time)
