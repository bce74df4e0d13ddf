"""A generated municipality in a database: its SS 12000 files through the roster import
the CLI uses (`iup roster import`), then a term's activity through the services, as
the people would make it, then today's files imported again.

1. The earlier export (a guardian whose custody later ends) as of the day before the pupil
   changed class; staff decisions on guardian links (a court order closes one, a God man's
   is opened).
2. A term per school opened by its principal (and last term, rated and closed, for the
   first school); goals by the mentor, self-assessments with replies, goal proposals
   (some answered), running notes by subject teachers (shared and staff-only), the
   mentor's talk drafts, preparations by pupil and guardians (one keeps hers to herself),
   talk times and bookings, and for some pupils a published written plan with an
   agreement that pupil, guardians and mentor sign with a passkey (a software
   authenticator: real WebAuthn assertions), one followed up.
3. Today's export: she has changed class, a new pupil (no plan yet) has come, the
   guardian's link has ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from backend.access import Access, Relation
from backend.agreements import service as agreements
from backend.agreements import summary
from backend.agreements.schemas import SummaryUpdate
from backend.auth import service as auth
from backend.compilation import service as compilation
from backend.db import make_engine, upgrade
from backend.demo import weekdays_from
from backend.errors import Refusal
from backend.goals import proposals
from backend.goals import service as goals
from backend.models import Audience, Goal, GroupPupil, Person, Plan, School, Term
from backend.notes import service as notes
from backend.people import guardians
from backend.plans import service as plans
from backend.preparation import service as preparation
from backend.reflections import service as reflections
from backend.roster.service import Summary, import_roster
from backend.settings import Settings
from backend.talks import series as talk_series
from backend.talks import service as talks
from backend.terms import closing
from backend.terms import service as terms
from backend.viewer import Viewer
from tests.municipality import ss12000
from tests.municipality.generate import ALLOWED, Municipality
from tests.softauthn import SoftAuthenticator

ZONE = ZoneInfo("Europe/Stockholm")
GOALS = (
    ("Matematik", "Jag kan förklara hur jag tänker när jag löser en uppgift."),
    ("Svenska", "Jag läser en bok i veckan och berättar om den för någon."),
    ("Socialt", "Jag lyssnar när andra pratar i gruppen."),
)
LAST_GOALS = (
    ("Matematik", "Jag kan de fyra räknesätten med tal upp till 1000.", 4),
    ("Engelska", "Jag kan läsa en enkel bok på engelska.", 2),
)


@dataclass
class Seeded:
    """The database ids of what the municipality became."""

    ids: dict[str, int] = field(default_factory=dict)  # SS 12000 person id -> Person.id
    groups: dict[str, int] = field(default_factory=dict)
    schools: dict[str, int] = field(default_factory=dict)
    imported: Summary | None = None  # as the roster was before the pupil changed class
    reimported: Summary | None = None  # today's: her old membership ended
    signed: int = 0
    signed_for: dict[int, set[str]] = field(default_factory=dict)  # signer -> pupils (SS id)
    # Texts only some may read, each with a marker (PERS-, UTKAST-, EGEN-nnnnn): a
    # staff-only note, the mentor's talk draft, a guardian's preparation she did not share.
    # Marker -> (the pupil's SS id, the author's Person.id).
    private: dict[str, tuple[str, int]] = field(default_factory=dict)


def previous_term(start: date) -> tuple[str, date, date]:
    before = start - timedelta(days=40)
    if before.month >= 8:
        return f"HT{before.year}", date(before.year, 8, 15), date(before.year, 12, 22)
    return f"VT{before.year}", date(before.year, 1, 9), date(before.year, 6, 12)


def code_of(start: date) -> str:
    return f"{'HT' if start.month >= 8 else 'VT'}{start.year}"


def build(
    m: Municipality, *, folder: Path, database_url: str, settings: Settings, activity: bool = True
) -> Seeded:
    """Writes the files into `folder` (and the earlier export beside it), migrates the
    database, imports the earlier export as of the day before the class change, seeds the
    term's activity, then imports today's files."""
    earlier = folder.with_name(folder.name + "-earlier")
    ss12000.write(m, earlier, page_size=250, earlier=True)
    ss12000.write(m, folder, page_size=250)
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            seeded = Seeded()
            before = m.moved_on - timedelta(days=1) if m.moved_on else m.today
            seeded.imported = import_roster(session, source=earlier, dry_run=False, today=before)
            _ids(session, m, seeded)
            _decide(session, m, seeded)
            if activity:
                _activity(session, m, seeded, settings, before)
            # The term goes on: today's roster, where she has changed class, a new pupil
            # has come and a guardian's custody has ended.
            seeded.reimported = import_roster(session, source=folder, dry_run=False, today=m.today)
    finally:
        engine.dispose()
    return seeded


def _ids(session: Session, m: Municipality, seeded: Seeded) -> None:
    from backend.models import Group

    for ext, pid in session.exec(select(Person.external_id, Person.id)):
        if ext in m.persons and pid is not None:
            seeded.ids[ext] = pid
    for ext, gid in session.exec(select(Group.external_id, Group.id)):
        if ext is not None and gid is not None:
            seeded.groups[ext] = gid
    for ext, sid in session.exec(select(School.external_id, School.id)):
        if ext is not None and sid is not None:
            seeded.schools[ext] = sid


def _decide(session: Session, m: Municipality, seeded: Seeded) -> None:
    """Staff decisions on guardian links, by the principal of the child's school."""
    for (guardian, child), has_access in sorted(m.decisions.items()):
        school = m.school_of(child)
        principal = next(d.person for d in m.duties if d.school == school and d.role == "Rektor")
        guardians.set_access(
            session,
            pupil_id=seeded.ids[child],
            guardian_id=seeded.ids[guardian],
            has_access=has_access,
            relation=Relation.PRINCIPAL,
            by_id=seeded.ids[principal],
        )


def _viewer(session: Session, person_id: int, *, pupil: bool = False) -> Viewer:
    person = session.get(Person, person_id)
    assert person is not None
    return Viewer(
        person_id=person_id,
        given_name=person.given_name,
        family_name=person.family_name,
        passkey_id=None,
        is_pupil=pupil,
    )


def _access(session: Session, viewer_id: int, pupil_id: int, relation: Relation) -> Access:
    pupil = relation is Relation.SELF
    return Access(
        viewer=_viewer(session, viewer_id, pupil=pupil), pupil_id=pupil_id, relation=relation
    )


def _activity(
    session: Session, m: Municipality, seeded: Seeded, settings: Settings, before: date
) -> None:
    today = m.today
    ids = seeded.ids
    principal_of = {d.school: ids[d.person] for d in m.duties if d.role == "Rektor"}
    mentor_of = {g: ids[d.person] for d in m.duties for g in d.mentor_of}
    first = m.schools[0]

    # Last term, for the first school: opened, goals rated, closed -------------------------
    code, starts, ends = previous_term(m.term_start)
    school_id = seeded.schools[first.id]
    last = terms.create_term(
        session,
        school_id=school_id,
        code=code,
        starts_on=starts,
        ends_on=ends,
        talks_from=None,
        talks_until=None,
        summary_years=[1, 2, 3, 4, 5],
    )
    terms.open_term(session, school_id=school_id, term_id=last.id, by_id=principal_of[first.id])
    middle = starts + (ends - starts) / 2
    for plan in session.exec(select(Plan).where(Plan.term_id == last.id)).all():
        pupil_id = plan.pupil_id
        mentor = _group_mentor(session, m, seeded, mentor_of, pupil_id)
        if mentor is None:
            continue
        access = _access(session, mentor, pupil_id, Relation.MENTOR)
        for area, text, level in LAST_GOALS:
            goal = goals.add_goal(
                session, access=access, today=middle, area=area, text=text, how=""
            )
            session.commit()
            assert goal.id is not None
            plans.record_self_assessment(
                session, pupil_id=pupil_id, goal_id=goal.id, level=level, comment="", key=None
            )
    closing.close_term(
        session, school_id=school_id, term_id=last.id, by_id=principal_of[first.id], today=today
    )

    # This term, every school ---------------------------------------------------------------
    talks_from = max(m.term_start, today - timedelta(days=3))
    for school in m.schools:
        school_id = seeded.schools[school.id]
        term = terms.create_term(
            session,
            school_id=school_id,
            code=code_of(m.term_start),
            starts_on=m.term_start,
            ends_on=m.term_end,
            talks_from=talks_from if talks_from <= m.term_end else None,
            talks_until=m.term_end if talks_from <= m.term_end else None,
            summary_years=[1, 2, 3, 4, 5],
        )
        terms.open_term(
            session, school_id=school_id, term_id=term.id, by_id=principal_of[school.id]
        )

    teachers_of: dict[str, list[int]] = {}
    for a in m.activities:
        for duty_id in a.teachers:
            duty = next(d for d in m.duties if d.id == duty_id)
            for group in a.groups:
                teachers_of.setdefault(group, []).append(ids[duty.person])

    special = set(m.kinds.values())
    for guardian in list(special):
        special |= m.children(guardian, with_access=False)
    special |= {child for _guardian, child, _relation in m.former}
    rich: set[int] = {ids[p] for p in special if p in ids}
    for n, pupil_ext in enumerate(m.pupils):
        pupil_id = ids[pupil_ext]
        mentor = _group_mentor(session, m, seeded, mentor_of, pupil_id)
        if mentor is None or plans_none(session, pupil_id, today):
            continue
        access = _access(session, mentor, pupil_id, Relation.MENTOR)
        made = []
        for area, text in GOALS[: 2 + (n % 2)]:
            made.append(
                goals.create_goal(session, access=access, today=today, area=area, text=text, how="")
            )
        if n % 3 == 0 or pupil_id in rich:
            rating, _new = plans.record_self_assessment(
                session,
                pupil_id=pupil_id,
                goal_id=made[0].id,
                level=1 + n % 4,
                comment="Jag övar varje dag.",
                key=None,
            )
            if pupil_id in rich:
                reflections.add_reply(
                    session,
                    assessment_id=rating.id,
                    author=_viewer(session, mentor),
                    text="Bra! Vi tittar på det tillsammans på fredag.",
                    pupil_id=pupil_id,
                    day=today,
                )
                session.commit()
        if pupil_id in rich or n % 7 == 0:
            proposal = proposals.propose(
                session,
                pupil_id=pupil_id,
                today=today,
                area="Idrott och hälsa",
                text="Jag vill kunna simma 200 meter.",
                how="Jag tränar på lördagar.",
            )
            session.commit()
            if n % 3 == 1:  # some answered, the others still waiting
                proposals.decide(
                    session,
                    access=access,
                    proposal_id=proposal.id,
                    today=today,
                    accept=n % 2 == 0,
                    reason="" if n % 2 == 0 else "Vi tar det nästa termin.",
                )
                session.commit()
        if pupil_id in rich:
            compilation.save_draft(
                session,
                access=access,
                text="Läsningen går framåt; prata om matematiken. "
                + _mark(seeded, "UTKAST", n, pupil_ext, mentor),
                version=0,
                today=today,
            )
        group_ext = _klass(m, pupil_ext, before)
        for k, teacher in enumerate((teachers_of.get(group_ext) or [])[:2]):
            if n % 2 and pupil_id not in rich:
                break
            viewer = _viewer(session, teacher)
            choices = notes.subjects_for(session, viewer=viewer, pupil_id=pupil_id)
            notes.add_note(
                session,
                author=viewer,
                pupil_id=pupil_id,
                text="Arbetar fokuserat och ber om hjälp när det behövs."
                + ("" if k == 0 else f" {_mark(seeded, 'PERS', n, pupil_ext, teacher)}"),
                shared=k == 0,
                subject=choices[0],
            )
        if pupil_id in rich or n % 4 == 0:
            _prepare(session, m, seeded, pupil_ext, today, n)

    _talk_times(session, m, seeded, mentor_of, rich, today, before)
    _written_plans(session, m, seeded, mentor_of, settings, today)


def plans_none(session: Session, pupil_id: int, today: date) -> bool:
    return plans.plan_this_term(session, pupil_id=pupil_id, today=today) is None


def _klass(m: Municipality, pupil: str, on: date) -> str | None:
    for g in m.groups:
        if g.group_type == "Klass" and pupil in m.members(g, on):
            return g.id
    return None


def _group_mentor(
    session: Session, m: Municipality, seeded: Seeded, mentor_of: dict[str, int], pupil_id: int
) -> int | None:
    groups = set(session.exec(select(GroupPupil.group_id).where(GroupPupil.pupil_id == pupil_id)))
    for ext, gid in seeded.groups.items():
        if gid in groups and ext in mentor_of:
            return mentor_of[ext]
    return None


def _guardians(m: Municipality, seeded: Seeded, pupil: str) -> list[int]:
    """Her guardians with access while the term's activity happens (the earlier export's)."""
    found = [g for g, _relation in sorted(m.responsibles.get(pupil, [])) if pupil in m.children(g)]
    found += [g for g, child, relation in m.former if child == pupil and relation in ALLOWED]
    return [seeded.ids[g] for g in found]


def _mark(seeded: Seeded, what: str, n: int, pupil: str, author: int) -> str:
    marker = f"{what}-{n:05d}"
    seeded.private[marker] = (pupil, author)
    return marker


def _prepare(
    session: Session, m: Municipality, seeded: Seeded, pupil: str, today: date, n: int
) -> None:
    """The pupil's answers and each guardian's; a second guardian keeps hers to herself."""
    pupil_id = seeded.ids[pupil]
    signing_in = {seeded.ids[p] for p in m.kinds.values()}  # they share: the other reads
    kept = sorted(_guardians(m, seeded, pupil), key=lambda g: g not in signing_in)
    authors = [(pupil_id, Audience.PUPIL, True)] + [
        (g, Audience.GUARDIAN, k == 0) for k, g in enumerate(kept)
    ]
    for author_id, audience, shared in authors:
        prep = preparation.preparation_of(
            session, pupil_id=pupil_id, author_id=author_id, audience=audience, today=today
        )
        text = "Jag vill prata om läsningen."
        if not shared:
            text += f" {_mark(seeded, 'EGEN', n, pupil, author_id)}"
        answers = {a.question_id: text for a in prep.answers[:2]}
        preparation.save_preparation(
            session,
            pupil_id=pupil_id,
            author_id=author_id,
            audience=audience,
            version=prep.version,
            answers=answers,
            ready=True,
            shared=audience is Audience.GUARDIAN and shared,
            today=today,
        )


def _talk_times(
    session: Session,
    m: Municipality,
    seeded: Seeded,
    mentor_of: dict[str, int],
    rich: set[int],
    today: date,
    on: date,
) -> None:
    """Times on the next three weekdays from the day after tomorrow for every class of the
    first two schools; the families of the special pupils (and every third) book one."""
    days = weekdays_from(today + timedelta(days=2), 3)
    if days[-1] > m.term_end:
        return
    for group in m.groups:
        if group.group_type != "Klass" or group.school not in {s.id for s in m.schools[:2]}:
            continue
        try:
            made = talk_series.create_series(
                session,
                group_id=seeded.groups[group.id],
                mentor_id=mentor_of[group.id],
                days=days,
                start=time(8),
                end=time(12),
                minutes=20,
                place=f"Klassrum {group.name}",
                closes_hours=24,
                zone=ZONE,
                today=today,
            )
        except Refusal:
            continue
        free = [t.id for t in made]
        for n, member in enumerate(sorted(m.members(group, on))):
            pupil_id = seeded.ids[member]
            guardians = _guardians(m, seeded, member)
            if not free or not guardians or (pupil_id not in rich and n % 3):
                continue
            talks.book(
                session,
                talk_time_id=free.pop(0),
                pupil_id=pupil_id,
                by_id=guardians[0],
                today=today,
            )


def _written_plans(
    session: Session,
    m: Municipality,
    seeded: Seeded,
    mentor_of: dict[str, int],
    settings: Settings,
    today: date,
) -> None:
    """For the children of the kinds' guardians and the kinds' pupils: the talk held
    yesterday, the written plan published, an agreement, signed by pupil, guardians with
    access and mentor with their passkeys."""
    pupils = [m.kinds[k] for k in ("pupil", "pupil_secret", "pupil_changed_class")]
    for kind in ("sibling_guardian", "guardian_two_households", "guardian_three_groups"):
        pupils += sorted(m.children(m.kinds[kind]))
    pupils += [child for _guardian, child, _relation in m.former]  # she signs, then leaves
    keys: dict[int, SoftAuthenticator] = {}
    done: set[str] = set()
    for pupil in pupils:
        if pupil in done:
            continue
        done.add(pupil)
        pupil_id = seeded.ids[pupil]
        mentor = _group_mentor(session, m, seeded, mentor_of, pupil_id)
        if mentor is None:
            continue
        access = _access(session, mentor, pupil_id, Relation.MENTOR)
        summary.save_summary(
            session,
            access=access,
            data=SummaryUpdate(
                version=0,
                held_on=today - timedelta(days=1),
                participants="Elev, vårdnadshavare och mentor",
                measures_school="Extra lästid på torsdagar.",
                measures_pupil="Läser tjugo minuter varje kväll.",
                measures_home="Frågar om boken vid middagen.",
            ),
            today=today,
        )
        made = agreements.create_agreement(
            session,
            access=access,
            text="Eleven läser tjugo minuter varje kväll.",
            party="pupil",
            due_on=min(today + timedelta(days=30), m.term_end),
            settings=settings,
        )
        summary.publish(session, access=access, settings=settings)
        signers = [(pupil_id, Relation.SELF), (mentor, Relation.MENTOR)]
        signers += [(g, Relation.GUARDIAN) for g in _guardians(m, seeded, pupil)]
        for signer, relation in signers:
            key = keys.get(signer) or _passkey(session, settings, signer)
            keys[signer] = key
            signer_access = _access(session, signer, pupil_id, relation)
            options = agreements.signing_options(
                session,
                access=signer_access,
                agreement_id=made.id,
                every=True,
                settings=settings,
            )
            agreements.sign(
                session,
                access=signer_access,
                agreement_id=made.id,
                credential=key.login(options),
                settings=settings,
            )
            seeded.signed += 1
            seeded.signed_for.setdefault(signer, set()).add(pupil)
        if pupil == m.kinds["pupil"]:  # one plan followed up: the agreement done
            agreements.follow_up(
                session,
                access=access,
                agreement_id=made.id,
                done=True,
                comment="Klart, bra jobbat!",
                settings=settings,
            )


def _passkey(session: Session, settings: Settings, person_id: int) -> SoftAuthenticator:
    person = session.get(Person, person_id)
    assert person is not None
    key = SoftAuthenticator(origin=settings.origin, rp_id=settings.rp_id)
    options = auth.registration_options(session, settings=settings, person=person)
    session.commit()
    auth.finish_registration(
        session,
        settings=settings,
        credential=key.register(options),
        person_id=person_id,
        nickname="Seeded",
    )
    return key


def counts(session: Session) -> dict[str, int]:
    from sqlalchemy import func

    return {
        "plans": session.exec(select(func.count()).select_from(Plan)).one(),
        "goals": session.exec(select(func.count()).select_from(Goal)).one(),
        "terms": session.exec(select(func.count()).select_from(Term)).one(),
        "archived": session.exec(
            select(func.count()).select_from(Plan).where(col(Plan.state) == "archived")
        ).one(),
    }
