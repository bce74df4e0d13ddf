"""The stylesheet is one file that several domains add to: a block left open (an @media
without its closing brace) silently swallows every rule after it, and the minifier does
not complain. This catches it before a browser test has to."""

from __future__ import annotations

import re
from pathlib import Path

CSS = Path(__file__).resolve().parents[2] / "pwa" / "static" / "css" / "app.css"


def depths(text: str) -> list[tuple[int, int]]:
    """(line, nesting depth at its start) for each line that starts a section comment."""
    depth, found = 0, []
    text = re.sub(r'"[^"]*"', '""', text)  # braces inside strings do not count
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("/*"):
            found.append((number, depth))
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"app.css:{number} closes a block that is not open"
    found.append((number + 1, depth))
    return found


def test_every_section_of_the_stylesheet_starts_and_ends_outside_any_block() -> None:
    opened = [(line, depth) for line, depth in depths(CSS.read_text()) if depth]
    assert opened == [], f"a block is still open at these lines of app.css: {opened}"


def test_the_check_sees_a_block_left_open() -> None:
    assert depths("/* a */\n@media print{\n.x{color:red}\n/* b */\n") == [(1, 0), (4, 1), (5, 1)]
