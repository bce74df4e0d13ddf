"""The policies about one pupil that routes declare: who she is (`OWN`), the pupil in the
path (`for_pupil`), the pupil a record in the path belongs to (`for_record`); and the
declaration every policy goes through, which the route-policy test reads."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from sqlmodel import Session

from backend import readlog
from backend.access.queries import PUPIL_OF, RELATIONS
from backend.access.standing import (
    PLAN_READERS,
    RANK,
    REASON_LASTS,
    Access,
    ReasonNeeded,
    Record,
    Relation,
)
from backend.errors import NotFound
from backend.models import utcnow
from backend.readlog import ReadKind
from backend.viewer import Viewer
from backend.web import MAX_ROW_ID, RowId, is_head


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
    ORGANISATION = "organisation"  # the organisation in the path, for its organisers


def declare(policy: Policy, fn: Callable[..., Any]) -> dict[str, Provide]:
    """The route's `dependencies`: `access` resolved by `fn`, which carries its policy."""
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


PUBLIC = declare(Policy.PUBLIC, _public)
SIGNED_IN = declare(Policy.SIGNED_IN, _signed_in)
OWN = declare(Policy.OWN, _own)


def relation(session: Session, *, viewer: Viewer, pupil_id: int) -> Relation | None:
    """One query. A guardian whose access is restricted (a court order, protected identity)
    is nobody to this pupil, whatever else she is."""
    if viewer.person_id == pupil_id:
        return Relation.SELF if viewer.is_pupil else None
    rows = RELATIONS.rows(session, {"viewer_id": viewer.person_id, "pupil_id": pupil_id})
    if any(row.kind == "guardian" and not row.allowed for row in rows):
        return None
    kinds = {row.kind for row in rows}
    return next((r for r in RANK if r.value in kinds), None)


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

    return declare(Policy.PUPIL, resolve)


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
    given = ""  # the principal's reason, which her read carries into the log
    if reason and found is Relation.PRINCIPAL:
        since = utcnow() - REASON_LASTS
        stated = readlog.reason_given(
            db, reader_id=viewer.person_id, pupil_id=pupil_id, since=since
        )
        if stated is None:
            raise ReasonNeeded(
                location=request.app.route_reverse("stats.reason_page", pupil_id=pupil_id)
            )
        given = stated
    if reads is not None and found is not Relation.SELF and not is_head(request.scope):
        readlog.record(
            db,
            reader_id=viewer.person_id,
            pupil_id=pupil_id,
            kind=reads,
            role=found,
            zone=request.app.state.settings.zone,
            reason=given,
        )
    return Access(viewer=viewer, pupil_id=pupil_id, relation=found)


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
        row = PUPIL_OF[record].first(db, {"id": raw}) if known else None
        if row is None:
            raise NotFound()
        return _checked(
            request, db, viewer=viewer, pupil_id=int(row.pupil_id), reads=reads, allow=allow
        )

    return declare(Policy.RECORD, resolve)
