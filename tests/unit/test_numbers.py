"""Figures on the principal's overview, as the reader writes them."""

from __future__ import annotations

import pytest

from backend import i18n


@pytest.mark.parametrize(
    ("lang", "value", "shown"),
    [("sv", 2.5, "2,5"), ("en", 2.5, "2.5"), ("sv", 3.0, "3"), ("sv", 66.666, "66,7")],
)
def test_a_figure_in_the_readers_language(lang: str, value: float, shown: str) -> None:
    with i18n.speaking(lang):
        assert i18n.format_number(value) == shown
