"""Times `iup roster import` of 50,000 persons in SS 12000 v2 shape (conformant: meta on
each entity, enrolments[].enroledAt, a duty's startDate) on a fresh SQLite: 30,000
pupils in 1,200 classes at 20 schools, each with two guardians in 20,000 persons (some
shared), staff as mentors. Run: .venv/bin/python bench/roster.py [PERSONS]"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def u(kind: int, n: int) -> str:
    return f"00000000-0000-4000-{kind:04d}-{n:012d}"


def generate(folder: Path, persons: int) -> None:
    schools = 20
    pupils = persons * 3 // 5
    guardians = persons - pupils
    page = lambda data: json.dumps({"data": data, "pageToken": None})  # noqa: E731
    meta = {"created": "2026-08-01T00:00:00Z", "modified": "2026-08-01T00:00:00Z"}
    orgs = [
        {
            "id": u(1, s),
            "meta": meta,
            "displayName": f"Skola {s}",
            "organisationType": "Skolenhet",
            "schoolUnitCode": f"{10000000 + s}",
        }
        for s in range(schools)
    ]
    people = []
    for p in range(pupils):
        g = p % guardians
        people.append(
            {
                "id": u(3, p),
                "meta": meta,
                "givenName": f"Elev{p}",
                "familyName": "Test",
                "civicNo": {"value": f"2015{p:08d}"},
                "enrolments": [
                    {
                        "enroledAt": {"id": u(1, p % schools)},
                        "schoolType": "GR",
                        "schoolYear": 1 + p % 9,
                        "startDate": "2026-08-15",
                    }
                ],
                "responsibles": [
                    {"person": {"id": u(4, g)}, "relationType": "Vårdnadshavare"},
                    {"person": {"id": u(4, (g + 1) % guardians)}, "relationType": "Vårdnadshavare"},
                ],
            }
        )
    people += [
        {
            "id": u(4, g),
            "meta": meta,
            "givenName": f"Vh{g}",
            "familyName": "Test",
            "emails": [{"value": f"vh{g}@example.se", "type": "Privat"}],
        }
        for g in range(guardians)
    ]
    groups = []
    size = 25
    for c in range(pupils // size):
        groups.append(
            {
                "id": u(2, c),
                "meta": meta,
                "displayName": f"Klass {c}",
                "groupType": "Klass",
                "organisation": {"id": u(1, (c * size) % schools)},
                "startDate": "2026-08-15",
                "groupMemberships": [{"person": {"id": u(3, c * size + i)}} for i in range(size)],
            }
        )
    duties = [
        {
            "id": u(5, c),
            "meta": meta,
            "person": {"id": u(4, c)},
            "dutyAt": {"id": u(1, 0)},
            "dutyRole": "Lärare",
            "startDate": "2026-08-01",
            "assignmentRole": [{"group": {"id": u(2, c)}, "assignmentRoleType": "Mentor"}],
        }
        for c in range(len(groups))
    ]
    for name, data in (
        ("organisations", orgs),
        ("persons", people),
        ("groups", groups),
        ("duties", duties),
    ):
        (folder / f"{name}.json").write_text(page(data))


def main() -> None:
    persons = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    iup = str(Path(sys.executable).parent / "iup")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ss12000"
        folder.mkdir()
        generate(folder, persons)
        env = {
            **os.environ,
            "IUP_DATABASE_URL": f"sqlite:///{tmp}/iup.db",
            "IUP_SECRET_KEY": "bench",
        }
        subprocess.run([iup, "db", "upgrade"], env=env, check=True, capture_output=True)
        for run in ("first import", "second import (no change)"):
            start = time.perf_counter()
            subprocess.run(
                [iup, "roster", "import", str(folder)], env=env, check=True, capture_output=True
            )
            print(f"{persons} persons, {run}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
