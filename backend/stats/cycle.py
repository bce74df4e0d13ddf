"""The talk cycle in figures (issue 22, item 1): for one term of a school, per group, per
school year and in all, how many pupils with a plan have prepared, have a guardian who has,
have booked and held the talk, have the written plan published (where the term requires it
and where it does not), have agreements signed by everyone and followed up, and have not
rated this month. Counts of pupils only, protected by `suppression` (no count about fewer
than five pupils, nor one that could be worked out from the rest). Two statements."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlmodel import Session

from backend.i18n import N_
from backend.plans.service import month_start
from backend.stats import queries
from backend.stats.schemas import (
    CycleFigures,
    GroupCyclePublic,
    OrganisationCyclePublic,
    SchoolCyclePublic,
    SchoolFiguresPublic,
    YearCyclePublic,
)
from backend.stats.suppression import MIN, Row, protect
from backend.terms.service import years_of

# Each count, and the count it is part of: a base before its parts.
BASES: dict[str, str | None] = {
    "pupils": None,
    "required": "pupils",
    "others": "pupils",
    "with_agreements": "pupils",
    "prepared": "pupils",
    "guardians_prepared": "pupils",
    "booked": "pupils",
    "held": "pupils",
    "published_required": "required",
    "published_others": "others",
    "agreements_signed": "with_agreements",
    "agreements_followed_up": "with_agreements",
    "not_rated_this_month": "pupils",
}


# The counts' names on the page and in the CSV, in BASES's order.
WORDS = {
    "pupils": N_("Pupils with a plan"),
    "required": N_("Written plan required"),
    "others": N_("Written plan by choice"),
    "with_agreements": N_("With agreements"),
    "prepared": N_("Pupil prepared"),
    "guardians_prepared": N_("Guardians prepared"),
    "booked": N_("Booked"),
    "held": N_("Talk held"),
    "published_required": N_("Published where required"),
    "published_others": N_("Published by choice"),
    "agreements_signed": N_("All agreements signed"),
    "agreements_followed_up": N_("All agreements followed up"),
    "not_rated_this_month": N_("No rating this month"),
}


def _facts(row: Any, *, since: Any) -> dict[str, bool]:
    """One pupil's place in the cycle, as the counts above count her (a CYCLE row)."""
    required = row.school_year in _years(row.summary_years)
    published = row.published_at is not None
    agreements = int(row.agreements or 0)
    return {
        "pupils": True,
        "required": required,
        "others": not required,
        "with_agreements": agreements > 0,
        "prepared": bool(row.prepared),
        "guardians_prepared": bool(row.guardians_prepared),
        "booked": bool(row.booked),
        "held": bool(row.held),
        "published_required": required and published,
        "published_others": not required and published,
        "agreements_signed": agreements > 0 and not row.open,
        "agreements_followed_up": agreements > 0 and row.followed_up == agreements,
        "not_rated_this_month": since is not None and (row.last is None or row.last < since),
    }


@lru_cache(maxsize=64)
def _years(summary_years: str) -> frozenset[int]:
    return frozenset(years_of(summary_years))


def _count(pupils: Iterable[dict[str, bool]]) -> dict[str, int]:
    counts = dict.fromkeys(BASES, 0)
    for facts in pupils:
        for name, value in facts.items():
            counts[name] += value
    return counts


def _figures(row: Row, *, current: bool) -> dict[str, Any]:
    figures: dict[str, Any] = {
        name: None if name in row.hidden else row.counts[name] for name in BASES
    }
    hidden = [name for name in BASES if name in row.hidden]
    if not current:  # "this month" says nothing about an earlier term
        figures["not_rated_this_month"] = None
        hidden = [name for name in hidden if name != "not_rated_this_month"]
    return {**figures, "suppressed": hidden}


def school_cycle(
    session: Session, *, school_id: int, today: date, zone: ZoneInfo, term: str | None = None
) -> SchoolCyclePublic:
    """The cycle of `term` (a code of the school's terms; this term when None or unknown)."""
    terms = queries.TERMS.rows(session, {"school_id": school_id, "today": today})
    chosen = next((t for t in terms if t.code == term), None) or next(
        (t for t in terms if t.current), None
    )
    if chosen is None:
        empty = Row(key="school", counts=dict.fromkeys(BASES, 0))
        return SchoolCyclePublic(
            term=None,
            current=True,
            terms=[],
            groups=[],
            years=[],
            total=CycleFigures(**_figures(empty, current=True)),
        )
    current = bool(chosen.current)
    since = month_start(today, zone) if current else None
    by_group: dict[int, tuple[Any, dict[int, dict[str, bool]]]] = {}
    for row in queries.CYCLE.rows(session, {"school_id": school_id, "term_id": chosen.id}):
        facts = _facts(row, since=since)
        by_group.setdefault(row.group_id, (row, {}))[1][row.pupil_id] = facts
    # The tree the suppression protects: groups under their school year under the school.
    # A pupil in two groups counts in each, and once in her year's and the school's total.
    year_rows: dict[int | None, tuple[Row, dict[int, dict[str, bool]]]] = {}
    group_rows: list[tuple[Any, Row]] = []
    for first, pupils in by_group.values():
        group = Row(key=f"group {first.group_id}", counts=_count(pupils.values()))
        year, everyone = year_rows.setdefault(
            first.school_year, (Row(key=f"year {first.school_year}", counts={}), {})
        )
        year.children.append(group)
        everyone.update(pupils)
        group_rows.append((first, group))
    school_pupils: dict[int, dict[str, bool]] = {}
    for year, everyone in year_rows.values():
        year.counts = _count(everyone.values())
        school_pupils.update(everyone)
    school = Row(
        key="school",
        counts=_count(school_pupils.values()),
        children=[year for year, _everyone in year_rows.values()],
    )
    protect(school, bases=BASES)
    return SchoolCyclePublic(
        term=chosen.code,
        current=current,
        terms=[t.code for t in terms],
        groups=[
            GroupCyclePublic(
                group_id=first.group_id,
                name=first.name,
                school_year=first.school_year,
                **_figures(group, current=current),
            )
            for first, group in group_rows
        ],
        years=[
            YearCyclePublic(school_year=school_year, **_figures(year, current=current))
            for school_year, (year, _everyone) in sorted(
                year_rows.items(), key=lambda item: (item[0] is None, item[0] or 0)
            )
        ],
        total=CycleFigures(**_figures(school, current=current)),
    )


def organisation_cycle(
    session: Session,
    *,
    organisation_id: int,
    name: str,
    today: date,
    zone: ZoneInfo,
    term: str | None = None,
) -> OrganisationCyclePublic:
    """The cycle per school and in all for the organiser: each school in its own current
    term, or all in the term of the code `term` (one of the schools' terms). Never a group,
    never a name; the same protection. Three statements whatever the size; the database
    counts (queries._counted), per school and school year."""
    key = {"organisation_id": organisation_id}
    schools = queries.ORGANISATION_SCHOOLS.rows(session, key)
    terms = [t.code for t in queries.ORGANISATION_TERMS.rows(session, {**key, "today": today})]
    current = term not in terms
    since = month_start(today, zone)
    if current:
        rows = queries.ORGANISATION_CYCLE.rows(session, {**key, "today": today, "since": since})
    else:
        rows = queries.ORGANISATION_CYCLE_IN.rows(session, {**key, "code": term, "since": since})
    counts = {school.id: dict.fromkeys(BASES, 0) for school in schools}
    for row in rows:
        school = counts.setdefault(row.school_id, dict.fromkeys(BASES, 0))
        for count in BASES:
            if count in row._fields:
                school[count] += int(getattr(row, count) or 0)
        required = row.school_year in _years(row.summary_years)
        part = "required" if required else "others"
        school[part] += int(row.pupils)
        school[f"published_{part}"] += int(row.published or 0)
    school_rows = [
        (school, Row(key=f"school {school.id}", counts=counts[school.id])) for school in schools
    ]
    root = Row(
        key="organisation",
        counts={name: sum(row.counts[name] for _s, row in school_rows) for name in BASES},
        children=[row for _school, row in school_rows],
    )
    protect(root, bases=BASES)
    return OrganisationCyclePublic(
        organisation_id=organisation_id,
        name=name,
        term=terms[0] if current and terms else term,
        current=current,
        terms=terms,
        min_pupils=MIN,
        schools=[
            SchoolFiguresPublic(
                school_id=school.id, name=school.name, **_figures(row, current=current)
            )
            for school, row in school_rows
        ],
        total=CycleFigures(**_figures(root, current=current)),
    )


def shares(figures: CycleFigures) -> list[tuple[str, float | None]]:
    """For the chart: each count in percent of its base (None where either is hidden or
    the base is empty)."""
    values = msgspec.structs.asdict(figures)
    found: list[tuple[str, float | None]] = []
    for name, base in BASES.items():
        if base is None:
            continue
        part, whole = values[name], values[base]
        share = None if part is None or not whole else round(100 * part / whole, 1)
        found.append((name, share))
    return found
