"""Templates reach routes by name (`url_for("room.handler", ...)`), never by a path spelled
out, so a path is written once, in its route (tests/integration/test_route_table.py)."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "backend" / "templates"
# An attribute that leads to one of our routes, with a literal path as its value.
LITERAL = re.compile(r'\b(href|action|formaction|hx-(?:get|post|put|patch|delete))="/[^"]*"')


def literal_paths(text: str) -> list[str]:
    return [m.group(0) for m in LITERAL.finditer(text)]


def test_no_template_spells_out_a_path() -> None:
    found = {
        str(path.relative_to(TEMPLATES)): hits
        for path in sorted(TEMPLATES.rglob("*.html"))
        if (hits := literal_paths(path.read_text()))
    }
    assert found == {}


def test_the_pattern_sees_a_spelled_out_path() -> None:
    text = '<a href="/pupils/{{ p.id }}/notes">x</a> <form hx-post="/goals/1"> '
    text += '<a href="{{ url_for(\'home.home\') }}"> <a href="https://example.org/">'
    assert literal_paths(text) == ['href="/pupils/{{ p.id }}/notes"', 'hx-post="/goals/1"']
