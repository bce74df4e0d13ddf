"""Import another school's `iup-exchange/1` document (docs/exchange.md, "Import"): each of
the pupil's earlier terms becomes an archived, read-only plan here, under the sending
school and its terms, with everything the document holds: the plan's story and the state
it had there, its goals and self-assessments with the teachers' replies, the preparations,
the written summary, agreements and their signatures byte for byte, each signature with
the relying party and origin it was made for, so `iup verify-signatures` checks it here as
the sending school would. People of the sending school are names only here (a reply's or a
preparation's author, an event's mover, a signer); the pupil's own preparation is hers.
A term of this installation's own schools is never imported into (a document that came
back here): it is skipped, and said so."""

from __future__ import annotations

import unicodedata
from datetime import datetime

import msgspec
from sqlalchemy import update
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session, col, select

from backend import readlog
from backend.access import (
    PLAN_READERS,
    REASON_LASTS,
    STAFF,
    ReasonNeeded,
    Relation,
    Staff,
    relation,
)
from backend.errors import Conflict, Invalid, NotFound, TooLarge
from backend.exchange import schemas as x
from backend.exchange.contents import INVALID, Questions, add_agreement, add_goal, add_preparation
from backend.i18n import N_
from backend.models import (
    AuditEvent,
    AuditKind,
    Person,
    Plan,
    PlanEvent,
    PlanState,
    School,
    Summary,
    Term,
    utcnow,
)
from backend.settings import Settings

# Who may import a pupil's earlier history: her mentors and teachers, or a principal of
# her school.
IMPORTERS = frozenset({*STAFF, Relation.PRINCIPAL}) & PLAN_READERS
# A document of many terms with signatures is some hundred KB; this leaves room to spare.
MAX_DOCUMENT = 5 * 1024 * 1024


class ImportedPublic(msgspec.Struct, kw_only=True):
    """What an import stored, and what it left out."""

    pupil_id: int
    terms: list[str]  # the codes of the terms imported, oldest first
    goals: int
    self_assessments: int
    replies: int
    preparations: int
    agreements: int
    signatures: int
    events: int
    skipped_terms: list[str]  # terms of this installation's own schools


ALREADY = N_(
    "This pupil already has a plan for one of the document's terms: it was imported before."
)
NO_RELYING_PARTY = N_(
    "The document has signatures but does not name the relying party and origin they were "
    "made for, so they cannot be verified."
)
NOT_JSON = N_(
    "The file is not a JSON file. Choose the .json file that the earlier school exported."
)
NOT_EXCHANGE = N_(
    "The file is not an IUP exchange document (iup-exchange/1). Choose the file that the "
    "earlier school exported from its IUP."
)
TOO_LARGE = N_("The file is larger than 5 MB. An exchange document is much smaller.")
OTHER_PUPIL = N_(
    "This file holds the history of %(document_pupil)s, not of %(pupil)s. Nothing was "
    "imported. Choose the file of %(pupil)s."
)


def decode(raw: bytes) -> x.ExchangeDocument:
    """The document in `raw` (the file or the API's body), or 422 with what is wrong: not
    JSON (`not_json`), JSON of another kind or version (`not_exchange_document`, docs/
    exchange.md: a reader refuses other versions), or not as the schema says
    (`malformed_document`); 413 (`too_large`) past MAX_DOCUMENT."""
    if len(raw) > MAX_DOCUMENT:
        raise TooLarge("too_large", TOO_LARGE)
    try:
        found = msgspec.json.decode(raw)
    except msgspec.DecodeError as error:
        raise Invalid("not_json", NOT_JSON) from error
    except RecursionError as error:  # nested deeper than any document
        raise Invalid("not_exchange_document", NOT_EXCHANGE) from error
    if not isinstance(found, dict) or found.get("format") != x.FORMAT:
        raise Invalid("not_exchange_document", NOT_EXCHANGE)
    try:
        return msgspec.json.decode(raw, type=x.ExchangeDocument)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise Invalid("malformed_document", INVALID) from error


def _plain(name: str) -> str:
    """A name as compared: Unicode NFKC (an Arabic letter in its presentation form is the
    letter), case folded, spaces collapsed. Accents and vowel marks stay: they tell names
    apart."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def refuse_other_pupil(session: Session, *, sent: x.Pupil, person: Person) -> None:
    """Imports land on their own pupil (issue 23, item 1): 422 `other_pupil`, naming both,
    unless the document's pupil is this person. Her SS 12000 id decides when it is known
    here: hers, she; another person's, not she. An id of another system (a school in
    another municipality), or none, leaves it to her name, given and family name together
    as compared by `_plain`. Neither the format nor the roster holds a birth year."""
    if sent.external_id and sent.external_id == person.external_id:
        return
    known = (
        sent.external_id is not None
        and session.exec(select(Person.id).where(Person.external_id == sent.external_id)).first()
        is not None
    )
    document_name = f"{sent.given_name} {sent.family_name}"
    if not known and _plain(document_name) == _plain(person.name):
        return
    raise Invalid(
        "other_pupil",
        OTHER_PUPIL,
        params={"document_pupil": " ".join(document_name.split()), "pupil": person.name},
    )


def sender_key(sent: x.School, *, rp_id: str, origin: str) -> str:
    """The sending school as another installation's: its relying party and origin (empty
    when the document has no signatures), and its school unit code, else its name."""
    which = f"unit:{sent.unit_code}" if sent.unit_code else f"name:{sent.name}"
    return f"{rp_id}\n{origin}\n{which}"


def _school(session: Session, sent: x.School, *, rp_id: str, origin: str) -> School:
    """The school known from earlier imports by its key, else a new one. The key is unique:
    of two imports from one new school at the same moment, one adds it and the other, its
    insert refused, finds that one. This installation's own schools have no key, so a
    document is never filed under one of them, whatever its name."""
    key = sender_key(sent, rp_id=rp_id, origin=origin)
    found = session.exec(select(School).where(School.sender_key == key)).first()
    if found is not None:
        return found
    try:
        with session.begin_nested():
            found = School(
                name=sent.name, unit_code=sent.unit_code, rp_id=rp_id, origin=origin, sender_key=key
            )
            session.add(found)
    except IntegrityError:  # added by another import in the meantime
        found = session.exec(select(School).where(School.sender_key == key)).one()
    return found


def import_for(
    session: Session, *, staff: Staff, person_id: int, raw: bytes, settings: Settings
) -> ImportedPublic:
    """The API's import, for the pupil named by her id: her mentors and teachers or a
    principal of her school import; to anyone else she does not exist (404, before the
    document is read). A principal gives her reason first, as for any read of one pupil's
    plan (403 `reason_needed`)."""
    found = relation(session, viewer=staff.viewer, pupil_id=person_id)
    if found is None or found not in IMPORTERS:
        raise NotFound()
    if found is Relation.PRINCIPAL and not readlog.has_reason(
        session, reader_id=staff.viewer.person_id, pupil_id=person_id, since=utcnow() - REASON_LASTS
    ):  # as the page and every other read of one pupil's plan by a principal
        raise ReasonNeeded()
    return import_document(
        session,
        document=decode(raw),
        person_id=person_id,
        by_id=staff.viewer.person_id,
        settings=settings,
    )


def import_document(
    session: Session,
    *,
    document: x.ExchangeDocument,
    person_id: int,
    by_id: int | None,
    settings: Settings,
    dry_run: bool = False,
) -> ImportedPublic:
    """One transaction: everything or nothing. 404: no such person; 409: a plan of hers
    for one of the terms exists (imported before); 422: the document is another pupil's
    (`other_pupil`), or has signatures that name no relying party, or that do not verify.
    `dry_run`: all the same, then rolled back: what the import would store (the upload
    page asks with it before storing)."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound()
    refuse_other_pupil(session, sent=document.pupil, person=person)
    for attempt in (1, 2):
        try:
            result = _import(session, document=document, person_id=person_id, by_id=by_id,
                             settings=settings)  # fmt: skip
            session.flush()
        except IntegrityError as error:
            session.rollback()
            if attempt == 1:  # another import made the same term meanwhile: again, seeing it
                continue
            raise Invalid("malformed_document", INVALID) from error
        except DataError as error:
            session.rollback()
            raise Invalid("malformed_document", INVALID) from error
        except Exception:
            session.rollback()
            raise
        if dry_run:
            session.rollback()
        else:
            session.commit()
        return result
    raise AssertionError("unreachable")


def _import(
    session: Session,
    *,
    document: x.ExchangeDocument,
    person_id: int,
    by_id: int | None,
    settings: Settings,
) -> ImportedPublic:
    # Her row first, written: two imports for her (a second click, a second tab) take
    # turns, and the later one finds the plans of the first (409), never a second copy.
    session.execute(update(Person).where(col(Person.id) == person_id).values(id=person_id))
    result = ImportedPublic(
        pupil_id=person_id,
        terms=[],
        goals=0,
        self_assessments=0,
        replies=0,
        preparations=0,
        agreements=0,
        signatures=0,
        events=0,
        skipped_terms=[],
    )
    run = _Run(session, person_id=person_id, settings=settings, result=result)
    for term in document.terms:
        rp_id = term.school.rp_id or document.school.rp_id or ""
        origin = term.school.origin or document.school.origin or ""
        if (rp_id, origin) == (settings.rp_id, settings.origin):
            result.skipped_terms.append(term.code)  # ours: it came back here
            continue
        run.term(term, rp_id=rp_id, origin=origin)
    if result.terms:  # who brought it, and from where
        session.add(
            AuditEvent(
                kind=AuditKind.PLANS_IMPORTED,
                actor_id=by_id,
                pupil_id=person_id,
                detail=f"{document.school.name}: {', '.join(result.terms)}"[:500],
            )
        )
    return result


class _Run:
    """One import's state: whose, when, and what it stored so far."""

    def __init__(
        self,
        session: Session,
        *,
        person_id: int,
        settings: Settings,
        result: ImportedPublic,
    ) -> None:
        self.session, self.person_id = session, person_id
        self.settings, self.result, self.now = settings, result, utcnow()

    def term(self, term: x.Term, *, rp_id: str, origin: str) -> None:
        """The term as an archived plan here, under the sending school and its term."""
        session, result = self.session, self.result
        if any(a.signatures for a in term.agreements) and not (rp_id and origin):
            raise Invalid("no_relying_party", NO_RELYING_PARTY)
        school = _school(session, term.school, rp_id=rp_id, origin=origin)
        here = self._term_here(school, term)
        plan_id = self._plan(school, here, term)
        for event in term.events:
            session.add(
                PlanEvent(plan_id=plan_id, state=event.state, by_name=event.by, at=event.at)
            )
        result.events += len(term.events)
        for position, goal in enumerate(term.goals):
            ratings, replies = add_goal(
                session, plan_id=plan_id, position=position, goal=goal, now=self.now
            )
            result.goals += 1
            result.self_assessments += ratings
            result.replies += replies
        questions = Questions(session, term_id=here)
        for preparation in term.preparations:
            add_preparation(
                session,
                plan_id=plan_id,
                pupil_id=self.person_id,
                sent=preparation,
                questions=questions,
                now=self.now,
            )
            result.preparations += 1
        if term.summary is not None:
            session.add(_summary(term.summary, plan_id=plan_id, now=self.now))
        for a in term.agreements:
            result.signatures += add_agreement(
                session,
                plan_id=plan_id,
                pupil_id=self.person_id,
                a=a,
                rp_id=rp_id,
                origin=origin,
                now=self.now,
                settings=self.settings,
            )
            result.agreements += 1
        result.terms.append(term.code)

    def _term_here(self, school: School, term: x.Term) -> int:
        """The sending school's term here (made closed the first time); its id."""
        assert school.id is not None
        here = self.session.exec(
            select(Term).where(Term.school_id == school.id, Term.code == term.code)
        ).first()
        if here is None:
            here = Term(
                school_id=school.id,
                code=term.code,
                starts_on=term.starts_on,
                ends_on=term.ends_on,
                opened_at=self.now,
                closed_at=self.now,
            )
            self.session.add(here)
            self.session.flush()
        assert here.id is not None
        return here.id

    def _plan(self, school: School, term_id: int, term: x.Term) -> int:
        """Her archived plan of the term, with the state it had there; 409 when she has one
        (imported before)."""
        if self.session.exec(
            select(Plan.id).where(Plan.pupil_id == self.person_id, Plan.term_id == term_id)
        ).first():
            refusal = Conflict({"term": term.code, "school": school.name}, reason="imported")
            refusal.message = ALREADY
            raise refusal
        plan = Plan(
            pupil_id=self.person_id,
            term_id=term_id,
            state=PlanState.ARCHIVED,
            imported_at=self.now,
            imported_state=term.state,
        )
        self.session.add(plan)
        self.session.flush()
        assert plan.id is not None
        return plan.id


def _summary(s: x.Summary, *, plan_id: int, now: datetime) -> Summary:
    return Summary(
        plan_id=plan_id,
        held_on=s.held_on,
        participants=s.participants,
        measures_school=s.measures_school,
        measures_pupil=s.measures_pupil,
        measures_home=s.measures_home,
        next_goals=s.next_goals,
        published_at=s.published_at,
        updated_at=now,
    )
