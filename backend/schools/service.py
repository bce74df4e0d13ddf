"""A school's settings (issue 10): which SS 12000 relation types may read the plan and sign
(`School.guardian_relations`), and its retention periods for `iup gallra`
(`School.retention_*`: None is the installation's IUP_RETENTION_* setting, 0 keeps for
ever).

A change of relation types recomputes `has_access` of the guardian links of the school's
pupils from the new setting, in two statements, except for a link with a staff decision
(`Guardianship.decided_at`: people/guardians.py), which stays as staff left it, and for a
pupil with protected identity, whose links are never opened by a setting (staff open them
one by one) — the same rules the roster import follows."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import msgspec
from sqlalchemy import and_, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, or_, select

from backend.errors import Conflict, FormError, NotFound
from backend.i18n import N_
from backend.models import (
    AuditEvent,
    AuditKind,
    Group,
    GroupPupil,
    Guardianship,
    Organisation,
    OrganisationSchool,
    Organiser,
    Person,
    School,
)
from backend.roster.source import PROTECTED, RELATIONS
from backend.schools.schemas import (
    DAYS_MAX,
    YEARS_MAX,
    RetentionDefaults,
    SchoolSettingsForm,
    SchoolSettingsPublic,
)
from backend.settings import Settings
from backend.web import form_int

RETENTION_FIELDS = ("retention_read_log_days", "retention_audit_days", "retention_plan_years")
NO_RELATION = N_("Tick at least one kind of guardian who may read the plans.")
NOT_DAYS = N_("Write a whole number of days, 0 or more, or leave the field empty.")
NOT_YEARS = N_("Write a whole number of years, 0 or more, or leave the field empty.")
TOO_MANY_DAYS = N_("That is more than a hundred years. Write fewer days.")
TOO_MANY_YEARS = N_("Write at most 100 years.")


def _school(session: Session, school_id: int) -> School:
    school = session.get(School, school_id)
    if school is None:
        raise NotFound()
    return school


def relations_of(school: School) -> list[str]:
    """The school's relation types, in the roster's order."""
    chosen = {r.strip() for r in school.guardian_relations.split(",")}
    return [r for r in RELATIONS if r in chosen]


def version_of(school: School) -> str:
    """A short fingerprint of the settings as they are: a save names the one it began from."""
    values = [relations_of(school), *(getattr(school, f) for f in RETENTION_FIELDS)]
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()[:16]


def settings_of(
    session: Session, *, school_id: int, settings: Settings, links_changed: int = 0
) -> SchoolSettingsPublic:
    school = _school(session, school_id)
    return SchoolSettingsPublic(
        school_id=school_id,
        name=school.name,
        guardian_relations=relations_of(school),
        retention_read_log_days=school.retention_read_log_days,
        retention_audit_days=school.retention_audit_days,
        retention_plan_years=school.retention_plan_years,
        defaults=RetentionDefaults(
            read_log_days=settings.retention_read_log_days,
            audit_days=settings.retention_audit_days,
            plan_years=settings.retention_plan_years,
        ),
        version=version_of(school),
        links_changed=links_changed,
    )


def _number(value: str, *, most: int, not_one: str, too_many: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        raise ValueError(not_one)
    number = form_int(text, default=most + 1)  # more digits than a column holds
    if number > most:
        raise ValueError(too_many)
    return number


def check_form(data: SchoolSettingsForm) -> dict[str, Any]:
    """The form's strings as the service's values; FormError names each field wrong."""
    errors: dict[str, str] = {}
    relations = [r for r in RELATIONS if r in set(data.relations())]
    if not relations or len(relations) != len(set(data.relations())):
        errors["guardian_relations"] = NO_RELATION
    values: dict[str, Any] = {"guardian_relations": relations, "version": data.version}
    for field in RETENTION_FIELDS:
        years = field == "retention_plan_years"
        try:
            values[field] = _number(
                getattr(data, field),
                most=YEARS_MAX if years else DAYS_MAX,
                not_one=NOT_YEARS if years else NOT_DAYS,
                too_many=TOO_MANY_YEARS if years else TOO_MANY_DAYS,
            )
        except ValueError as error:
            errors[field] = str(error)
    if errors:
        raise FormError(errors)
    return values


def recompute_access(session: Session, *, school_id: int, relations: list[str]) -> int:
    """`has_access` of the school's pupils' guardian links from `relations`, but for staff
    decisions and protected pupils (module docstring). Flushed, not committed; returns how
    many links changed."""
    pupils = (
        core_select(col(GroupPupil.pupil_id))
        .join(Group, col(Group.id) == GroupPupil.group_id)
        .where(col(Group.school_id) == school_id)
    )
    protected = core_select(col(Person.id)).where(col(Person.security_marking) == PROTECTED)
    undecided = and_(col(Guardianship.pupil_id).in_(pupils), col(Guardianship.decided_at).is_(None))
    closed = session.execute(
        update(Guardianship)
        .where(
            undecided,
            col(Guardianship.has_access).is_(True),
            col(Guardianship.relation).not_in(relations),
        )
        .values(has_access=False)
    )
    opened = session.execute(
        update(Guardianship)
        .where(
            undecided,
            col(Guardianship.has_access).is_(False),
            col(Guardianship.relation).in_(relations),
            col(Guardianship.pupil_id).not_in(protected),
        )
        .values(has_access=True)
    )
    return int(closed.rowcount or 0) + int(opened.rowcount or 0)  # type: ignore[attr-defined]


def save_settings(
    session: Session,
    *,
    school_id: int,
    by_id: int,
    settings: Settings,
    guardian_relations: list[str],
    retention_read_log_days: int | None,
    retention_audit_days: int | None,
    retention_plan_years: int | None,
    version: str | None = None,
) -> SchoolSettingsPublic:
    """The principal's save: the whole setting at once, with an audit entry for each part
    that changed (who, when, what). 409 with the settings as they are now when `version`
    is not theirs any more (another principal saved meanwhile)."""
    # Its row first, written: two saves at the same moment take turns, and the later one
    # compares with what the first left.
    session.execute(update(School).where(col(School.id) == school_id).values(id=school_id))
    school = _school(session, school_id)
    if version and version != version_of(school):
        now = settings_of(session, school_id=school_id, settings=settings)
        raise Conflict(current=msgspec.to_builtins(now))
    relations = [r for r in RELATIONS if r in set(guardian_relations)]
    if not relations:
        raise FormError({"guardian_relations": NO_RELATION})
    changed = 0
    if relations != relations_of(school):
        school.guardian_relations = ",".join(relations)
        changed = recompute_access(session, school_id=school_id, relations=relations)
        session.add(
            AuditEvent(
                actor_id=by_id,
                kind=AuditKind.GUARDIAN_RELATIONS_CHANGED,
                detail=f"school {school_id}: {school.guardian_relations} ({changed} links)",
            )
        )
    periods = (retention_read_log_days, retention_audit_days, retention_plan_years)
    if periods != tuple(getattr(school, f) for f in RETENTION_FIELDS):
        for field, value in zip(RETENTION_FIELDS, periods, strict=True):
            setattr(school, field, value)
        shown = ", ".join("default" if v is None else str(v) for v in periods)
        session.add(
            AuditEvent(
                actor_id=by_id,
                kind=AuditKind.RETENTION_CHANGED,
                detail=f"school {school_id}: {shown}",
            )
        )
    session.add(school)
    session.commit()
    return settings_of(session, school_id=school_id, settings=settings, links_changed=changed)


# Organisations (issue 22) ------------------------------------------------------------------


def add_organiser(session: Session, *, person_id: int, organisation: str) -> tuple[str, int]:
    """Makes the person an organiser of `organisation` (its id, or its name): a new name
    makes the organisation, with every school that has no organisation yet (one organiser
    for the installation, as most municipalities have). Returns its name and how many
    schools it has. Idempotent."""
    found = session.exec(
        select(Organisation).where(
            or_(
                col(Organisation.name) == organisation,
                col(Organisation.id) == form_int(organisation, default=-1),
            )
        )
    ).first()
    if found is None:
        found = Organisation(name=organisation.strip())
        session.add(found)
        session.flush()
        taken = select(OrganisationSchool.school_id)
        for school_id in session.exec(select(School.id).where(col(School.id).not_in(taken))):
            session.add(OrganisationSchool(organisation_id=found.id, school_id=school_id))  # type: ignore[arg-type]
    assert found.id is not None
    if session.get(Organiser, (found.id, person_id)) is None:
        session.add(Organiser(organisation_id=found.id, person_id=person_id))
    session.commit()
    schools = session.exec(
        select(OrganisationSchool.school_id).where(OrganisationSchool.organisation_id == found.id)
    ).all()
    return found.name, len(schools)
