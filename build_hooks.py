"""The wheel's one build step: pwa/ and the compiled i18n/ catalogues go inside the package
(backend/pwa, backend/locale/<lang>/LC_MESSAGES/messages.mo), where an installed app finds
them. The source tree keeps both folders at the top (the customer's layout) and reads the
.po files there directly; an editable install runs from the source tree, so it is skipped."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        package = Path(self.build_lib) / "backend"
        for old in (package / "pwa", package / "locale"):  # a file removed since the last build
            shutil.rmtree(old, ignore_errors=True)
        shutil.copytree(ROOT / "pwa", package / "pwa", dirs_exist_ok=True)
        compile_catalogues(ROOT / "i18n", package / "locale")


def compile_catalogues(source: Path, target: Path) -> None:
    """Each i18n/<lang>/LC_MESSAGES/messages.po as a .mo (fuzzy entries left out, as at run
    time from the source tree)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        locale = po.parent.parent.name
        with po.open("rb") as f:
            catalog = read_po(f, locale=locale)
        mo = target / locale / "LC_MESSAGES" / f"{po.stem}.mo"
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as f:
            write_mo(f, catalog)
