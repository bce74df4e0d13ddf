"""The message catalogues: the committed template matches the source, every language under
i18n/ translates every message with the same placeholders, and the language is chosen as
documented in backend.i18n."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from babel.messages.catalog import PYTHON_FORMAT, Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from backend import i18n

ROOT = Path(__file__).resolve().parents[2]
I18N = ROOT / "i18n"
POT = I18N / "messages.pot"
LANGS = sorted(p.parent.parent.name for p in I18N.glob("*/LC_MESSAGES/messages.po"))

MsgId = str | tuple[str, ...]


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def ids(messages: Iterable[Message]) -> set[MsgId]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in messages if m.id}


def placeholders(text: str) -> set[tuple[str | None, str]]:
    """The %(name)s / %d placeholders of a string; "%%" is a literal percent sign."""
    return {(name, kind) for name, _spec, kind in PYTHON_FORMAT.findall(text) if kind != "%"}


def extract() -> set[MsgId]:
    """The strings in the source, found as `make messages` finds them (i18n/babel.cfg)."""
    with (I18N / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: set[MsgId] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "backend", method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def test_there_are_catalogues_for_exactly_the_offered_languages() -> None:
    assert sorted(i18n.LANGUAGES) == LANGS
    assert i18n.DEFAULT in LANGS


def test_template_is_up_to_date() -> None:
    committed = ids(read(POT))
    source = extract()
    assert source - committed == set(), "new strings in the source: run `make messages`"
    assert committed - source == set(), "strings gone from the source: run `make messages`"


def faults(catalog: Catalog, template: set[MsgId]) -> list[str]:
    """What keeps a catalogue from being complete against the template: a fuzzy header or
    message, a message missing or stale (no longer in the template), an empty translation,
    the wrong number of plural forms."""
    found = ["the header is marked fuzzy"] if catalog.fuzzy else []
    have = ids(catalog)
    found += [f"missing: {m!r}" for m in sorted(template - have, key=str)]
    found += [f"stale: {m!r}" for m in sorted(have - template, key=str)]
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            found.append(f"fuzzy: {message.id!r}")
        if len(strings) != (catalog.num_plurals if message.pluralizable else 1):
            found.append(f"plural forms: {message.id!r}")
        if not all(s.strip() for s in strings):
            found.append(f"untranslated: {message.id!r}")
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_is_complete(lang: str) -> None:
    """Run `make messages`, then translate what it lists."""
    catalog = read(I18N / lang / "LC_MESSAGES" / "messages.po", locale=lang)
    assert faults(catalog, ids(read(POT))) == []


def test_an_incomplete_catalogue_is_caught(tmp_path: Path) -> None:
    """The check above can fail: Somali with one message missing, one fuzzy, one stale and
    one left empty."""
    template = ids(read(POT))
    catalog = read(I18N / "so" / "LC_MESSAGES" / "messages.po", locale="so")
    catalog.delete("Sign in")
    catalog["My goals"].flags.add("fuzzy")
    catalog["Your passkeys"].string = ""
    catalog.add("A message the source no longer has", "Fariin aan jirin")
    broken = tmp_path / "messages.po"
    with broken.open("wb") as f:
        write_po(f, catalog)
    assert faults(read(broken, locale="so"), template) == [
        "missing: 'Sign in'",
        "stale: 'A message the source no longer has'",
        "fuzzy: 'My goals'",
        "untranslated: 'Your passkeys'",
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_translations_keep_the_placeholders(lang: str) -> None:
    catalog = read(I18N / lang / "LC_MESSAGES" / "messages.po", locale=lang)
    assert [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()] == []
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, str):
            assert placeholders(message.string) == placeholders(message.id), message.id
        else:
            # Each plural form is built like the singular or like the plural msgid.
            allowed = [placeholders(message.id[0]), placeholders(message.id[1])]
            for form in message.string:
                assert placeholders(form) in allowed, (message.id, form)


@pytest.mark.parametrize("lang", LANGS)
def test_translations_have_no_lone_percent_sign(lang: str) -> None:
    """Templates %-format every string (newstyle gettext), so a lone "%" would break a page:
    write "%%" for a percent sign."""
    catalog = read(I18N / lang / "LC_MESSAGES" / "messages.po", locale=lang)
    for message in catalog:
        if not message.id:
            continue  # the header: its Plural-Forms may compute "n % 10"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for s in strings:
            assert "%" not in re.sub(r"%\(\w+\)[-0-9]*[sd]|%%", "", s), (message.id, s)


def test_swedish_and_english_are_loaded() -> None:
    assert i18n.translations("sv").gettext("Sign in") == "Logga in"
    assert i18n.translations("en").gettext("Sign in") == "Sign in"
    assert (
        i18n.translations("sv").ngettext(
            "How it has gone: %(num)d rating", "How it has gone: %(num)d ratings", 3
        )
        % {"num": 3}
        == "Så har det gått (3 gånger)"
    )


@pytest.mark.parametrize(
    ("accept_language", "cookie", "expected"),
    [
        ("en-GB,en;q=0.9", None, "en"),
        ("ar,sv;q=0.5", None, "ar"),  # a family language, first in her browser
        ("so-SO,so;q=0.9,en;q=0.5", None, "so"),
        ("uk", "ar", "ar"),  # the switch (cookie) wins over the browser
        ("", None, "sv"),
        ("en", "sv", "sv"),
        ("de", None, "en"),  # a language we do not have: English, not Swedish
        ("de-DE,de;q=0.9,fr;q=0.5", None, "en"),
        ("ti-ER", None, "ti"),
        ("fa-IR,fa;q=0.9", None, "fa"),
        ("ur", None, "en"),  # Urdu we do not have yet
        ("de,sv;q=0.1", None, "sv"),  # a language we have, however low, wins
        ("sv;q=0,en;q=0.5", None, "en"),
        ("sv;q=0", None, "en"),  # refused Swedish
        ("nb-NO,nb;q=0.9", None, "sv"),  # Norwegian and Danish readers read Swedish
        ("da", None, "sv"),
        ("nb,en;q=0.8", None, "en"),  # ...unless they list one we have
        ("*", None, "sv"),
        ("", "en", "en"),
        ("", "xx", "sv"),
    ],
)
def test_negotiate(accept_language: str, cookie: str | None, expected: str) -> None:
    assert i18n.negotiate(accept_language, cookie) == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "en"),
        ("en-GB", "en"),
        ("sv_SE", "sv"),
        ("ar", "ar"),
        ("uk-UA", "uk"),
        ("de", None),
        ("", None),
        (None, None),
    ],
)
def test_a_stored_language_counts_only_when_we_have_it(
    locale: str | None, expected: str | None
) -> None:
    assert i18n.stored(locale) == expected


def test_the_request_language_can_switch_once_the_person_is_known() -> None:
    token = i18n.current.set("sv")
    try:
        i18n.current.switch("en")
        assert i18n.current.get() == "en"
    finally:
        i18n.current.reset(token)
