"""A family in its own language: a guardian whose browser asks for Arabic, Somali or
Ukrainian gets the app in it (Arabic right to left), times on the 24-hour clock, and the
language switch names every language in itself."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlmodel import Session, select

from backend import i18n
from backend.models import Goal, Plan
from tests.integration.conftest import Visitor, demo_person


@pytest.mark.parametrize(("lang", "direction"), [("ar", "rtl"), ("so", "ltr"), ("uk", "ltr")])
def test_a_guardians_browser_language_is_the_apps(
    db: Session, signed_in: Callable[[str], Visitor], lang: str, direction: str
) -> None:
    anna = signed_in("guardian-anna")  # no stored language: her browser's decides
    alva = demo_person(db, "alva").id
    headers = {"accept-language": f"{lang}-SE,{lang};q=0.9,en;q=0.5"}
    page = anna.get(f"/pupils/{alva}", headers=headers)
    assert page.status_code == 200
    assert f'<html lang="{lang}" dir="{direction}">' in page.text
    ours = i18n.translations(lang)
    for english in ("Home", "Notifications", "Sign out"):
        assert ours.gettext(english) != english, f"{lang} lacks {english!r}"
        assert ours.gettext(english) in page.text
    others = [name for code, name in i18n.LANGUAGES.items() if code != lang]
    assert all(f">{name}</button>" in page.text for name in others)

    times = anna.get(f"/pupils/{alva}/talk-times", headers=headers).text
    lists = re.findall(r'<ul class="talk-times">(.*?)</ul>', times, re.DOTALL)
    labels = re.findall(
        r'class="talk-time__when">([^<]*)<|value="\d+"[^>]*>([^<]*)</button>', "".join(lists)
    )
    clock = [a or b for a, b in labels]
    assert clock, "the talk times show their hours"  # the demo's are 08:00 to 12:00
    assert all(re.fullmatch(r"(0[89]|1[01]):[0-5]\d–(0[89]|1[012]):[0-5]\d", t) for t in clock), (
        clock
    )


def test_english_keeps_its_twelve_hour_clock_and_swedish_its_twenty_four() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Stockholm")
    at = datetime(2026, 12, 7, 13, 5, tzinfo=UTC)  # 14:05 in Stockholm
    with i18n.speaking("en"):
        assert i18n.format_time(at, zone=zone) == "2:05\u202fPM"
    for lang in ("sv", "ar", "uk"):
        with i18n.speaking(lang):
            assert i18n.format_time(at, zone=zone) == "14:05", lang


def test_right_to_left_the_chart_runs_from_right_to_left(
    db: Session, signed_in: Callable[[str], Visitor]
) -> None:
    """The level words stand on the right and time runs leftwards (x = 320 − x)."""
    alva = signed_in("alva")
    goal = db.exec(
        select(Goal.id).join(Plan).where(Plan.pupil_id == demo_person(db, "alva").id)
    ).first()
    for level in ("2", "3"):
        alva.form(f"/goals/{goal}/self-assessments", {"level": level, "comment": ""})
    charts = {}
    for lang in ("sv", "ar"):
        page = alva.get(f"/?saved={goal}", headers={"accept-language": lang}).text
        card = page[page.index(f'id="goal-{goal}"') :]
        start = card.index('<svg class="chart"')
        charts[lang] = card[start : card.index("</svg>", start)]
    assert 'x="102" y="116" text-anchor="end"' in charts["sv"]
    assert 'x="218" y="116" text-anchor="start"' in charts["ar"]
    xs = {
        lang: [float(p.split(",")[0]) for p in re.findall(r'points="([^"]*)"', chart)[0].split()]
        for lang, chart in charts.items()
    }
    assert xs["sv"][0] == 116.0 and xs["sv"][-1] == 306.0  # oldest left, newest right
    assert [320 - x for x in xs["ar"]] == xs["sv"]


def test_a_name_in_a_right_to_left_sentence_is_isolated() -> None:
    """What <bdi> does, as Unicode isolates: the Latin name keeps its order in Arabic."""
    with i18n.speaking("ar"):
        text = i18n.template_gettext("Booked for %(name)s", name="Alva Nilsson")
    assert "\u2068Alva Nilsson\u2069" in text
    with i18n.speaking("sv"):
        assert i18n.template_gettext("Booked for %(name)s", name="Alva Nilsson") == (
            "Bokad för Alva Nilsson"
        )
