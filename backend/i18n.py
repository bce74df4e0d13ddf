"""gettext for Python code and templates. The source strings are English; Swedish is the
default language. An installed wheel reads the catalogues compiled when it was built
(backend/locale/<lang>/LC_MESSAGES/messages.mo, see build_hooks.py); the source tree reads
i18n/<lang>/LC_MESSAGES/messages.po at start, so there is no compile step to forget.

Which language a request gets, first rule that applies:
1. a signed-in person's stored language (`Person.locale`, set by the language switch),
   when we have it — found with the session, later in the request (`current.switch`);
2. the `lang` cookie (the language switch, for this browser);
3. the browser's Accept-Language: the listed language we have with the highest q;
   else, when its first choice reads Swedish easily (Norwegian, Danish), Swedish;
4. Swedish when the browser names no language (or any, `*`); English when it names only
   languages we do not have yet (a guardian's browser in German or Arabic).
A language needs only its catalogue (i18n/<lang>/LC_MESSAGES/messages.po, complete: a test
checks) and an entry in LANGUAGES; the direction follows from RTL. The five beyond Swedish
and English are those many guardians of Swedish pupils read best; their catalogues await a
native speaker's review (docs/TRANSLATING.md)."""

from __future__ import annotations

import gettext as _gettext
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import date, datetime
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates, lists, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from markupsafe import Markup

COMPILED = Path(__file__).resolve().parent / "locale"  # only in a built wheel
I18N = Path(__file__).resolve().parent.parent / "i18n"  # the source tree
DEFAULT = "sv"
FALLBACK = "en"  # for a browser that asks only for languages we do not have
LANGUAGES = {  # each language names itself
    "sv": "Svenska",
    "en": "English",
    "ar": "العربية",
    "fa": "فارسی",
    "so": "Soomaali",
    "ti": "ትግርኛ",
    "uk": "Українська",
}
NEAR = {"nb": "sv", "nn": "sv", "no": "sv", "da": "sv"}  # readers who read Swedish easily
RTL = frozenset({"ar", "fa", "he", "ur", "ps", "ckb"})
CLI_LANGUAGES = ("sv", "en")  # what the `iup` command speaks


class RequestLocale:
    """The request's language: a box of its own per request (`set` when it starts). The
    person's stored language is only known once the session is resolved, in a dependency
    that Litestar may run in a task of its own; `switch` changes the box, so what renders
    after it (the page, the error page, the Content-Language header) sees the change."""

    def __init__(self) -> None:
        self._box: ContextVar[list[str]] = ContextVar("locale")

    def get(self) -> str:
        box = self._box.get(None)
        return box[0] if box else DEFAULT

    def set(self, locale: str) -> Token[list[str]]:
        return self._box.set([locale])

    def reset(self, token: Token[list[str]]) -> None:
        self._box.reset(token)

    def switch(self, locale: str) -> None:
        box = self._box.get(None)
        if box is None:
            self._box.set([locale])
        else:
            box[0] = locale


current = RequestLocale()


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    """The app's catalogue: compiled in a wheel, read from the source tree otherwise."""
    mo = COMPILED / locale / "LC_MESSAGES" / "messages.mo"
    if mo.exists():
        with mo.open("rb") as compiled:
            return _gettext.GNUTranslations(compiled)
    po = I18N / locale / "LC_MESSAGES" / "messages.po"
    if po.exists():
        with po.open("rb") as f:
            catalog = read_po(f, locale=locale)
        buffer = BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return _gettext.GNUTranslations(buffer)
    return _gettext.NullTranslations()


def gettext(message: str) -> str:
    return translations(current.get()).gettext(message)


def template_gettext(message: str, **variables: Any) -> str:
    """`_()` in templates: a plain str, escaped on output by autoescape like any value.
    (Jinja's "newstyle" gettext wraps every string in Markup and formats it even without
    variables: two thirds of a page's rendering time.)"""
    locale = current.get()
    text = translations(locale).gettext(message)
    return text % _isolated(locale, variables) if variables else text


def template_ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    locale = current.get()
    variables.setdefault("num", n)
    return translations(locale).ngettext(singular, plural, n) % _isolated(locale, variables)


def _isolated(locale: str, variables: dict[str, Any]) -> dict[str, Any]:
    """In a right-to-left sentence, each text put into it (a name, a date, a subject) is
    isolated (Unicode FSI … PDI, what <bdi> does), so "Alva Nilsson" or "14 dec. 2026"
    stays whole and in its own order instead of being reordered with the Arabic around it."""
    if locale not in RTL:
        return variables
    return {k: f"\u2068{v}\u2069" if isinstance(v, str) else v for k, v in variables.items()}


_ = gettext


def N_(message: str) -> str:
    """Marks a string for extraction; translated where it is shown."""
    return message


@lru_cache(maxsize=1024)
def negotiate(accept_language: str, cookie: str | None) -> str:
    """Rules 2–4 of the module's docstring; an entry with q=0 is one the browser refuses."""
    if cookie in LANGUAGES:
        return cookie
    ranked: list[tuple[float, int, str]] = []
    named = False
    for index, part in enumerate(accept_language.split(",")):
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = tag.strip().lower().split("-")[0]
        named = named or bool(lang)
        if lang and q > 0:
            ranked.append((-q, index, lang))
    ranked.sort()
    for _q, _i, lang in ranked:
        if lang in LANGUAGES:
            return lang
    if not named or (ranked and ranked[0][2] == "*"):
        return DEFAULT
    return NEAR.get(ranked[0][2], FALLBACK) if ranked else FALLBACK


def stored(locale: str | None) -> str | None:
    """A person's stored language, when we have it ("en-GB" is "en"); None leaves the
    choice to the browser (rule 1 of the module's docstring)."""
    if not locale:
        return None
    lang = locale.lower().split("-")[0].split("_")[0]
    return lang if lang in LANGUAGES else None


def cli_locale(*, environ: Mapping[str, str]) -> str:
    """The `iup` command's language, read from the environment as GNU gettext reads it: the
    locale is the first non-empty of LC_ALL, LC_MESSAGES and LANG; unless that is C or
    POSIX (or nothing), LANGUAGE's list ("sv:en") comes before it. The first of these that
    is Swedish or English wins ("sv_SE.UTF-8" is Swedish); anything else is English."""
    locale = next((environ[k] for k in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(k)), "C")
    if locale.split(".")[0] in ("C", "POSIX"):
        return FALLBACK
    for name in [*environ.get("LANGUAGE", "").split(":"), locale]:
        lang = re.split(r"[_.@-]", name)[0].lower()
        if lang in CLI_LANGUAGES:
            return lang
    return FALLBACK


def direction(locale: str) -> str:
    return "rtl" if locale in RTL else "ltr"


def letter_language(locale: str | None) -> str:
    """The language of a letter to someone: hers when we have it, else Swedish."""
    return stored(locale) or DEFAULT


@contextmanager
def speaking(locale: str) -> Iterator[None]:
    """Part of a page in another language (a letter in its reader's): gettext and the
    date formats follow `locale` inside, the request's language again after."""
    before = current.get()
    current.switch(locale)
    try:
        yield
    finally:
        current.switch(before)


def in_language(locale: str, *, caller: Callable[[], Markup]) -> Markup:
    """`speaking` for templates: {% call in_language("ar") %}…{% endcall %}."""
    with speaking(locale):
        return caller()


def format_date(value: date, *, zone: ZoneInfo) -> str:
    """A date as people at the school read it: their language, the school's time zone (a
    datetime's day there; a date is taken as the school's day already)."""
    day = value.astimezone(zone).date() if isinstance(value, datetime) else value
    return _format_day(day, current.get())


@lru_cache(maxsize=4096)
def _format_day(day: date, locale: str) -> str:
    """Babel takes ~30 µs a date; a page shows the same few days again and again."""
    return dates.format_date(day, format="medium", locale=locale)


def format_day(value: datetime, *, zone: ZoneInfo) -> str:
    """A short day for a chart's axis: "12 nov." (sv), "Nov 12" (en)."""
    return _format_short_day(value.astimezone(zone).date(), current.get())


@lru_cache(maxsize=4096)
def _format_short_day(day: date, locale: str) -> str:
    return dates.format_skeleton("MMMd", day, locale=locale)


def format_time(value: datetime, *, zone: ZoneInfo) -> str:
    """The time of day on the 24-hour clock that Swedish schools use, "14:32", in the
    reader's digits (Babel, her locale); English keeps "2:32 PM"."""
    locale = current.get()
    local = value.astimezone(zone)
    if locale == "en":
        return dates.format_time(local, format="short", locale=locale)
    return dates.format_skeleton("Hm", local, locale=locale)


def format_number(value: float, *, digits: int = 1) -> str:
    """A figure as the reader writes it: "2,5" (sv), "2.5" (en); whole numbers without
    decimals."""
    pattern = "#,##0" if float(value).is_integer() else "#,##0." + "0" * digits
    return numbers.format_decimal(value, format=pattern, locale=current.get())


def format_list(items: list[str]) -> str:
    """ "Anna, Per och Karin" (sv), "Anna, Per, and Karin" (en)."""
    return lists.format_list(items, locale=current.get())


def term_name(code: str) -> str:
    """HT2026 → "Autumn term 2026" (hösttermin), VT2027 → "Spring term 2027" (vårtermin)."""
    if code.startswith("HT"):
        return gettext("Autumn term %(year)s") % {"year": code[2:]}
    if code.startswith("VT"):
        return gettext("Spring term %(year)s") % {"year": code[2:]}
    return code
