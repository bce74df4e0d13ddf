"""A pupil's guardian links, as her staff see them (issue 10): every SS 12000 relation
type, whether the link may read the plan and sign (`has_access`), and the staff decision
on that. Her mentors and her school's principal open a restricted link (a protected
pupil's, a relation type the school does not let read) or restrict an open one; the
decision is kept by later roster imports and by changes of the school's setting
(`decided_at`), and written to the audit log (who, when)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from backend.access import Access, Relation
from backend.errors import Forbidden, NotFound
from backend.i18n import N_
from backend.models import (
    AuditEvent,
    AuditKind,
    Guardianship,
    utcnow,
)
from backend.people import queries
from backend.people.schemas import GuardianLinkPublic

# The SS 12000 relation types, in the roster's order, in the staff's words.
RELATION_WORDS = {
    "Vårdnadshavare": N_("Custodian"),
    "Annan ansvarig": N_("Other responsible adult"),
    "God man": N_("Trustee (god man)"),
    "Utsedd behörig": N_("Designated authorised person"),
}
DECIDERS = frozenset({Relation.MENTOR, Relation.PRINCIPAL})


class NotADecider(Forbidden):
    default_reason = "not_mentor_or_principal"
    default_message = N_(
        "Only the pupil's mentor or the school's principal may open or restrict a "
        "guardian's access."
    )


def may_decide(session: Session, *, access: Access) -> bool:
    """Her mentor, or the principal of her school (also one who teaches her)."""
    return _may_decide(
        session,
        relation=access.relation,
        viewer_id=access.viewer.person_id,
        pupil_id=access.pupil_id,
    )


def _may_decide(session: Session, *, relation: Relation, viewer_id: int, pupil_id: int) -> bool:
    if relation in DECIDERS:
        return True
    params = {"viewer_id": viewer_id, "pupil_id": pupil_id}
    return relation is Relation.TEACHER and queries.LEADS.first(session, params) is not None


def _public(pupil_id: int, row: Any) -> GuardianLinkPublic:
    return GuardianLinkPublic(
        guardian_id=row.guardian_id,
        pupil_id=pupil_id,
        name=f"{row.given_name} {row.family_name}",
        relation=row.relation,
        has_access=bool(row.has_access),
        decided_at=row.decided_at,
        decided_by=f"{row.by_given} {row.by_family}" if row.by_given else "",
    )


def links_of(session: Session, *, pupil_id: int) -> list[GuardianLinkPublic]:
    """Every guardian link of the pupil, restricted ones too, by name (one query). For her
    staff only: names are not passed through names.Namer here."""
    links = [_public(pupil_id, row) for row in queries.LINKS.rows(session, {"pupil_id": pupil_id})]
    return sorted(links, key=lambda link: (link.name.casefold(), link.guardian_id))


def link_of(session: Session, *, pupil_id: int, guardian_id: int) -> GuardianLinkPublic:
    row = queries.LINK.first(session, {"pupil_id": pupil_id, "guardian_id": guardian_id})
    if row is None:
        raise NotFound()
    return _public(pupil_id, row)


def set_access(
    session: Session,
    *,
    pupil_id: int,
    guardian_id: int,
    has_access: bool,
    relation: Relation,
    by_id: int,
) -> GuardianLinkPublic:
    """A staff decision on one link: 403 for anyone but her mentor or principal, 404 for a
    link the pupil does not have. Recorded even when the value stays (the decision then
    protects it from imports), with an audit entry either way."""
    if not _may_decide(session, relation=relation, viewer_id=by_id, pupil_id=pupil_id):
        raise NotADecider()
    link = session.get(Guardianship, (guardian_id, pupil_id))
    if link is None:
        raise NotFound()
    link.has_access = has_access
    link.decided_at = utcnow()
    link.decided_by_id = by_id
    session.add(link)
    kind = AuditKind.GUARDIAN_OPENED if has_access else AuditKind.GUARDIAN_RESTRICTED
    session.add(
        AuditEvent(actor_id=by_id, pupil_id=pupil_id, kind=kind, detail=f"guardian {guardian_id}")
    )
    session.commit()
    return link_of(session, pupil_id=pupil_id, guardian_id=guardian_id)


def decide(
    session: Session, *, access: Access, guardian_id: int, has_access: bool
) -> GuardianLinkPublic:
    """The decision of the viewer that access proved (set_access: with plain ids, for a
    caller without a request)."""
    return set_access(
        session,
        pupil_id=access.pupil_id,
        guardian_id=guardian_id,
        has_access=has_access,
        relation=access.relation,
        by_id=access.viewer.person_id,
    )
