"""The README sends readers only to files a clone has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\((?!https?://|#|mailto:)([^)#\s]+)")


@pytest.mark.parametrize("page", ["README.md", "docs/DESIGN.md"])
def test_every_relative_link_leads_to_a_file_in_the_repository(page: str) -> None:
    source = REPO / page
    targets = LINK.findall(source.read_text())
    assert targets, f"{page} has no relative links: the pattern no longer finds them"
    for target in targets:
        assert (source.parent / target).exists(), f"{page} links to {target}, not in the clone"


def test_the_link_pattern_sees_a_broken_link() -> None:
    assert LINK.findall("[rooms](../backend/nowhere/) [web](https://example.org)") == [
        "../backend/nowhere/"
    ]


def test_the_readme_points_to_the_design_notes_in_the_repository() -> None:
    readme = (REPO / "README.md").read_text()
    assert "](docs/DESIGN.md)" in readme and "](docs/TESTING.md)" in readme
    assert "../shared" not in readme and "`shared/`" not in readme
