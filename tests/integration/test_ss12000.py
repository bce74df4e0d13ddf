"""SS 12000 files as the standard writes them: the old invented shape is refused with the
field named, the expanded forms and enumeration values IUP does not use are accepted, a
record without `meta` is refused with its file and record named, and a list given as
several page files reads as one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from backend.settings import Settings
from tests.integration.test_cli import iup
from tests.integration.test_roster import (
    DATA,
    copy_of_data,
    dump,
    edit,
    imported,
    query,
    u,
)


def refused(settings: Settings, folder: Path) -> str:
    before = dump(settings)
    result = iup(settings, "roster", "import", str(folder))
    assert result.exit_code != 0
    [line] = [x for x in result.stderr.splitlines() if x.startswith("Error")]
    assert dump(settings) == before
    return line


def test_the_old_invented_enrolment_shape_is_refused_naming_the_field(
    settings: Settings, tmp_path: Path
) -> None:
    folder = copy_of_data(tmp_path)

    def old_shape(data: list[Any]) -> None:
        for person in data:
            for enrolment in person.get("enrolments", []):
                enrolment["schoolUnit"] = enrolment.pop("enroledAt")

    edit(folder, "persons.json", old_shape)
    line = refused(settings, folder)
    assert f"persons.json: record 0 (id {u(101)}): " in line, line
    assert "enroledAt" in line and "enrolments[0]" in line, line


def test_a_record_without_meta_is_refused_with_file_and_record_named(
    settings: Settings, tmp_path: Path
) -> None:
    folder = copy_of_data(tmp_path)
    edit(folder, "duties.json", lambda data: data[1].pop("meta"))
    line = refused(settings, folder)
    assert f"duties.json: record 1 (id {u(302)}): " in line and "`meta`" in line, line


def test_a_duty_without_start_date_is_refused(settings: Settings, tmp_path: Path) -> None:
    folder = copy_of_data(tmp_path)
    edit(folder, "duties.json", lambda data: data[2].pop("startDate"))
    line = refused(settings, folder)
    assert f"duties.json: record 2 (id {u(303)}): " in line and "startDate" in line, line


def test_an_unknown_value_of_a_field_iup_decides_on_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    folder = copy_of_data(tmp_path)
    edit(folder, "persons.json", lambda data: data[2]["responsibles"][0].update(relationType="Far"))
    line = refused(settings, folder)
    assert "relationType" in line and "record 2" in line, line


def _unknown_enums(folder: Path) -> None:
    def persons(data: list[Any]) -> None:
        for person in data:
            person["personStatus"] = "Avregistrerad"  # not (yet) in the standard
            person["sex"] = "Annat"
            for e in person.get("emails", []):
                e["type"] = "Jobb"
            for enrolment in person.get("enrolments", []):
                enrolment["schoolType"] = "NYSKOLFORM"

    edit(folder, "persons.json", persons)
    edit(folder, "groups.json", lambda data: [g.update(schoolType="XX") for g in data])
    edit(folder, "activities.json", lambda data: [a.update(activityType="Ny") for a in data])
    edit(
        folder,
        "organisations.json",
        lambda data: [o.update(schoolTypes=["NY"], address={"type": "Annan"}) for o in data],
    )


def _expanded(folder: Path) -> None:
    """The expanded forms: persons with expand=duties,responsibleFor,groupMemberships,
    groups with expand=assignmentRoles, duties with expand=person, activities with
    expand=groups,teachers,syllabus."""
    duties = json.loads((folder / "duties.json").read_text())["data"]
    persons = json.loads((folder / "persons.json").read_text())["data"]
    by_id = {p["id"]: p for p in persons}

    def persons_(data: list[Any]) -> None:
        for person in data:
            person["_embedded"] = {
                "duties": [d for d in duties if d["person"]["id"] == person["id"]],
                "responsibleFor": [{"person": {"id": u(101)}, "relationType": "Vårdnadshavare"}],
                "groupMemberships": [{"group": {"id": u(11)}, "startDate": "2020-08-15"}],
                "placements": [],
            }

    def groups(data: list[Any]) -> None:
        data[0]["_embedded"] = {
            "assignmentRoles": [{"duty": {"id": u(301)}, "assignmentRoleType": "Mentor"}]
        }

    def duties_(data: list[Any]) -> None:
        for duty in data:  # expand=person: the Person embedded, with what IUP never reads
            duty["_embedded"] = {"person": by_id[duty["person"]["id"]]}
        del data[2]["person"]  # the standard does not require it: _embedded.person names her

    def activities(data: list[Any]) -> None:
        for activity in data:
            embedded = activity.setdefault("_embedded", {})
            embedded["groups"] = [{"id": g["id"], "displayName": "x"} for g in activity["groups"]]
            embedded["teachers"] = [{"id": t["duty"]["id"]} for t in activity["teachers"]]

    edit(folder, "persons.json", persons_)
    edit(folder, "groups.json", groups)
    edit(folder, "duties.json", duties_)
    edit(folder, "activities.json", activities)


def test_expanded_forms_and_unknown_values_of_unused_fields_import_as_the_plain_files(
    settings: Settings, tmp_path: Path
) -> None:
    imported(settings)
    before = dump(settings)
    folder = copy_of_data(tmp_path)
    _expanded(folder)
    _unknown_enums(folder)
    out = imported(settings, folder)
    assert all(
        line.split()[1:] == ["0", "created", "0", "updated", "0", "ended"]
        for line in out.splitlines()[1:9]
    ), out
    assert dump(settings) == before
    principals = query(
        settings,
        "SELECT p.external_id FROM schoolprincipal JOIN person p ON p.id = principal_id"
        " JOIN school s ON s.id = school_id WHERE s.external_id = :s",
        s=u(1),
    )
    assert principals == [(u(203),)]


def test_a_list_in_several_page_files_reads_as_one(settings: Settings, tmp_path: Path) -> None:
    imported(settings)
    before = dump(settings)
    folder = tmp_path / "paged"
    folder.mkdir()
    for file in DATA.glob("*.json"):
        data = json.loads(file.read_text())["data"]
        for n, start in enumerate(range(0, len(data), 2), 1):
            token = f"t{n}" if start + 2 < len(data) else None
            page = {"data": data[start : start + 2], "pageToken": token}
            (folder / f"{file.stem}-{n}.json").write_text(json.dumps(page, ensure_ascii=False))
    assert len(list(folder.glob("persons-*.json"))) == 6
    imported(settings, folder)
    assert dump(settings) == before
