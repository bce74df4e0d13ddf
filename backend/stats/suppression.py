"""Figures about pupils that reveal no one (issue 22): which counts of a table to hide.

A table is a tree of rows (groups under their school year under the school; schools under
the organisation), and each row counts pupils: all of them, and of those, how many did
something. A count `c` is part of a base `d` (the row's pupils, or a part of them), so the
table also tells `d - c`: the pupils who did not.

Primary: a count is hidden when it is about fewer than MIN pupils, 0 < c < MIN, or when its
complement is, 0 < d - c < MIN (a base of fewer than MIN pupils is always one of the two).

Complementary, column by column: a row is the sum of its children, so whoever reads the
table can work out a hidden count where it is the last unknown of a row and its children
(a total minus the shown parts, or the parts added up), and then the next, and so on.
Where two or more stay unknown, their sum is known: it must not be a count about fewer than
MIN pupils either (nor 0 when one of them is hidden for its own sake: then each is 0).
While anything hidden for its own sake can be worked out so, one more count is hidden: in
the row and children that gave it away, the smallest shown leaf, else the row itself."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

MIN = 5


class Row(msgspec.Struct, kw_only=True):
    """A row of counts: `counts[name]`; after `protect`, the names to hide in `hidden`."""

    key: str
    counts: dict[str, int]
    children: list[Row] = msgspec.field(default_factory=list)
    hidden: set[str] = msgspec.field(default_factory=set)

    def walk(self) -> Iterator[Row]:
        yield self
        for child in self.children:
            yield from child.walk()


def small(n: int) -> bool:
    return 0 < n < MIN


def protect(root: Row, *, bases: dict[str, str | None]) -> None:
    """Marks in each row's `hidden` the counts to hide. `bases[name]` names the count that
    `name` is part of (None: a count with no complement, such as the pupils themselves).
    A base comes before the counts that are part of it in `bases`."""
    for name, base in bases.items():
        _Column(root, name, base).protect()


class _Column:
    def __init__(self, root: Row, name: str, base: str | None) -> None:
        self.name, self.base = name, base
        self.rows = list(root.walk())
        self.families = [(row, row.children) for row in self.rows if row.children]
        self.primary = {id(row) for row in self.rows if self._small(row, row.counts[name])}
        for row in self.rows:
            if id(row) in self.primary:
                row.hidden.add(name)

    def _small(self, row: Row, count: int) -> bool:
        base = self.base
        return small(count) or (base is not None and small(row.counts[base] - count))

    def protect(self) -> None:
        while (row := self._next()) is not None:
            if self.name in row.hidden:  # no way found to stop it: the column goes
                for each in self.rows:
                    each.hidden.add(self.name)
                return
            row.hidden.add(self.name)

    def _next(self) -> Row | None:
        """One more row to hide, or None when no hidden count can be worked out."""
        name = self.name
        known = {id(row) for row in self.rows if name not in row.hidden}
        given_by: dict[int, tuple[Row, list[Row]]] = {}  # a worked-out row: its family
        changed = True
        while changed:
            changed = False
            for family in self.families:
                parent, children = family
                unknown = [c for c in (parent, *children) if id(c) not in known]
                if len(unknown) == 1:
                    known.add(id(unknown[0]))
                    given_by[id(unknown[0])] = family
                    changed = True
        for row in self.rows:
            if id(row) in self.primary and id(row) in known:
                return self._breaking(given_by[id(row)], given_by, avoid=row)
        for family in self.families:
            parent, children = family
            unknown = [c for c in children if id(c) not in known]
            if id(parent) in known and unknown and self._sum_exposed(parent, children, known):
                return self._breaking(family, given_by, avoid=None)
        return None

    def _sum_exposed(self, parent: Row, children: list[Row], known: set[int]) -> bool:
        """Whether the unknown children's sum (the parent minus the known ones) tells a
        count about fewer than MIN pupils, or 0 for a count hidden for its own sake."""
        name, base = self.name, self.base
        unknown = [c for c in children if id(c) not in known]
        rest = parent.counts[name] - sum(c.counts[name] for c in children if id(c) in known)
        hidden_for_itself = any(id(c) in self.primary for c in unknown)
        if small(rest) or (rest == 0 and hidden_for_itself):
            return True
        if base is None or any(base in c.hidden for c in unknown):
            return False
        whole = sum(c.counts[base] for c in unknown)  # their base, shown: the complement too
        return small(whole - rest) or (whole == rest and hidden_for_itself)

    def _breaking(
        self,
        family: tuple[Row, list[Row]],
        given_by: dict[int, tuple[Row, list[Row]]],
        *,
        avoid: Row | None,
    ) -> Row:
        """A shown row of `family` whose hiding stops what the family gives away: its
        smallest shown leaf, else the parent; when all of them are themselves worked out,
        what gave the parent (or another of them) away is broken instead."""
        parent, children = family
        name = self.name
        leaves = [c for c in children if not c.children and name not in c.hidden and c is not avoid]
        if leaves:
            return min(leaves, key=lambda c: (c.counts[name], c.key))
        if parent is not avoid and name not in parent.hidden:
            return parent
        shown = [c for c in children if name not in c.hidden and c is not avoid]
        if shown:
            return min(shown, key=lambda c: (c.counts[name], c.key))
        for row in (parent, *children):
            if row is not avoid and id(row) in given_by and given_by[id(row)] is not family:
                return self._breaking(given_by[id(row)], given_by, avoid=None)
        return parent  # not reached: some row of a family that gives a count away is known
