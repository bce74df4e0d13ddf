"""`iup roster import` and `iup roster sync`: the `iup` command's roster group (backend/cli.py
adds it; its `database` comes as the click context's object, so this room needs nothing
from the command above it). Its messages follow the command's language (backend/cli.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlmodel import Session

from backend.i18n import gettext
from backend.settings import Settings

if TYPE_CHECKING:
    from backend.roster.source import Summary

# The settings from the environment, and a session on their database.
Database = Callable[[], AbstractContextManager[tuple[Settings, Session]]]


@click.group()
def roster() -> None:
    """Who is who: people, groups, guardians and staff, from SS 12000 or CSV."""


SHOWN_LINES = 50


def _print_changes(summary: Summary, *, dry_run: bool) -> None:
    """What an import or sync changed: a line per entity, then the first SHOWN_LINES details."""
    click.echo(
        gettext("would change (dry run, nothing changed):") if dry_run else gettext("changed:")
    )
    row = gettext("%(entity)-14s %(created)6d created %(updated)6d updated %(ended)6d ended")
    for entity, change in summary.changes.items():
        counts = {"created": change.created, "updated": change.updated, "ended": change.ended}
        click.echo("  " + row % {"entity": entity, **counts})
    for line in summary.lines[:SHOWN_LINES]:
        click.echo(f"  {line}")
    if len(summary.lines) > SHOWN_LINES:
        more = gettext("… and %(count)d more") % {"count": len(summary.lines) - SHOWN_LINES}
        click.echo(f"  {more}")


@roster.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print what would change, and change nothing.")
@click.pass_obj
def roster_import(database: Database, path: Path, dry_run: bool) -> None:
    """Import PATH: an SS 12000 v2 folder (organisations.json, groups.json, persons.json,
    duties.json, activities.json) or one such file, or a CSV file (docs/roster.md). One
    transaction; a second import of the same data changes nothing. civicNo, addresses,
    e-mails and phone numbers are never read into the database."""
    from backend.roster import service

    steps = ["read", "schools", "groups", "persons", "memberships", "guardianships", "duties"]
    with (
        database() as (settings, session),
        click.progressbar(length=len(steps), label=gettext("importing"), file=sys.stderr) as bar,
    ):
        try:
            summary = service.import_roster(
                session,
                source=path,
                dry_run=dry_run,
                today=settings.today(),
                progress=lambda step: bar.update(1) if step in steps else None,
            )
        except service.RosterError as error:
            raise click.ClickException(str(error)) from error
    _print_changes(summary, dry_run=dry_run)


@roster.command("sync")
@click.argument("url")
@click.option("--full", is_flag=True, help="Read every list again, not only what changed.")
@click.option("--dry-run", is_flag=True, help="Print what would change, and change nothing.")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(min=1),
              help="Records asked for a page.")  # fmt: skip
@click.pass_obj
def roster_sync(database: Database, url: str, full: bool, dry_run: bool, limit: int) -> None:
    """Sync the roster from URL, a school's SS 12000 v2 API (docs/roster.md): the first time
    every list, later only what changed since (meta.modified.after, /deletedEntities). Token
    from IUP_SS12000_TOKEN, or IUP_SS12000_TOKEN_URL with IUP_SS12000_CLIENT_ID and
    IUP_SS12000_CLIENT_SECRET. One transaction: a failed request changes nothing."""
    from backend.roster import service, sync

    with (
        database() as (settings, session),
        click.progressbar(length=len(sync.STEPS), label=gettext("syncing"), file=sys.stderr) as bar,
    ):

        def progress(step: str) -> None:
            bar.label = step
            bar.update(1 if step in sync.STEPS else 0)

        try:
            result = sync.sync(
                session,
                url=url,
                credentials=sync.Credentials.from_settings(settings),
                today=settings.today(),
                full=full,
                dry_run=dry_run,
                limit=limit,
                progress=progress,
            )
        except (sync.SyncError, service.RosterError) as error:
            raise click.ClickException(str(error)) from error
    fetched = ", ".join(f"{n} {entity}" for entity, n in result.fetched.items())
    if result.full:
        read = gettext("read (everything): %(fetched)s; %(deleted)d deleted")
    else:
        read = gettext("read (changes only): %(fetched)s; %(deleted)d deleted")
    click.echo(read % {"fetched": fetched, "deleted": result.deleted})
    _print_changes(result.summary, dry_run=dry_run)
