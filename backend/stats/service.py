"""The principal's school overview (issue 7, item 5): per group and per school year, how the
plans are used this term, with no figure about fewer than MIN_PUPILS pupils; and her reason
to open one pupil's plan, which the read log keeps and the family sees.

Suppression, kept simple: a group whose pupils with a plan this term are fewer than
MIN_PUPILS shows no figure at all. A school year's total is shown only when none of its
groups is suppressed, so no suppressed group can be worked out by subtracting the groups
that are shown from the total (even two small groups of a year are not added together).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import msgspec
from babel.numbers import get_decimal_symbol
from sqlmodel import Session, col, select

from backend import i18n, readlog
from backend.access import REASON_LASTS, Access, Relation
from backend.errors import FormError
from backend.i18n import N_, gettext
from backend.models import School, utcnow
from backend.readlog import ReadKind
from backend.stats import cycle, queries
from backend.stats.schemas import (
    MIN_PUPILS,
    REASON_MAX,
    REASON_MIN,
    CycleFigures,
    GroupPupilNames,
    GroupStatsPublic,
    PupilName,
    ReadReasonPublic,
    SchoolOverviewPublic,
    StatsPublic,
    YearStatsPublic,
)
from backend.web import has_control_characters


class _Pupil(msgspec.Struct, kw_only=True):
    has_plan: bool
    goals: int
    last: datetime | None


class _Group(msgspec.Struct, kw_only=True):
    id: int
    name: str
    year: int | None
    pupils: dict[int, _Pupil]
    names: list[PupilName]


_SUPPRESSED: dict[str, object] = {
    "suppressed": True,
    "pupils_with_plan": None,
    "share_rated": None,
    "goals_per_pupil": None,
    "last_activity": None,
}


def _figures(pupils: Iterable[_Pupil], zone: ZoneInfo) -> dict[str, object]:
    """The figures about these pupils, or none when they are fewer than MIN_PUPILS."""
    planned = [p for p in pupils if p.has_plan]
    if len(planned) < MIN_PUPILS:
        return dict(_SUPPRESSED)
    rated = [p.last for p in planned if p.last is not None]
    return {
        "suppressed": False,
        "pupils_with_plan": len(planned),
        "share_rated": round(100 * len(rated) / len(planned), 1),
        "goals_per_pupil": round(sum(p.goals for p in planned) / len(planned), 1),
        "last_activity": max(rated).astimezone(zone).date() if rated else None,
    }


def _read(session: Session, *, school_id: int, today: date) -> tuple[list[_Group], str | None]:
    groups: dict[int, _Group] = {}
    term: str | None = None
    for row in queries.SCHOOL.rows(session, {"school_id": school_id, "today": today}):
        term = term or row.code
        group = groups.setdefault(
            row.group_id,
            _Group(id=row.group_id, name=row.name, year=row.school_year, pupils={}, names=[]),
        )
        pupil_id = row.pupil_id
        if pupil_id is not None and pupil_id not in group.pupils:
            group.pupils[pupil_id] = _Pupil(
                has_plan=row.plan_id is not None, goals=int(row.goals or 0), last=row.last
            )
            group.names.append(PupilName(id=pupil_id, name=f"{row.given_name} {row.family_name}"))
    return list(groups.values()), term


def school_overview(
    session: Session, *, school_id: int, today: date, zone: ZoneInfo, term: str | None = None
) -> tuple[SchoolOverviewPublic, list[GroupPupilNames]]:
    """The overview with the talk cycle of `term` (this term by default), and the school's
    groups with their pupils' names, for opening one plan (with a reason; only the page
    shows them): the names never enter the figures. Four queries: the school's name, a row
    per group and pupil, and the cycle's two."""
    school = session.get(School, school_id)
    groups, this_term = _read(session, school_id=school_id, today=today)
    rows = [
        GroupStatsPublic(
            group_id=g.id,
            name=g.name,
            school_year=g.year,
            **_figures(g.pupils.values(), zone),  # type: ignore[arg-type]
        )
        for g in groups
    ]
    years: list[YearStatsPublic] = []
    for year in sorted({g.year for g in groups}, key=lambda y: (y is None, y or 0)):
        in_year = [(g, r) for g, r in zip(groups, rows, strict=True) if g.year == year]
        if any(r.suppressed for _g, r in in_year):
            figures = dict(_SUPPRESSED)
        else:
            figures = _figures((p for g, _r in in_year for p in g.pupils.values()), zone)
        years.append(
            YearStatsPublic(school_year=year, groups=len(in_year), **figures)  # type: ignore[arg-type]
        )
    overview = SchoolOverviewPublic(
        school_id=school_id,
        name=school.name if school else "",
        term=this_term,
        min_pupils=MIN_PUPILS,
        groups=rows,
        years=years,
        cycle=cycle.school_cycle(session, school_id=school_id, today=today, zone=zone, term=term),
    )
    return overview, [GroupPupilNames(id=g.id, name=g.name, pupils=g.names) for g in groups]


def school_names(session: Session, *, school_ids: Iterable[int]) -> dict[int, str]:
    ids = list(school_ids)
    if not ids:
        return {}
    found = session.exec(select(School).where(col(School.id).in_(ids))).all()
    return {s.id: s.name for s in found if s.id is not None}


CSV_HEADERS = (
    N_("School year"),
    N_("Group"),
    N_("Pupils with a plan"),
    N_("Share who rated this term, in percent"),
    N_("Goals per pupil"),
    N_("Last activity"),
)
FEWER = N_("fewer than 5")


# OWASP's rule against CSV injection: a cell a spreadsheet would take for a formula (names
# come from the roster, and so from anyone who can name a group) starts with a quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def overview_csv(overview: SchoolOverviewPublic) -> str:
    """The overview and the talk cycle as CSV for a spreadsheet, in the viewer's language:
    where her language writes a decimal comma (Swedish), `;` between cells and 0,5, as a
    Swedish spreadsheet reads them; else `,` and 0.5. Hidden cells written as such; a UTF-8
    byte order mark so that Excel reads å, ä and ö."""
    comma = get_decimal_symbol(i18n.current.get()) == ","
    out = io.StringIO()
    csv_writer = csv.writer(out, delimiter=";" if comma else ",")

    def writerow(row: list[str]) -> None:
        csv_writer.writerow([spreadsheet_safe(cell) for cell in row])

    writerow([*(gettext(h) for h in CSV_HEADERS), *(gettext(w) for w in cycle.WORDS.values())])
    fewer, hidden = gettext(FEWER), gettext(N_("hidden"))

    def number(value: float | None) -> str:
        text = f"{value:g}"
        return text.replace(".", ",") if comma else text

    def cells(stats: StatsPublic | None) -> list[str]:
        if stats is None:
            return [""] * 4
        if stats.suppressed:
            return [fewer] * 4
        return [
            str(stats.pupils_with_plan),
            number(stats.share_rated),
            number(stats.goals_per_pupil),
            stats.last_activity.isoformat() if stats.last_activity else "",
        ]

    def counts(figures: CycleFigures | None) -> list[str]:
        if figures is None:
            return [""] * len(cycle.WORDS)
        values = msgspec.structs.asdict(figures)
        return [
            str(values[name])
            if values[name] is not None
            else hidden
            if name in figures.suppressed
            else ""
            for name in cycle.WORDS
        ]

    found = overview.cycle
    groups = {g.group_id: g for g in found.groups} if found else {}
    years = {y.school_year: y for y in found.years} if found else {}
    for group in overview.groups:
        year = "" if group.school_year is None else str(group.school_year)
        writerow([year, group.name, *cells(group), *counts(groups.get(group.group_id))])
    total = gettext(N_("All groups"))
    for year_stats in overview.years:
        year = "" if year_stats.school_year is None else str(year_stats.school_year)
        writerow([year, total, *cells(year_stats), *counts(years.get(year_stats.school_year))])
    if found:
        writerow(["", gettext(N_("The whole school")), *cells(None), *counts(found.total)])
    return "\ufeff" + out.getvalue()


def _checked(reason: str) -> str:
    """The form's reason: stripped, 10–500 characters, no control characters."""
    reason = reason.strip()
    if len(reason) < REASON_MIN:
        raise FormError({"reason": N_("Write why, in at least 10 characters.")})
    if len(reason) > REASON_MAX:
        raise FormError({"reason": N_("The reason is too long. Write at most 500 characters.")})
    if has_control_characters(reason):
        raise FormError(
            {"reason": N_("The reason has a sign in it that we cannot save. Write it without it.")}
        )
    return reason


def record_reason(
    session: Session, *, access: Access, reason: str, zone: ZoneInfo
) -> ReadReasonPublic:
    """The principal's reason (FormError unless it is 10–500 characters), in the read log
    the pupil and the guardians see; the plan opens to her for REASON_LASTS (backend/access/)."""
    reason = _checked(reason)
    at = utcnow()
    pupil_id = access.pupil_id
    readlog.record(
        session,
        reader_id=access.viewer.person_id,
        pupil_id=pupil_id,
        kind=ReadKind.PLAN,
        role=Relation.PRINCIPAL.value,
        zone=zone,
        reason=reason,
        always=True,  # it opens the plan to her for REASON_LASTS from now
    )
    return ReadReasonPublic(pupil_id=pupil_id, reason=reason, at=at, valid_until=at + REASON_LASTS)
