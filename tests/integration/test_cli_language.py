"""The `iup` command speaks the language of its environment, as gettext reads it: Swedish
for a Swedish locale, English for any other (en_GB, C, none at all); LC_ALL before
LC_MESSAGES before LANG. Its messages and its errors both; what scripts read (links,
"Error:" from click) stays as it is. Here, not in tests/unit, because an unknown person is
looked up in a database.

The Swedish texts are written out here, not read from the catalogue: the catalogue is what
is tested."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.engine import make_url

from backend.cli import main
from backend.i18n import cli_locale
from backend.settings import Settings
from tests.integration.test_cli import env_for

SS12000 = Path(__file__).resolve().parents[1] / "data" / "ss12000"
NO_LOCALE: dict[str, str | None] = {"LC_ALL": None, "LC_MESSAGES": None, "LANGUAGE": None}
Locale = Mapping[str, str | None]
SWEDISH: Locale = {"LANG": "sv_SE.UTF-8"}
ENGLISH: list[Locale] = [{"LANG": "en_GB.UTF-8"}, {"LANG": "C"}, {"LANG": None}]


def iup(settings: Settings, *args: str, locale: Locale) -> Result:
    """The command in a shell with only the given locale variables set."""
    env: dict[str, str | None] = {**env_for(settings), **NO_LOCALE, "LANG": None, **locale}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "sv_SE.UTF-8"}, "sv"),
        ({"LANG": "sv"}, "sv"),
        ({"LANG": "sv_FI.UTF-8"}, "sv"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),  # a language the command does not speak
        ({"LANG": "ar_SE.UTF-8"}, "en"),  # the app speaks it; the command only sv and en
        ({"LANG": "sv_SE.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),
        ({"LANG": "C", "LC_ALL": "sv_SE.UTF-8"}, "sv"),
        ({"LANG": "sv_SE.UTF-8", "LC_ALL": ""}, "sv"),  # empty: not set
        ({"LANG": "en_GB.UTF-8", "LC_MESSAGES": "sv_SE.UTF-8"}, "sv"),
        ({"LC_MESSAGES": "en_GB.UTF-8", "LC_ALL": "sv_SE.UTF-8"}, "sv"),
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "sv:en"}, "sv"),
        ({"LANG": "sv_SE.UTF-8", "LANGUAGE": "de:en"}, "en"),
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "de:sv"}, "sv"),
        ({"LANG": "C", "LANGUAGE": "sv"}, "en"),  # gettext ignores LANGUAGE in the C locale
    ],
)
def test_the_locale_is_read_as_gettext_reads_it(environ: dict[str, str], expected: str) -> None:
    assert cli_locale(environ=environ) == expected


def error_line(result: Result) -> str:
    assert result.exit_code != 0, result.output
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    return line


def test_an_error_is_in_the_language_of_the_environment(settings: Settings) -> None:
    swedish = iup(settings, "gallra", locale=SWEDISH)
    assert error_line(swedish) == "Error: ange --dry-run eller --apply"
    for locale in ENGLISH:
        english = iup(settings, "gallra", locale=locale)
        assert error_line(english) == "Error: say --dry-run or --apply", locale


def test_an_unknown_person_is_named_in_the_language(settings: Settings) -> None:
    swedish = iup(settings, "enrol", "999999", locale=SWEDISH)
    assert error_line(swedish) == "Error: ingen person med id 999999"
    english = iup(settings, "enrol", "999999", locale={"LANG": "en_GB.UTF-8"})
    assert error_line(english) == "Error: no person with id 999999"


def test_lc_all_comes_before_lang(settings: Settings) -> None:
    english = iup(settings, "enrol", "999999", locale={"LC_ALL": "C", **SWEDISH})
    assert error_line(english) == "Error: no person with id 999999"
    swedish = iup(settings, "enrol", "999999", locale={"LC_ALL": "sv_SE.UTF-8", "LANG": "C"})
    assert error_line(swedish) == "Error: ingen person med id 999999"


@pytest.mark.database("sqlite")  # `iup backup` copies the SQLite file
def test_what_is_done_is_said_in_the_language(settings: Settings, tmp_path: Path) -> None:
    source = str(make_url(settings.database_url).database)
    copy = tmp_path / "copy.db"
    swedish = iup(settings, "backup", str(copy), locale=SWEDISH)
    assert swedish.exit_code == 0, swedish.output
    said = rf"säkerhetskopierade {re.escape(source)} till {re.escape(str(copy))} \(\d+ sidor\)"
    assert re.fullmatch(said, swedish.stdout.strip()), swedish.stdout

    again = tmp_path / "again.db"
    english = iup(settings, "backup", str(again), locale={"LANG": "C"})
    assert english.exit_code == 0, english.output
    said = rf"backed up {re.escape(source)} to {re.escape(str(again))} \(\d+ pages\)"
    assert re.fullmatch(said, english.stdout.strip()), english.stdout

    refused = iup(settings, "backup", str(copy), locale=SWEDISH)
    assert error_line(refused) == f"Error: {copy} finns redan; ange ett nytt filnamn"


def test_the_database_is_up_to_date_in_swedish(settings: Settings) -> None:
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    result = iup(settings, "db", "upgrade", locale=SWEDISH)
    assert result.exit_code == 0, result.output
    said = rf"databasen {re.escape(where)} är aktuell \(revision \w+\)"
    assert re.fullmatch(said, result.stdout.strip()), result.stdout


def test_the_roster_group_speaks_it_too(settings: Settings) -> None:
    swedish = iup(settings, "roster", "import", str(SS12000), "--dry-run", locale=SWEDISH)
    assert swedish.exit_code == 0, swedish.output
    lines = swedish.stdout.splitlines()
    assert lines[0] == "skulle ändra (provkörning, inget ändrat):"
    assert lines[1].split()[2::2] == ["nya", "ändrade", "avslutade"], lines[1]
    english = iup(settings, "roster", "import", str(SS12000), "--dry-run", locale={"LANG": "C"})
    assert english.exit_code == 0, english.output
    lines = english.stdout.splitlines()
    assert lines[0] == "would change (dry run, nothing changed):"
    assert lines[1].split()[2::2] == ["created", "updated", "ended"], lines[1]
