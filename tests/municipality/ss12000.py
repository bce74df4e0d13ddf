"""Writes a generated municipality as an SS 12000 export writes it (SS 12000:2020, the
OpenAPI document v2.1.0): one list page per entity, `{"data": [...], "pageToken": ...}`,
or several pages (`persons-1.json`, `persons-2.json`, the last with `pageToken` null).

Every entity carries the standard's required fields and `meta` {created, modified}:
Organisation (Huvudman, and Skolenhet with `schoolUnitCode`), Person (with `civicNo`,
`emails`, `addresses`, `enrolments[]` with `enroledAt`, and `responsibles[]`), Group
(`groupType`, `schoolType`, `organisation`, `startDate`, `groupMemberships[]`), Duty
(`dutyAt`, `dutyRole`, `startDate`, `assignmentRole[]`), Activity (`calendarEventsRequired`,
`groups`, `teachers[].duty`, `organisation`, `syllabus` as a reference) and Syllabus. The
importer must ignore what IUP does not keep (personnummer, e-mail, address)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from tests.municipality.generate import PROTECTED, Municipality

SCHOOL_TYPE = "GR"


def _meta(day: date) -> dict[str, str]:
    stamp = datetime.combine(day, time(6, 30), tzinfo=UTC).isoformat().replace("+00:00", "Z")
    return {"created": stamp, "modified": stamp}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    """Optional fields without a value are left out, as exports do."""
    return {k: v for k, v in record.items() if v is not None}


def organisations(m: Municipality) -> list[dict[str, Any]]:
    made = _meta(m.term_start.replace(month=1, day=2))
    out: list[dict[str, Any]] = [
        {
            "id": m.organiser,
            "meta": made,
            "displayName": m.organiser_name,
            "organisationType": "Huvudman",
            "organisationNumber": "2120000000",
            "municipalityCode": "0000",
        }
    ]
    for school in m.schools:
        out.append(
            {
                "id": school.id,
                "meta": made,
                "displayName": school.name,
                "organisationType": "Skolenhet",
                "schoolUnitCode": school.unit_code,
                "schoolTypes": [SCHOOL_TYPE],
                "parentOrganisation": {"id": m.organiser},
                "municipalityCode": "0000",
                "email": f"{school.unit_code}@exempelby.se",
            }
        )
    return out


def persons(m: Municipality, *, earlier: bool = False) -> list[dict[str, Any]]:
    """`earlier`: as the export was before custody moved (Municipality.former)."""
    staff = {d.person for d in m.duties}
    out = []
    for p in m.persons.values():
        record: dict[str, Any] = {
            "id": p.id,
            "meta": _meta(m.term_start),
            "givenName": p.given_name,
            "familyName": p.family_name,
            "civicNo": {"value": p.civic_no, "nationality": "SE"},
            "birthDate": p.birth.isoformat(),
            "securityMarking": p.security_marking,
            "personStatus": "Aktiv",
            "emails": [
                {
                    "value": p.email,
                    "type": "Skola elev"
                    if p.id in m.enrolments
                    else "Skola personal"
                    if p.id in staff
                    else "Privat",
                }
            ],
        }
        if p.security_marking != PROTECTED and p.street:
            record["addresses"] = [
                {
                    "type": "Folkbokföring",
                    "streetAddress": p.street,
                    "locality": p.place[0],
                    "postalCode": p.place[1],
                    "country": "Sverige",
                }
            ]
        if p.id in m.enrolments:
            record["enrolments"] = [
                _clean(
                    {
                        "enroledAt": {"id": e.school},
                        "schoolYear": e.school_year,
                        "schoolType": SCHOOL_TYPE,
                        "startDate": e.start.isoformat(),
                        "endDate": _day(e.end),
                    }
                )
                for e in m.enrolments[p.id]
            ]
        links = list(m.responsibles.get(p.id, []))
        if earlier:
            links += [(g, relation) for g, child, relation in m.former if child == p.id]
        if links:
            record["responsibles"] = [
                {"person": {"id": guardian}, "relationType": relation}
                for guardian, relation in links
            ]
        out.append(record)
    return out


def groups(m: Municipality) -> list[dict[str, Any]]:
    return [
        {
            "id": g.id,
            "meta": _meta(g.start),
            "displayName": g.name,
            "startDate": g.start.isoformat(),
            "endDate": g.end.isoformat(),
            "groupType": g.group_type,
            "schoolType": SCHOOL_TYPE,
            "organisation": {"id": g.school},
            "groupMemberships": [
                _clean(
                    {
                        "person": {"id": member.person},
                        "startDate": member.start.isoformat(),
                        "endDate": _day(member.end),
                    }
                )
                for member in g.members
            ],
        }
        for g in m.groups
    ]


def duties(m: Municipality) -> list[dict[str, Any]]:
    out = []
    for n, d in enumerate(m.duties):
        person = m.persons[d.person]
        record: dict[str, Any] = {
            "id": d.id,
            "meta": _meta(d.start),
            "person": {"id": d.person},
            "dutyAt": {"id": d.school},
            "dutyRole": d.role,
            "signature": f"{person.given_name[:2]}{person.family_name[:2]}{n}".upper(),
            "dutyPercent": 100,
            "startDate": d.start.isoformat(),
        }
        if d.mentor_of:
            record["assignmentRole"] = [
                {
                    "group": {"id": group},
                    "assignmentRoleType": "Mentor",
                    "startDate": d.start.isoformat(),
                }
                for group in d.mentor_of
            ]
        out.append(record)
    return out


def activities(m: Municipality) -> list[dict[str, Any]]:
    return [
        {
            "id": a.id,
            "meta": _meta(a.start),
            "displayName": a.name,
            "calendarEventsRequired": True,
            "startDate": a.start.isoformat(),
            "endDate": a.end.isoformat(),
            "activityType": "Undervisning",
            "groups": [{"id": group} for group in a.groups],
            "teachers": [
                {"duty": {"id": duty}, "startDate": a.start.isoformat()} for duty in a.teachers
            ],
            "syllabus": {"id": m.syllabuses[a.subject[0]], "displayName": a.subject[1]},
            "organisation": {"id": a.school},
        }
        for a in m.activities
    ]


def syllabuses(m: Municipality) -> list[dict[str, Any]]:
    names = {code: name for a in m.activities for code, name in [a.subject]}
    return [
        {
            "id": ident,
            "meta": _meta(m.term_start),
            "schoolType": SCHOOL_TYPE,
            "subjectCode": code,
            "subjectName": names[code],
            "official": True,
        }
        for code, ident in sorted(m.syllabuses.items())
    ]


ENTITIES = {
    "organisations": organisations,
    "persons": persons,
    "groups": groups,
    "duties": duties,
    "activities": activities,
    "syllabuses": syllabuses,
}


def write(
    m: Municipality, folder: Path, *, page_size: int | None = None, earlier: bool = False
) -> list[Path]:
    """One file per entity, or pages of `page_size` records (`persons-1.json`, …);
    `earlier`: the export as it was before custody moved."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for entity, make in ENTITIES.items():
        records = persons(m, earlier=earlier) if make is persons else make(m)
        size = page_size or max(len(records), 1)
        pages = [records[i : i + size] for i in range(0, len(records), size)] or [[]]
        for n, page in enumerate(pages, 1):
            last = n == len(pages)
            name = f"{entity}.json" if len(pages) == 1 else f"{entity}-{n}.json"
            path = folder / name
            body = {"data": page, "pageToken": None if last else f"{entity}-page-{n + 1}"}
            path.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
            written.append(path)
    return written
