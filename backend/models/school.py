"""Who is who at a school: schools, groups, people and how they are linked (a pupil in a
group, a teacher of a subject in it, its mentor, a guardian, a principal), and the SS 12000
sources the roster is read from. `utcnow`, every table's clock, lives here."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class School(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    unit_code: str | None = Field(default=None, max_length=20)
    external_id: str | None = Field(default=None, max_length=64, unique=True)
    # The SS 12000 relation types (comma-separated) whose guardians may read the plan and
    # sign: the roster import gives a new link `has_access` only for these.
    guardian_relations: str = Field(
        default="Vårdnadshavare",
        max_length=200,
        sa_column_kwargs={"server_default": "Vårdnadshavare"},
    )
    # Another installation's school, known from an imported exchange document: the relying
    # party and origin its signatures were made for. Empty: ours (this installation's).
    rp_id: str = Field(default="", max_length=253, sa_column_kwargs={"server_default": ""})
    origin: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})
    # Such a school's key (exchange.importing.sender_key): unique, so that two imports from
    # it at the same moment, in two processes, find one school. Empty (NULL): ours.
    sender_key: str | None = Field(default=None, max_length=800, unique=True)
    # Retention (`iup gallra`): days to keep the read log and audit entries about its
    # pupils, and years to keep an archived plan of a pupil who has left the school after
    # its term ended. Empty: the installation's IUP_RETENTION_* setting (0 keeps for ever).
    retention_read_log_days: int | None = None
    retention_audit_days: int | None = None
    retention_plan_years: int | None = None


class Group(SQLModel, table=True):
    __tablename__ = "pupil_group"
    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    name: str = Field(max_length=100)
    school_year: int | None = None
    external_id: str | None = Field(default=None, max_length=64, unique=True)


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    external_id: str | None = Field(default=None, max_length=64, unique=True)
    # WebAuthn user handle: random, never derived from who the person is (WebAuthn §14.6.1).
    user_handle: bytes = Field(sa_column=Column(LargeBinary(64), unique=True, nullable=False))
    locale: str | None = Field(default=None, max_length=10)
    # SS 12000 securityMarking: Ingen, Sekretessmarkering or Skyddad folkbokföring.
    security_marking: str = Field(
        default="Ingen", max_length=30, sa_column_kwargs={"server_default": "Ingen"}
    )
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class GroupPupil(SQLModel, table=True):
    group_id: int = Field(foreign_key="pupil_group.id", primary_key=True)
    pupil_id: int = Field(foreign_key="person.id", primary_key=True, index=True)


class GroupTeacher(SQLModel, table=True):
    group_id: int = Field(foreign_key="pupil_group.id", primary_key=True)
    teacher_id: int = Field(foreign_key="person.id", primary_key=True, index=True)
    subject: str = Field(default="", max_length=100)


class GroupMentor(SQLModel, table=True):
    group_id: int = Field(foreign_key="pupil_group.id", primary_key=True)
    mentor_id: int = Field(foreign_key="person.id", primary_key=True, index=True)


class Guardianship(SQLModel, table=True):
    """A guardian of a pupil. `has_access` is false where the guardian must not see the
    plan (a court order, protected identity): the link is kept, the data is not shown."""

    guardian_id: int = Field(foreign_key="person.id", primary_key=True, index=True)
    pupil_id: int = Field(foreign_key="person.id", primary_key=True, index=True)
    has_access: bool = True
    # The SS 12000 relationType: Vårdnadshavare, Annan ansvarig, God man or Utsedd behörig.
    relation: str = Field(
        default="Vårdnadshavare",
        max_length=30,
        sa_column_kwargs={"server_default": "Vårdnadshavare"},
    )
    # A staff decision on `has_access` (opening a protected pupil's link, or restricting
    # one): a roster import and a change of the school's guardian relations keep it.
    decided_at: datetime | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="person.id")


class SchoolPrincipal(SQLModel, table=True):
    school_id: int = Field(foreign_key="school.id", primary_key=True)
    principal_id: int = Field(foreign_key="person.id", primary_key=True, index=True)


class Organisation(SQLModel, table=True):
    """A school organiser (huvudman, or its förvaltning): it answers for its schools' plans
    and sees figures across them, never a pupil (DESIGN, glossary "organiser")."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    external_id: str | None = Field(default=None, max_length=64, unique=True)


class OrganisationSchool(SQLModel, table=True):
    """A school of an organisation; a school has one organiser."""

    __tablename__ = "organisation_school"
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    school_id: int = Field(foreign_key="school.id", primary_key=True)


class Organiser(SQLModel, table=True):
    """A person who works for an organisation: she reads its figures."""

    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)


class RosterSource(SQLModel, table=True):
    """An SS 12000 API that `iup roster sync` reads (backend/roster/sync.py): a later sync
    asks it only for what changed after `synced_at` (by the API's own clock)."""

    __tablename__ = "roster_source"
    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=500, unique=True)
    synced_at: datetime


class RosterRecord(SQLModel, table=True):
    """A record of a source as the last sync read it, so that a later sync, given only what
    changed, still knows the whole roster. Only the fields backend/roster/ss12000.py decodes,
    as msgspec JSON: never an identity number, address, e-mail or phone."""

    __tablename__ = "roster_record"
    source_id: int = Field(foreign_key="roster_source.id", primary_key=True)
    entity: str = Field(max_length=16, primary_key=True)  # organisations, persons, …
    external_id: str = Field(max_length=64, primary_key=True)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
