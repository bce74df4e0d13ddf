"""The preparation questions: a stage per three school years, a default set per stage and
audience in words a pupil of that age reads, and the term's own questions as the reader
sees them (a default in the reader's language, a principal's own text as she wrote it)."""

from __future__ import annotations

import msgspec
from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col

from backend.db import Query
from backend.i18n import N_, gettext
from backend.models import Audience, Question

STAGES = {1: N_("Years 1–3"), 2: N_("Years 4–6"), 3: N_("Years 7–9")}


def stage_of(school_year: int | None) -> int:
    """Förskoleklass and åk 1–3 are stage 1, åk 4–6 stage 2, åk 7–9 stage 3."""
    if school_year is None or school_year <= 3:
        return 1
    return 2 if school_year <= 6 else 3


_GUARDIAN = [
    ("child_well", N_("What do you think is going well for your child at school?")),
    ("worries", N_("Is there anything you are worried about?")),
    ("home_help", N_("How can you support your child at home?")),
    ("school_help", N_("What would you like the school to do?")),
    ("talk", N_("What do you want to talk about at the talk?")),
]
DEFAULTS: dict[tuple[int, Audience], list[tuple[str, str]]] = {
    (1, Audience.PUPIL): [
        ("went_well", N_("What has gone well at school?")),
        ("hard", N_("What has been hard?")),
        ("better", N_("What do you want to get better at?")),
        ("school_help", N_("How can your teacher help you?")),
        ("feel", N_("How do you feel at school?")),
    ],
    (2, Audience.PUPIL): [
        ("went_well", N_("What has gone well this term?")),
        ("hard", N_("What has been hard this term?")),
        ("better", N_("What do you want to get better at next?")),
        ("school_help", N_("How can school help you with that?")),
        ("home_help", N_("How can home help you?")),
    ],
    (3, Audience.PUPIL): [
        ("went_well", N_("What has gone well this term, in your subjects and with others?")),
        ("hard", N_("What has been hard, and why do you think it was?")),
        ("better", N_("What do you want to develop most until the next talk?")),
        ("school_help", N_("What do you need from your teachers to get there?")),
        ("home_help", N_("What support would help you at home?")),
    ],
    (1, Audience.GUARDIAN): _GUARDIAN,
    (2, Audience.GUARDIAN): _GUARDIAN,
    (3, Audience.GUARDIAN): _GUARDIAN,
}
_DEFAULT_TEXT = {
    (stage, audience, key): text
    for (stage, audience), rows in DEFAULTS.items()
    for key, text in rows
}


def add_defaults(session: Session, *, term_id: int) -> None:
    """The default questions for every stage and audience (not committed)."""
    for (stage, audience), rows in DEFAULTS.items():
        for position, (key, _text) in enumerate(rows):
            session.add(
                Question(
                    term_id=term_id, stage=stage, audience=audience, position=position, key=key
                )
            )


class QuestionPublic(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    text: str  # in the reader's language when it is a default question
    default: bool = False


def wording(*, stage: int, audience: str, key: str, text: str) -> str:
    """What the reader sees: her own language for a default question."""
    if text or not key:
        return text
    default = _DEFAULT_TEXT.get((stage, Audience(audience), key))
    return gettext(default) if default else key


_OF_TERM = Query(
    core_select(
        col(Question.id),
        col(Question.stage),
        col(Question.audience),
        col(Question.key),
        col(Question.text),
    )
    .where(
        col(Question.term_id) == bindparam("term_id"),
        col(Question.stage) == bindparam("stage"),
        col(Question.audience) == bindparam("audience"),
        col(Question.retired_at).is_(None),
    )
    .order_by(col(Question.position), col(Question.id))
)


def questions_for(
    session: Session, *, term_id: int, stage: int, audience: Audience
) -> list[QuestionPublic]:
    """The term's questions in force for one stage and audience, in order."""
    params = {"term_id": term_id, "stage": stage, "audience": audience.value}
    return [
        QuestionPublic(
            id=int(row.id),
            text=wording(stage=row.stage, audience=row.audience, key=row.key, text=row.text),
            default=not row.text,
        )
        for row in _OF_TERM.rows(session, params)
    ]
