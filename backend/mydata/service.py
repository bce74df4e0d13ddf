"""Gathers "all my data" for the signed-in person: her own records and, for each pupil
whose plan she may read (a pupil: herself; a guardian: each child she has access to), the
whole history as the family reads it (plans.history), the shared notes and the read log.
A guardian's download is itself a read of the child's plan, and is logged as one."""

from __future__ import annotations

from sqlmodel import Session, col, select

from backend import readlog
from backend.access import Access, Relation
from backend.home import history
from backend.i18n import N_
from backend.models import (
    Agreement,
    AuditEvent,
    AuditKind,
    Guardianship,
    LoginSession,
    PasskeyCredential,
    Person,
    Plan,
    Signature,
    utcnow,
)
from backend.mydata.schemas import (
    FORMAT,
    ChildData,
    EventData,
    MyData,
    PasskeyData,
    PersonData,
    SessionData,
    SharedNoteData,
    SignatureData,
)
from backend.notes.service import notes_of
from backend.notifications.service import notifications_of
from backend.readlog import ReadKind
from backend.settings import Settings
from backend.threads import service as threads
from backend.viewer import Viewer

# A security event, in her words.
EVENT_WORDS = {
    AuditKind.SIGNED_IN: N_("Signed in"),
    AuditKind.PASSKEY_ADDED: N_("Passkey added"),
    AuditKind.PASSKEY_REFUSED: N_("Passkey refused"),
    AuditKind.PASSKEY_REMOVED: N_("Passkey removed"),
    AuditKind.SIGN_COUNT_REGRESSION: N_("Passkey counter went backwards (a copied passkey?)"),
    AuditKind.ENROLMENT_CODE_ISSUED: N_("Sign-up link issued"),
    AuditKind.PLANS_IMPORTED: N_("A pupil's earlier terms imported from another school"),
    AuditKind.GUARDIAN_OPENED: N_("A guardian's access opened"),
    AuditKind.GUARDIAN_RESTRICTED: N_("A guardian's access restricted"),
    AuditKind.GUARDIAN_RELATIONS_CHANGED: N_("Who may read the plans changed"),
    AuditKind.RETENTION_CHANGED: N_("How long data is kept changed"),
}


def children_of(session: Session, *, viewer: Viewer) -> list[tuple[Person, Relation]]:
    """The pupils whose data she reads: herself if she is a pupil, then each child she
    has access to (a restricted link gives nothing, not even the child's name)."""
    found: list[tuple[Person, Relation]] = []
    if viewer.is_pupil:
        me = session.get(Person, viewer.person_id)
        assert me is not None
        found.append((me, Relation.SELF))
    children = session.exec(
        select(Person)
        .join(Guardianship, col(Guardianship.pupil_id) == Person.id)
        .where(
            Guardianship.guardian_id == viewer.person_id,
            col(Guardianship.has_access).is_(True),
            Person.id != viewer.person_id,
        )
        .order_by(col(Person.given_name), col(Person.id))
    ).all()
    found.extend((child, Relation.GUARDIAN) for child in children)
    return found


def my_data(session: Session, *, viewer: Viewer, settings: Settings) -> MyData:
    person = session.get(Person, viewer.person_id)
    assert person is not None
    children = children_of(session, viewer=viewer)
    readlog.record_many(
        session,
        reader_id=viewer.person_id,
        pupils={
            child.id: relation.value
            for child, relation in children
            if relation is Relation.GUARDIAN and child.id is not None
        },
        kind=ReadKind.MY_DATA,
        zone=settings.zone,
    )
    return MyData(
        format=FORMAT,
        generated_at=utcnow(),
        today=settings.today(),
        person=PersonData(
            given_name=person.given_name,
            family_name=person.family_name,
            locale=person.locale,
            created_at=person.created_at,
        ),
        passkeys=_passkeys(session, person_id=viewer.person_id),
        sessions=_sessions(session, person_id=viewer.person_id),
        events=_events(session, person_id=viewer.person_id),
        notifications=notifications_of(session, person_id=viewer.person_id).notifications,
        signatures=_signatures(session, person_id=viewer.person_id),
        children=[
            _child(session, child=child, relation=relation, viewer=viewer, settings=settings)
            for child, relation in children
        ],
    )


def _passkeys(session: Session, *, person_id: int) -> list[PasskeyData]:
    rows = session.exec(
        select(PasskeyCredential)
        .where(PasskeyCredential.person_id == person_id)
        .order_by(col(PasskeyCredential.created_at), col(PasskeyCredential.id))
    ).all()
    return [
        PasskeyData(
            nickname=p.nickname,
            created_at=p.created_at,
            last_used_at=p.last_used_at,
            transports=[t for t in p.transports.split(",") if t],
            backed_up=p.backed_up,
        )
        for p in rows
    ]


def _sessions(session: Session, *, person_id: int) -> list[SessionData]:
    rows = session.exec(
        select(LoginSession.created_at, LoginSession.expires_at)
        .where(LoginSession.person_id == person_id)
        .order_by(col(LoginSession.created_at).desc(), col(LoginSession.id).desc())
    ).all()
    return [SessionData(created_at=created, expires_at=expires) for created, expires in rows]


def _events(session: Session, *, person_id: int) -> list[EventData]:
    rows = session.exec(
        select(AuditEvent.kind, AuditEvent.at)
        .where(AuditEvent.actor_id == person_id)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    ).all()
    return [EventData(kind=kind, at=at) for kind, at in rows]


def _signatures(session: Session, *, person_id: int) -> list[SignatureData]:
    rows = session.exec(
        select(Signature, Person.given_name, Person.family_name)
        .join(Agreement, col(Agreement.id) == Signature.agreement_id)
        .join(Plan, col(Plan.id) == Agreement.plan_id)
        .join(Person, col(Person.id) == Plan.pupil_id)
        .where(Signature.signer_id == person_id)
        .order_by(col(Signature.signed_at).desc(), col(Signature.id).desc())
    ).all()
    return [
        SignatureData(
            agreement_id=s.agreement_id,
            agreement_version=s.agreement_version,
            pupil=f"{given} {family}",
            role=s.role,
            signed_at=s.signed_at,
            voided_at=s.voided_at,
        )
        for s, given, family in rows
    ]


def _child(
    session: Session, *, child: Person, relation: Relation, viewer: Viewer, settings: Settings
) -> ChildData:
    assert child.id is not None
    # What children_of proved: her standing towards this child.
    access = Access(viewer=viewer, pupil_id=child.id, relation=relation)
    plans = [
        history.plan_record(session, access=access, plan_id=entry.plan_id, settings=settings)
        for entry in history.plans_of(session, pupil_id=child.id, relation=relation)
    ]
    return ChildData(
        pupil_id=child.id,
        name=child.name,
        relation=relation.value,
        plans=plans,
        notes=[
            SharedNoteData(
                author=note.author,
                subject=note.subject,
                text=note.text,
                created_at=note.created_at,
                updated_at=note.updated_at,
            )
            for note in notes_of(
                session,
                pupil_id=child.id,
                shared_only=True,
                namer=access.namer,
            )
        ],
        messages=threads.every_message(
            session, pupil_id=child.id, reader_id=viewer.person_id, namer=access.namer
        ),
        reads=readlog.reads_of(
            session,
            pupil_id=child.id,
            zone=settings.zone,
            viewer_id=viewer.person_id,
            namer=access.namer,
        ),
    )
