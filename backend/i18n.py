"""gettext for Python code and templates. The source strings are English; Swedish is the
default language. An installed wheel reads the catalogues compiled when it was built
(backend/locale/<lang>/LC_MESSAGES/messages.mo, see build_hooks.py); the source tree reads
i18n/<lang>/LC_MESSAGES/messages.po at start, so there is no compile step to forget."""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

COMPILED = Path(__file__).resolve().parent / "locale"  # only in a built wheel
I18N = Path(__file__).resolve().parent.parent / "i18n"  # the source tree
DEFAULT = "sv"
LANGUAGES = {"sv": "Svenska", "en": "English"}  # each language names itself
RTL = frozenset({"ar", "fa", "he", "ur"})

current: ContextVar[str] = ContextVar("locale", default=DEFAULT)


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    mo = COMPILED / locale / "LC_MESSAGES" / "messages.mo"
    if mo.exists():
        with mo.open("rb") as compiled:
            return _gettext.GNUTranslations(compiled)
    po = I18N / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return _gettext.NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def gettext(message: str) -> str:
    return translations(current.get()).gettext(message)


def template_gettext(message: str, **variables: Any) -> str:
    """`_()` in templates: a plain str, escaped on output by autoescape like any value.
    (Jinja's "newstyle" gettext wraps every string in Markup and formats it even without
    variables: two thirds of a page's rendering time.)"""
    text = translations(current.get()).gettext(message)
    return text % variables if variables else text


def template_ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    variables.setdefault("num", n)
    return translations(current.get()).ngettext(singular, plural, n) % variables


_ = gettext


def N_(message: str) -> str:
    """Marks a string for extraction; translated where it is shown."""
    return message


@lru_cache(maxsize=1024)
def negotiate(accept_language: str, cookie: str | None) -> str:
    """The `lang` cookie wins, then the first supported Accept-Language entry by q."""
    if cookie in LANGUAGES:
        return cookie
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, index, tag.strip().lower().split("-")[0]))
    for _q, _i, lang in sorted(ranked):
        if lang in LANGUAGES:
            return lang
    return DEFAULT


def direction(locale: str) -> str:
    return "rtl" if locale in RTL else "ltr"


def format_date(value: datetime, *, zone: ZoneInfo) -> str:
    """A date as people at the school read it: their language, the school's time zone."""
    return _format_day(value.astimezone(zone).date(), current.get())


@lru_cache(maxsize=4096)
def _format_day(day: date, locale: str) -> str:
    """Babel takes ~30 µs a date; a page shows the same few days again and again."""
    return dates.format_date(day, format="medium", locale=locale)


def term_name(code: str) -> str:
    """HT2026 → "Autumn term 2026" (hösttermin), VT2027 → "Spring term 2027" (vårtermin)."""
    if code.startswith("HT"):
        return gettext("Autumn term %(year)s") % {"year": code[2:]}
    if code.startswith("VT"):
        return gettext("Spring term %(year)s") % {"year": code[2:]}
    return code
