"""What one imported term holds, written as rows here (importing.py makes the plan): the
goals with their self-assessments and the teachers' replies, the preparations with their
answers to the questions as the sending school asked them, and the agreements with each
signature byte for byte, checked here: one that does not verify refuses the document."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select
from webauthn.helpers import base64url_to_bytes

from backend.agreements import signing
from backend.errors import Invalid
from backend.exchange import schemas as x
from backend.i18n import N_
from backend.models import (
    Agreement,
    Answer,
    Goal,
    Preparation,
    Question,
    Reply,
    SelfAssessment,
    Signature,
)
from backend.settings import Settings

BAD_SIGNATURE = N_("A signature in the document does not verify: nothing was imported.")
INVALID = N_("The document is not valid.")


class Questions:
    """A term's preparation questions as the sending school asked them, each once per
    audience and wording, in the order first met (one query, then one row each)."""

    def __init__(self, session: Session, *, term_id: int) -> None:
        self.session, self.term_id = session, term_id
        self.known = {
            (q.audience, q.text): int(q.id or 0)
            for q in session.exec(select(Question).where(Question.term_id == term_id)).all()
        }

    def get(self, *, audience: str, text: str) -> int:
        found = self.known.get((audience, text))
        if found is None:
            question = Question(
                term_id=self.term_id,
                stage=0,
                audience=audience,
                position=len(self.known),
                text=text,
            )
            self.session.add(question)
            self.session.flush()
            found = self.known[(audience, text)] = int(question.id or 0)
        return found


def add_goal(
    session: Session, *, plan_id: int, position: int, goal: x.Goal, now: datetime
) -> tuple[int, int]:
    """The goal with its self-assessments and their replies; how many of each."""
    stored = Goal(
        plan_id=plan_id,
        area=goal.area,
        text=goal.text,
        how=goal.how,
        position=position,
        created_at=now,
        retired_at=now if goal.retired else None,
    )
    session.add(stored)
    session.flush()
    assert stored.id is not None
    replies = 0
    for rating in goal.self_assessments:
        stored_rating = SelfAssessment(
            goal_id=stored.id,
            level=rating.level,
            comment=rating.comment,
            created_at=rating.created_at,
        )
        session.add(stored_rating)
        if rating.replies:
            session.flush()  # the rating's id
        for reply in rating.replies:
            session.add(
                Reply(
                    self_assessment_id=int(stored_rating.id or 0),
                    author_name=reply.author,
                    text=reply.text,
                    created_at=reply.created_at,
                )
            )
        replies += len(rating.replies)
    return len(goal.self_assessments), replies


def add_preparation(
    session: Session,
    *,
    plan_id: int,
    pupil_id: int,
    sent: x.Preparation,
    questions: Questions,
    now: datetime,
) -> None:
    """The pupil's preparation is hers here (she reads it); a guardian's is his name
    only, read by staff."""
    preparation = Preparation(
        plan_id=plan_id,
        author_id=pupil_id if sent.audience == "pupil" else None,
        author_name=sent.author,
        audience=sent.audience,
        updated_at=now,
    )
    session.add(preparation)
    session.flush()
    for answer in sent.answers:
        question = questions.get(audience=sent.audience, text=answer.question)
        session.add(
            Answer(
                preparation_id=int(preparation.id or 0),
                question_id=question,
                text=answer.text,
            )
        )


def add_agreement(
    session: Session,
    *,
    plan_id: int,
    pupil_id: int,
    a: x.Agreement,
    rp_id: str,
    origin: str,
    now: datetime,
    settings: Settings,
) -> int:
    """The agreement as it is now, and each signature byte for byte, checked here: one
    that does not verify refuses the whole document. How many signatures."""
    agreement = Agreement(
        plan_id=plan_id,
        text=a.text,
        party=a.party,
        due_on=a.due_on,
        state=a.state,
        version=a.version,
        created_at=now,
        progress_at=a.progress_at,
        progress_comment=a.progress_comment,
        followed_up_at=a.followed_up_at,
        follow_up_comment=a.follow_up_comment,
    )
    session.add(agreement)
    session.flush()
    assert agreement.id is not None
    live = signing.canonical(agreement, pupil_id=pupil_id)
    for sig in a.signatures:
        stored = _signature(sig, agreement_id=agreement.id, rp_id=rp_id, origin=origin)
        if (sig.voided_at is None and sig.agreement_version != a.version) or signing.verify(
            stored, live=None if sig.voided_at else live, settings=settings
        ) is not None:
            raise Invalid("bad_signature", BAD_SIGNATURE)
        session.add(stored)
    return len(a.signatures)


def _signature(sig: x.Signature, *, agreement_id: int, rp_id: str, origin: str) -> Signature:
    """With the relying party and origin it was made for, so that `iup verify-signatures`
    checks it here as the sending school would."""
    return Signature(
        agreement_id=agreement_id,
        agreement_version=sig.agreement_version,
        signer_id=None,
        signer_name=sig.signer.name,
        role=sig.signer.role,
        document=_bytes(sig.document),
        nonce=_bytes(sig.nonce),
        bundle=_bytes(sig.bundle),
        credential_id=_bytes(sig.credential_id),
        public_key=_bytes(sig.public_key),
        authenticator_data=_bytes(sig.authenticator_data),
        client_data_json=_bytes(sig.client_data_json),
        signature=_bytes(sig.signature),
        user_handle=_bytes(sig.user_handle),
        signed_at=sig.signed_at,
        voided_at=sig.voided_at,
        rp_id=rp_id,
        origin=origin,
    )


def _bytes(value: str) -> bytes:
    try:
        return base64url_to_bytes(value)
    except ValueError as error:
        raise Invalid("malformed_document", INVALID) from error
