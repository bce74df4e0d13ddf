"""Suppression (backend/stats/suppression.py): no count about fewer than five pupils is
shown, nor one that a reader could work out from the rest of the table: by subtraction
from a total, by adding up parts, or through a sum of hidden cells that is itself small.
The random tables are checked by an attacker of their own (exact linear algebra over the
table's sums), not by the code's own rule."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from backend.stats.suppression import MIN, Row, protect, small

BASES: dict[str, str | None] = {"pupils": None, "prepared": "pupils"}


def leaf(key: str, pupils: int, prepared: int) -> Row:
    return Row(key=key, counts={"pupils": pupils, "prepared": prepared})


def total(key: str, children: list[Row]) -> Row:
    counts = {name: sum(c.counts[name] for c in children) for name in BASES}
    return Row(key=key, counts=counts, children=children)


def shown(row: Row, name: str) -> int | None:
    return None if name in row.hidden else row.counts[name]


def test_a_small_count_is_hidden_and_so_is_a_small_complement() -> None:
    a, b, c = leaf("A", 22, 3), leaf("B", 25, 23), leaf("C", 25, 12)
    year = total("4", [a, b, c])
    protect(year, bases=BASES)
    assert shown(a, "prepared") is None  # 3 pupils prepared
    assert shown(b, "prepared") is None  # 2 pupils did not
    assert shown(c, "prepared") == 12 and shown(c, "pupils") == 25


def test_only_subtraction_would_reveal_it() -> None:
    """B's 3 prepared are hidden; the year's 23 minus A's 20 would give them away."""
    a, b = leaf("A", 28, 20), leaf("B", 10, 3)
    year = total("4", [a, b])
    protect(year, bases=BASES)
    assert shown(b, "prepared") is None
    assert shown(year, "prepared") is None or shown(a, "prepared") is None
    if shown(year, "prepared") is not None and shown(a, "prepared") is not None:
        pytest.fail("23 - 20 = 3")


def test_hidden_cells_whose_sum_is_small_are_not_left_beside_a_total() -> None:
    a, b, c = leaf("A", 12, 2), leaf("B", 11, 1), leaf("C", 30, 15)
    year = total("4", [a, b, c])
    protect(year, bases=BASES)
    visible = [r for r in (a, b, c) if shown(r, "prepared") is not None]
    rest = year.counts["prepared"] - sum(r.counts["prepared"] for r in visible)
    assert shown(year, "prepared") is None or not small(rest)  # not "A and B: 3"


def test_a_sum_of_zero_does_not_tell_that_each_hidden_group_is_zero() -> None:
    a, b, c = leaf("A", 3, 0), leaf("B", 2, 0), leaf("C", 30, 10)
    year = total("4", [a, b, c])
    protect(year, bases=BASES)
    assert shown(a, "pupils") is None and shown(b, "pupils") is None
    assert shown(a, "prepared") is None and shown(b, "prepared") is None
    hidden = [r for r in (a, b, c) if shown(r, "prepared") is None]
    assert shown(year, "prepared") is None or sum(r.counts["prepared"] for r in hidden) >= MIN


def test_an_only_child_hidden_hides_its_parent() -> None:
    only = leaf("A", 4, 2)
    school = total("school", [total("4", [only])])
    protect(school, bases=BASES)
    assert all(shown(row, "pupils") is None for row in school.walk())


def test_nothing_is_hidden_when_nothing_is_small() -> None:
    school = total("s", [total("4", [leaf("A", 25, 10), leaf("B", 24, 12)])])
    protect(school, bases=BASES)
    assert all(not row.hidden for row in school.walk())


# ---- An attacker of its own: exact linear algebra over the table's sums -----------------


def determined(root: Row, name: str) -> set[int]:
    """The rows whose hidden `name` a reader can compute exactly from what is shown: the
    unit vectors in the row space of the sums' equations over the hidden cells."""
    rows = list(root.walk())
    unknown = [r for r in rows if name in r.hidden]
    index = {id(r): i for i, r in enumerate(unknown)}
    equations = []
    for parent in (r for r in rows if r.children):
        coefficients = [Fraction(0)] * len(unknown)
        for cell, sign in [(parent, 1), *((c, -1) for c in parent.children)]:
            if id(cell) in index:
                coefficients[index[id(cell)]] += sign
        if any(coefficients):
            equations.append(coefficients)
    # Reduced row echelon form; a cell is determined when some row is its unit vector.
    matrix, pivot_row = [e[:] for e in equations], 0
    for column in range(len(unknown)):
        found = next((r for r in range(pivot_row, len(matrix)) if matrix[r][column]), None)
        if found is None:
            continue
        matrix[pivot_row], matrix[found] = matrix[found], matrix[pivot_row]
        lead = matrix[pivot_row][column]
        matrix[pivot_row] = [v / lead for v in matrix[pivot_row]]
        for r in range(len(matrix)):
            if r != pivot_row and matrix[r][column]:
                factor = matrix[r][column]
                matrix[r] = [
                    v - factor * p for v, p in zip(matrix[r], matrix[pivot_row], strict=True)
                ]
        pivot_row += 1
    found_cells = set()
    for equation in matrix:
        nonzero = [i for i, v in enumerate(equation) if v]
        if len(nonzero) == 1:
            found_cells.add(id(unknown[nonzero[0]]))
    return found_cells


def random_school(rng: random.Random) -> Row:
    years = []
    for y in range(rng.randint(1, 4)):
        groups = []
        for g in range(rng.randint(1, 4)):
            pupils = rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12, 20, 25, 28])
            groups.append(leaf(f"{y}{g}", pupils, rng.randint(0, pupils)))
        years.append(total(str(y), groups))
    return total("school", years)


@pytest.mark.parametrize("seed", range(300))
def test_no_count_about_fewer_than_five_can_be_worked_out(seed: int) -> None:
    school = random_school(random.Random(seed))
    protect(school, bases=BASES)
    for row in school.walk():
        for name, base in BASES.items():
            c = row.counts[name]
            if name not in row.hidden:
                assert not small(c), (row.key, name, c)
                if base is not None and base not in row.hidden:
                    assert not small(row.counts[base] - c), (row.key, name, "complement")
    for name, base in BASES.items():
        leaks = determined(school, name)
        primary = {
            id(r)
            for r in school.walk()
            if small(r.counts[name])
            or (base is not None and small(r.counts[base] - r.counts[name]))
        }
        assert not leaks & primary, f"seed {seed}: a hidden {name} can be worked out"
