"""A municipality's schools, groups, staff and families, made from a seed
(`random.Random(seed)`: the same knobs give the same people, ids included).

Families are as they come: siblings in one school and in two, a child whose two
guardians live apart, a guardian with children in three groups, "Annan ansvarig" and
"God man", a pupil with Sekretessmarkering and one with Skyddad folkbokföring, a pupil who
changed class this term (and her former mentor), a pupil in two classes, a new pupil, a
teacher who is a guardian elsewhere and a mentor who is one in her own class, a mentor with
Sekretessmarkering, a principal of two schools, a guardian link closed by staff and a God
man's opened, a guardian whose custody ended, persons with no enrolment, a pupil in no
group, a person in nothing, and names in Swedish (å, ä, ö), Arabic script and Somali.
`Municipality.kinds` names one person of each kind; `Municipality.may_see` is the
ground truth of who may see which pupil, worked out from this model alone (never from the
app), so tests can compare the app against it."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

GIVEN = [
    "Alva",
    "Elsa",
    "Maja",
    "Ebba",
    "Saga",
    "Wilma",
    "Astrid",
    "Ella",
    "Alma",
    "Freja",
    "Märta",
    "Åsa",
    "Linnéa",
    "Tove",
    "Ylva",
    "Stina",
    "Agnes",
    "Greta",
    "Signe",
    "Ingrid",
    "Sigrid",
    "Elin",
    "Hedda",
    "Klara",
    "Selma",
    "Tyra",
    "Vera",
    "Siri",
    "Juni",
    "Lovisa",
    "Björn",
    "Åke",
    "Göran",
    "Hugo",
    "Elias",
    "Noah",
    "Oscar",
    "Liam",
    "Lucas",
    "Nils",
    "Olle",
    "Sixten",
    "Östen",
    "Jöns",
    "Sölve",
    "Gösta",
    "Ture",
    "Måns",
    "Love",
    "Malte",
    "Vidar",
    "Ivar",
    "Birger",
    "Folke",
    "Sune",
    "Valter",
    "Arvid",
    "Tage",
    "Edvin",
    "Holger",
]
FAMILY = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Åberg",
    "Ängström",
    "Öberg",
    "Ström",
    "Sjöberg",
    "Lindqvist",
    "Björk",
    "Hägglund",
    "Söderberg",
    "Nyström",
    "Wåhlin",
    "Dahl",
    "Ek",
    "Holm",
    "Bäck",
    "Lönn",
    "Sundén",
    "Fröberg",
    "Mårtensson",
    "Östlund",
    "Ågren",
    "Bergström",
    "Löfgren",
    "Häggström",
    "Sandström",
    "Blomqvist",
    "Forsberg",
    "Hellström",
    "Åström",
    "Strömberg",
    "Nordström",
    "Sjögren",
    "Lundqvist",
    "Engström",
    "Jönsson",
    "Håkansson",
    "Pålsson",
    "Wikström",
    "Ödman",
    "Källström",
]
ARABIC_GIVEN = [
    "محمد",
    "فاطمة",
    "علي",
    "مريم",
    "أحمد",
    "زينب",
    "يوسف",
    "نور",
    "عمر",
    "ليلى",
    "حسن",
    "سارة",
    "خالد",
    "هدى",
    "إبراهيم",
]
ARABIC_FAMILY = ["الحسن", "العلي", "حداد", "الخطيب", "منصور", "الأحمد", "يوسف", "عيسى"]
SOMALI_GIVEN = [
    "Cabdullaahi",
    "Xamdi",
    "Faadumo",
    "Maxamed",
    "Cawo",
    "Xasan",
    "Sahra",
    "Ayaan",
    "Cabdi",
    "Hodan",
    "Xaliimo",
    "Cumar",
    "Ismaaciil",
    "Hibo",
    "Khadar",
]
SOMALI_FAMILY = ["Cali", "Warsame", "Jaamac", "Faarax", "Maxamuud", "Cilmi", "Xuseen", "Aadan"]
LETTERS = "ABCDEFGH"
SUBJECTS = (("MA", "Matematik"), ("SV", "Svenska"), ("EN", "Engelska"))
LANGUAGE = ("ML", "Moderna språk")
STREETS = ("Storgatan", "Kyrkvägen", "Björkvägen", "Skolgatan", "Ängsvägen", "Sjövägen")
PLACES = (("Åby", "123 45"), ("Östra Lund", "234 56"), ("Älvdalen", "345 67"))

GUARDIAN = "Vårdnadshavare"
OTHER = "Annan ansvarig"
GOOD_MAN = "God man"
SECRET = "Sekretessmarkering"
PROTECTED = "Skyddad folkbokföring"
ALLOWED = frozenset({GUARDIAN})  # the schools' default guardian_relations (docs/roster.md)

# The kinds of person a test signs in as (Municipality.kinds).
KINDS = (
    "pupil",
    "guardian",
    "pupil_secret",
    "pupil_protected",
    "pupil_changed_class",
    "pupil_without_group",
    "pupil_without_enrolment",
    "sibling_guardian",
    "sibling_guardian_two_schools",
    "guardian_two_households",
    "guardian_three_groups",
    "secret_pupil_guardian",
    "protected_pupil_guardian",
    "annan_ansvarig",
    "god_man",
    "teacher_guardian",
    "mentor",
    "subject_teacher",
    "principal",
    "principal_two_schools",
    "nobody",
    "former_mentor",
    "restricted_guardian",
    "mentor_guardian",
    "protected_mentor",
    "pupil_two_classes",
    "new_pupil",
    "new_pupil_guardian",
    "former_guardian",
    "organiser",
)


def uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class Person:
    id: str
    given_name: str
    family_name: str
    security_marking: str = "Ingen"
    birth: date = date(1985, 1, 1)
    civic_no: str = ""
    email: str = ""
    street: str = ""
    place: tuple[str, str] = PLACES[0]

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass
class Enrolment:
    school: str
    school_year: int
    start: date
    end: date | None = None


@dataclass
class Membership:
    person: str
    start: date
    end: date | None = None

    def current(self, today: date) -> bool:
        return self.start <= today and (self.end is None or today <= self.end)


@dataclass
class School:
    id: str
    name: str
    unit_code: str


@dataclass
class Group:
    id: str
    name: str
    school: str
    group_type: str  # Klass or Undervisning
    school_year: int
    start: date
    end: date
    members: list[Membership] = field(default_factory=list)


@dataclass
class Duty:
    id: str
    person: str
    school: str  # where the duty is: a Skolenhet, or the Huvudman (an organiser)
    role: str  # Lärare, Rektor or Övrig arbetsledning
    start: date
    mentor_of: list[str] = field(default_factory=list)  # group ids


@dataclass
class Activity:
    id: str
    name: str
    school: str
    groups: list[str]
    teachers: list[str]  # duty ids
    subject: tuple[str, str]  # code, name
    start: date
    end: date


@dataclass
class Municipality:
    seed: int
    today: date
    term_start: date
    term_end: date
    organiser: str  # the Huvudman's organisation id
    organiser_name: str
    schools: list[School] = field(default_factory=list)
    persons: dict[str, Person] = field(default_factory=dict)
    enrolments: dict[str, list[Enrolment]] = field(default_factory=dict)
    responsibles: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # child
    groups: list[Group] = field(default_factory=list)
    duties: list[Duty] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    syllabuses: dict[str, str] = field(default_factory=dict)  # subject code -> id
    pupils: list[str] = field(default_factory=list)  # everyone enrolled or in a group
    kinds: dict[str, str] = field(default_factory=dict)
    moved_on: date | None = None  # the day the pupil who changed class moved
    # Staff decisions on guardian links (guardian, child) -> has_access, made in the app
    # after the import (seed.py): a court order closes one, staff open a "God man".
    decisions: dict[tuple[str, str], bool] = field(default_factory=dict)
    # Guardian links in the earlier export only (guardian, child, relation): custody moved.
    former: list[tuple[str, str, str]] = field(default_factory=list)

    # ---- the ground truth --------------------------------------------------------------

    def group(self, group_id: str) -> Group:
        return next(g for g in self.groups if g.id == group_id)

    def members(self, group: Group, on: date | None = None) -> set[str]:
        return {m.person for m in group.members if m.current(on or self.today)}

    def in_a_group(self, person_id: str) -> bool:
        return any(person_id in self.members(g) for g in self.groups)

    def mentored(self, person_id: str) -> list[Group]:
        ids = {g for d in self.duties if d.person == person_id for g in d.mentor_of}
        return [g for g in self.groups if g.id in ids]

    def taught(self, person_id: str) -> list[Group]:
        duties = {d.id for d in self.duties if d.person == person_id}
        ids = {g for a in self.activities if duties & set(a.teachers) for g in a.groups}
        return [g for g in self.groups if g.id in ids]

    def led(self, person_id: str) -> list[str]:
        return sorted(
            {d.school for d in self.duties if d.person == person_id and d.role == "Rektor"}
        )

    def organised(self, person_id: str) -> list[str]:
        """The organisations (the Huvudman) whose figures she reads: a duty there."""
        return sorted({d.school for d in self.duties if d.person == person_id} & {self.organiser})

    def children(self, person_id: str, *, with_access: bool = True) -> set[str]:
        return {
            child
            for child, links in self.responsibles.items()
            for guardian, relation in links
            if guardian == person_id
            and (not with_access or self.has_access(guardian, child, relation))
        }

    def has_access(self, guardian: str, child: str, relation: str) -> bool:
        """As the import decides it (docs/roster.md), unless staff decided otherwise."""
        if (guardian, child) in self.decisions:
            return self.decisions[(guardian, child)]
        return relation in ALLOWED and self.persons[child].security_marking != PROTECTED

    def restricted(self, person_id: str) -> set[str]:
        """Children whose link to her gives no access: the app treats her as nobody there."""
        return self.children(person_id, with_access=False) - self.children(person_id)

    def may_see(self, person_id: str) -> set[str]:
        """The pupils whose data (and so whose names) this person may see: herself when she
        is a pupil in a group, her children through a link with access, the pupils of the
        groups she mentors or teaches, and the pupils in the groups of the schools she
        leads (with a reason). A restricted link makes her nobody to that child."""
        seen = self.staff_sees(person_id) | self.children(person_id)
        if self.in_a_group(person_id):
            seen.add(person_id)
        return seen - self.restricted(person_id)

    def staff_of(self, pupil_id: str) -> set[str]:
        """Her mentors and teachers, and the principals of her groups' schools."""
        groups = [g for g in self.groups if pupil_id in self.members(g)]
        staff = {
            d.person
            for d in self.duties
            if any(g.id in d.mentor_of for g in groups)
            or (d.role == "Rektor" and any(g.school == d.school for g in groups))
        }
        for a in self.activities:
            if any(g.id in a.groups for g in groups):
                staff |= {d.person for d in self.duties if d.id in a.teachers}
        return staff

    def protected_adults(self) -> set[str]:
        pupils = set(self.pupils)
        return {
            p for p, person in self.persons.items() if person.security_marking != "Ingen"
        } - pupils

    def staff_sees(self, person_id: str) -> set[str]:
        """The pupils she works with as staff: her groups' and her schools' (a principal's
        with a reason). Staff-only notes and drafts about them are hers to read."""
        seen: set[str] = set()
        for group in (*self.mentored(person_id), *self.taught(person_id)):
            seen |= self.members(group)
        for school in self.led(person_id):
            for group in self.groups:
                if group.school == school:
                    seen |= self.members(group)
        return seen - self.restricted(person_id)

    def may_be_named(self, person_id: str) -> set[str]:
        """Whose full name may appear on her pages, of the pupils and the protected adults:
        the pupils she may see, herself, and a protected adult (names.py) only to herself
        and to the staff of a child she is linked to."""
        named = self.may_see(person_id) | {person_id}
        for adult in self.protected_adults():
            linked = self.children(adult, with_access=False) | self.staff_sees(adult)
            if any(person_id in self.staff_of(pupil) for pupil in linked):
                named.add(adult)
        return named

    def school_of(self, pupil_id: str) -> str | None:
        for group in self.groups:
            if group.group_type == "Klass" and pupil_id in self.members(group):
                return group.school
        enrolments = self.enrolments.get(pupil_id) or []
        return enrolments[0].school if enrolments else None

    def summary(self) -> dict[str, int]:
        return {
            "schools": len(self.schools),
            "groups": len(self.groups),
            "pupils": len(self.pupils),
            "persons": len(self.persons),
            "duties": len(self.duties),
            "activities": len(self.activities),
        }


class _Names:
    """Full names unique across the municipality: a name test can tell who is who."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.taken: set[str] = set()

    def pick(self, family: str | None = None, *, pool: str = "sv") -> tuple[str, str]:
        """A free full name: from the pool, then (a large municipality) with two given
        names, then any family name, then from the Swedish pool."""
        pools = {
            "sv": (GIVEN, FAMILY),
            "ar": (ARABIC_GIVEN, ARABIC_FAMILY),
            "so": (SOMALI_GIVEN, SOMALI_FAMILY),
        }
        for attempt in range(600):
            given_pool, family_pool = pools[pool if attempt < 400 else "sv"]
            given = self.rng.choice(given_pool)
            if attempt >= 50:
                given = f"{given}-{self.rng.choice(given_pool)}"
            fam = family if family and attempt < 200 else self.rng.choice(family_pool)
            if f"{given} {fam}" not in self.taken:
                self.taken.add(f"{given} {fam}")
                return given, fam
        raise RuntimeError("ran out of names")


def term_of(today: date) -> tuple[date, date]:
    """The school year's term that holds `today`: autumn August–December, spring
    January–June (July counts to spring). A day before the usual first day starts it."""
    if today.month >= 8:
        return min(date(today.year, 8, 15), today), date(today.year, 12, 22)
    return min(date(today.year, 1, 9), today), date(today.year, 6, 12)


def generate(
    *,
    seed: int = 12000,
    schools: int = 3,
    pupils_per_class: int = 4,
    classes_per_year: int = 1,
    today: date | None = None,
) -> Municipality:
    """`schools` ≥ 3 (one principal leads two, another the third); every school has åk
    1–9, each year `classes_per_year` classes (Klass) of `pupils_per_class` pupils, a
    mentor per class, three subject teachers and, in åk 6–9, a language group
    (Undervisning) across the year's classes."""
    if schools < 3 or pupils_per_class < 3:
        raise ValueError("at least three schools and three pupils a class")
    rng = random.Random(seed)
    day = today or date.today()  # noqa: DTZ011
    term_start, term_end = term_of(day)
    year_start = term_of(date(day.year if day.month >= 8 else day.year - 1, 12, 1))[0]
    year_start = min(year_start, term_start)
    year_end = date(year_start.year + 1, 6, 12)
    names = _Names(rng)
    m = Municipality(
        seed=seed,
        today=day,
        term_start=term_start,
        term_end=term_end,
        organiser=uid(rng),
        organiser_name="Exempelby kommun",
    )
    serial = iter(range(1, 10**6))

    def person(
        given: str, family: str, *, birth: date, marking: str = "Ingen", role: str = "Privat"
    ) -> Person:
        n = next(serial)
        p = Person(
            id=uid(rng),
            given_name=given,
            family_name=family,
            security_marking=marking,
            birth=birth,
            civic_no=f"{birth:%Y%m%d}{rng.randrange(1000, 9999)}",
            email=f"person{n}.{seed}@{'skola' if role != 'Privat' else 'hem'}.exempelby.se",
            street="" if marking == PROTECTED else f"{rng.choice(STREETS)} {rng.randrange(1, 90)}",
            place=rng.choice(PLACES),
        )
        m.persons[p.id] = p
        return p

    def adult(family: str | None = None, pool: str = "sv", marking: str = "Ingen") -> Person:
        if family in ARABIC_FAMILY:
            pool = "ar"
        elif family in SOMALI_FAMILY:
            pool = "so"
        given, fam = names.pick(family, pool=pool)
        born = date(rng.randrange(1970, 1992), rng.randrange(1, 13), rng.randrange(1, 29))
        return person(given, fam, birth=born, marking=marking)

    # Schools, staff, classes -------------------------------------------------------------
    principals: list[Person] = []
    for s in range(schools):
        school = School(
            id=uid(rng),
            name=f"{['Åsens', 'Ängby', 'Östra', 'Björkvalla', 'Solbacka', 'Kvarnby'][s % 6]}"
            f"skolan{'' if s < 6 else f' {s}'}",
            unit_code=f"{rng.randrange(10**7, 10**8)}",
        )
        m.schools.append(school)
        if s == 1:  # the first principal leads the first two schools
            principal = principals[0]
        else:
            principal = adult()
            principals.append(principal)
        m.duties.append(Duty(uid(rng), principal.id, school.id, "Rektor", year_start))
        teachers = []
        for code, subject in (*SUBJECTS, LANGUAGE):
            teacher = adult()
            duty = Duty(uid(rng), teacher.id, school.id, "Lärare", year_start)
            m.duties.append(duty)
            teachers.append((duty, (code, subject)))
            m.syllabuses.setdefault(code, uid(rng))
        for year in range(1, 10):
            year_classes = []
            for c in range(classes_per_year):
                group = Group(
                    uid(rng),
                    f"{year}{LETTERS[c]}",
                    school.id,
                    "Klass",
                    year,
                    year_start,
                    year_end,
                )
                m.groups.append(group)
                year_classes.append(group)
                mentor = adult()
                m.duties.append(
                    Duty(uid(rng), mentor.id, school.id, "Lärare", year_start, [group.id])
                )
                for duty, subject in teachers[:3]:
                    m.activities.append(
                        Activity(
                            uid(rng),
                            f"{subject[1]} {group.name}",
                            school.id,
                            [group.id],
                            [duty.id],
                            subject,
                            year_start,
                            year_end,
                        )
                    )
                for _ in range(pupils_per_class):
                    pool = rng.choices(("sv", "ar", "so"), weights=(6, 2, 2))[0]
                    given, family = names.pick(pool=pool)
                    born = date(day.year - 6 - year - (day.month < 8), rng.randrange(1, 13), 15)
                    pupil = person(given, family, birth=born, role="Skola elev")
                    m.pupils.append(pupil.id)
                    m.enrolments[pupil.id] = [
                        Enrolment(school.id, year, date(born.year + 6, 8, 15))
                    ]
                    group.members.append(Membership(pupil.id, year_start))
                    m.responsibles[pupil.id] = []
            if year >= 6:
                language = Group(
                    uid(rng),
                    f"{LANGUAGE[1]} {year}",
                    school.id,
                    "Undervisning",
                    year,
                    year_start,
                    year_end,
                )
                for klass in year_classes:
                    chosen = sorted(mm.person for mm in klass.members)[::2]
                    language.members += [Membership(p, year_start) for p in chosen]
                m.groups.append(language)
                duty, subject = teachers[3]
                m.activities.append(
                    Activity(
                        uid(rng),
                        language.name,
                        school.id,
                        [language.id],
                        [duty.id],
                        subject,
                        year_start,
                        year_end,
                    )
                )

    klasses = [g for g in m.groups if g.group_type == "Klass"]

    def pupils_of(school: School, year: int) -> list[str]:
        return [
            mm.person
            for g in klasses
            if g.school == school.id and g.school_year == year
            for mm in g.members
        ]

    taken: set[str] = set()

    def take(school: School, year: int) -> str:
        for pupil in pupils_of(school, year):
            if pupil not in taken:
                taken.add(pupil)
                return pupil
        raise RuntimeError("no pupil left")

    def link(child: str, guardian: Person, relation: str = GUARDIAN) -> None:
        m.responsibles[child].append((guardian.id, relation))

    s0, s1, s2 = m.schools[0], m.schools[1], m.schools[-1]

    # Families as they are -----------------------------------------------------------------
    older, younger = take(s0, 7), take(s0, 3)  # siblings in one school, both guardians
    mother, father = adult(m.persons[older].family_name), adult(m.persons[older].family_name)
    for child in (older, younger):
        link(child, mother)
        link(child, father)
    m.kinds["sibling_guardian"] = mother.id

    here, there = take(s0, 5), take(s1, 8)  # siblings in two schools
    parent = adult(m.persons[here].family_name)
    link(here, parent)
    link(there, parent)
    m.kinds["sibling_guardian_two_schools"] = parent.id

    child = take(s0, 4)  # two households: each guardian her own person and address
    one, other = adult(m.persons[child].family_name), adult()
    other.place = PLACES[(PLACES.index(one.place) + 1) % len(PLACES)]
    link(child, one)
    link(child, other)
    m.kinds["guardian_two_households"] = other.id

    three = [take(s0, 2), take(s0, 6), take(s2, 9)]  # children in three groups
    big = adult(m.persons[three[0]].family_name)
    for c in three:
        link(c, big)
    m.kinds["guardian_three_groups"] = big.id

    child = take(s1, 4)  # a guardian and an "Annan ansvarig"
    link(child, adult(m.persons[child].family_name))
    other_adult = adult()
    link(child, other_adult, OTHER)
    m.kinds["annan_ansvarig"] = other_adult.id

    given, family = names.pick(pool="so")  # an unaccompanied minor with a "God man"
    minor_year = 6
    minor = person(given, family, birth=date(day.year - 13, 3, 1), role="Skola elev")
    m.pupils.append(minor.id)
    m.enrolments[minor.id] = [Enrolment(s1.id, minor_year, year_start)]
    next(g for g in klasses if g.school == s1.id and g.school_year == minor_year).members.append(
        Membership(minor.id, year_start)
    )
    good_man = adult()
    m.responsibles[minor.id] = [(good_man.id, GOOD_MAN)]
    m.kinds["god_man"] = good_man.id
    m.decisions[(good_man.id, minor.id)] = True  # staff open the God man's link

    secret = take(s0, 6)  # Sekretessmarkering: her guardian keeps access
    m.persons[secret].security_marking = SECRET
    keeper = adult(m.persons[secret].family_name)
    link(secret, keeper)
    m.kinds["pupil_secret"] = secret
    m.kinds["secret_pupil_guardian"] = keeper.id

    hidden = take(s0, 8)  # Skyddad folkbokföring: her and her mother's, no address
    m.persons[hidden].security_marking = PROTECTED
    m.persons[hidden].street = ""
    protected_mother = adult(m.persons[hidden].family_name, marking=PROTECTED)
    link(hidden, protected_mother)
    m.kinds["pupil_protected"] = hidden
    m.kinds["protected_pupil_guardian"] = protected_mother.id

    mover = take(s0, 5)  # changed class this term: the old membership ended
    old = next(
        g
        for g in klasses
        if g.school == s0.id and g.school_year == 5 and any(mm.person == mover for mm in g.members)
    )
    # A week ago, or two weeks into the term; never before the day after the year began.
    moved_on = max(
        min(day - timedelta(days=7), term_start + timedelta(days=14)),
        min(year_start + timedelta(days=1), day),
    )
    for mm in old.members:
        if mm.person == mover:
            mm.end = moved_on - timedelta(days=1)
    new = next(
        (g for g in klasses if g.school == s0.id and g.school_year == 5 and g is not old),
        next(g for g in klasses if g.school == s0.id and g.school_year == 6),
    )
    new.members.append(Membership(mover, moved_on))
    m.moved_on = moved_on
    m.kinds["pupil_changed_class"] = mover
    m.kinds["former_mentor"] = next(d.person for d in m.duties if old.id in d.mentor_of)

    teacher_duty = next(
        d for d in m.duties if d.school == s0.id and not d.mentor_of and d.role == "Lärare"
    )
    child = take(s1, 2)  # a teacher at one school is a guardian at another
    link(child, m.persons[teacher_duty.person])
    m.kinds["teacher_guardian"] = teacher_duty.person

    child = take(s1, 7)  # a mentor who is the guardian of a pupil in her own class
    klass = next(g for g in klasses if any(mm.person == child for mm in g.members))
    duty = next(d for d in m.duties if klass.id in d.mentor_of)
    link(child, m.persons[duty.person])
    m.kinds["mentor_guardian"] = duty.person

    twice = take(s2, 3)  # in two classes at once (the export has both memberships current)
    first_class = next(g for g in klasses if any(mm.person == twice for mm in g.members))
    second = next(
        (g for g in klasses if g.school == s2.id and g.school_year == 3 and g is not first_class),
        next(g for g in klasses if g.school == s2.id and g.school_year == 4),
    )
    second.members.append(Membership(twice, term_start))
    m.kinds["pupil_two_classes"] = twice

    given, family = names.pick(pool="so")  # arrived when the pupil changed class: no plan yet
    arrival = person(given, family, birth=date(day.year - 8, 9, 9), role="Skola elev")
    m.pupils.append(arrival.id)
    m.enrolments[arrival.id] = [Enrolment(s0.id, 2, moved_on)]
    next(g for g in klasses if g.school == s0.id and g.school_year == 2).members.append(
        Membership(arrival.id, moved_on)
    )
    arrival_guardian = adult(family)
    m.responsibles[arrival.id] = [(arrival_guardian.id, GUARDIAN)]
    m.kinds["new_pupil"] = arrival.id
    m.kinds["new_pupil_guardian"] = arrival_guardian.id

    child = take(s0, 4)  # custody moved: the earlier export had a second guardian
    link(child, adult(m.persons[child].family_name))
    gone = adult(m.persons[child].family_name)
    m.former.append((gone.id, child, GUARDIAN))
    m.kinds["former_guardian"] = gone.id

    given, family = names.pick(pool="ar")  # enrolled, in no group (new, not placed yet)
    loose = person(given, family, birth=date(day.year - 10, 5, 5), role="Skola elev")
    m.pupils.append(loose.id)
    m.enrolments[loose.id] = [Enrolment(s2.id, 4, day - timedelta(days=3))]
    loose_guardian = adult(family, pool="ar")
    m.responsibles[loose.id] = [(loose_guardian.id, GUARDIAN)]
    m.kinds["pupil_without_group"] = loose.id

    given, family = names.pick(pool="sv")  # in a class, but the export has no enrolment
    unenrolled = person(given, family, birth=date(day.year - 12, 2, 2), role="Skola elev")
    m.pupils.append(unenrolled.id)
    m.enrolments[unenrolled.id] = []
    next(g for g in klasses if g.school == s2.id and g.school_year == 6).members.append(
        Membership(unenrolled.id, year_start)
    )
    m.responsibles[unenrolled.id] = [(adult(family).id, GUARDIAN)]
    m.kinds["pupil_without_enrolment"] = unenrolled.id

    m.kinds["nobody"] = adult().id  # in persons.json, in nothing else

    child = take(s2, 7)  # a court order: the principal closes one guardian's link
    barred, other = adult(m.persons[child].family_name), adult(m.persons[child].family_name)
    link(child, barred)
    link(child, other)
    m.decisions[(barred.id, child)] = False
    m.kinds["restricted_guardian"] = barred.id

    for pupil in m.pupils:  # everyone else: one or two guardians, some with other names
        if m.responsibles[pupil] or pupil in taken:
            continue
        for _ in range(rng.choice((1, 2, 2))):
            link(pupil, adult(m.persons[pupil].family_name))

    plain = next(
        p for p in pupils_of(s2, 4) if p not in taken and m.persons[p].security_marking == "Ingen"
    )
    m.kinds["pupil"] = plain
    m.kinds["guardian"] = m.responsibles[plain][0][0]
    klass = next(g for g in klasses if plain in m.members(g))
    duty = next(d for d in m.duties if klass.id in d.mentor_of)  # her mentor is protected
    m.persons[duty.person].security_marking = SECRET
    m.kinds["protected_mentor"] = duty.person
    first_class = next(g for g in klasses if g.school == s0.id and g.school_year == 6)
    m.kinds["mentor"] = next(d.person for d in m.duties if first_class.id in d.mentor_of)
    m.kinds["subject_teacher"] = next(
        d.person
        for d in m.duties
        if d.school == s0.id
        and d.role == "Lärare"
        and not d.mentor_of
        and d.person != teacher_duty.person
    )
    m.kinds["principal_two_schools"] = principals[0].id
    m.kinds["principal"] = principals[-1].id
    office = adult()  # a duty at the Huvudman: its figures across the schools, never a pupil
    m.duties.append(Duty(uid(rng), office.id, m.organiser, "Övrig arbetsledning", year_start))
    m.kinds["organiser"] = office.id
    assert set(m.kinds) == set(KINDS), set(KINDS) ^ set(m.kinds)
    return m
