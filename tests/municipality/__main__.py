"""`python -m tests.municipality FOLDER [--schools N] [--pupils-per-class N]
[--classes-per-year N] [--seed N] [--date YYYY-MM-DD] [--page-size N] [--database PATH]`

Writes the generated municipality's SS 12000 files into FOLDER (for `iup roster import
FOLDER`, a benchmark, a demo), prints its figures and one person of each kind; with
`--database` also builds that SQLite file: migrated, imported and seeded."""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

from tests.municipality import ss12000
from tests.municipality.generate import generate


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.municipality")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=12000)
    parser.add_argument("--schools", type=int, default=3)
    parser.add_argument("--pupils-per-class", type=int, default=20)
    parser.add_argument("--classes-per-year", type=int, default=2)
    parser.add_argument("--date", type=date.fromisoformat, default=None)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--database", type=Path, default=None)
    args = parser.parse_args()
    started = time.monotonic()
    model = generate(
        seed=args.seed,
        schools=args.schools,
        pupils_per_class=args.pupils_per_class,
        classes_per_year=args.classes_per_year,
        today=args.date,
    )
    if args.database is None:
        ss12000.write(model, args.folder, page_size=args.page_size)
    else:
        from backend.settings import Settings
        from tests.municipality.seed import build

        url = f"sqlite:///{args.database.resolve()}"
        settings = Settings(
            database_url=url, origin="http://localhost:8000", rp_id="localhost", secret_key="x"
        )
        build(model, folder=args.folder, database_url=url, settings=settings)
    print(
        " ".join(f"{k}={v}" for k, v in model.summary().items())
        + f" in {time.monotonic() - started:.1f} s"
    )
    for kind, person in model.kinds.items():
        print(f"{kind}: {person} {model.persons[person].name}")


if __name__ == "__main__":
    main()
