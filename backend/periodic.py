"""Periodic work, one mechanism: the app's lifespan runs every pass at start-up (before the
first request) and then once an hour, each pass on a session of its own in a worker
thread. A failing pass is logged and tried again the next hour; the others still run.

- Closing ended terms (backend/terms/closing.py): a term whose last day has passed closes
  by itself, and its plans are archived.
- Retention (backend/retention/, gallring): what is past its period goes. Periods are 0
  (kept for ever) until a school or IUP_RETENTION_* sets them, and then nothing waits for
  someone to remember a command.
- Pushes a stopped process queued but did not send (backend/notifications/push.py).

Of a municipality's processes, one runs each hour's passes: the one that takes the lease
(`PeriodicLease`, one row the database arbitrates) when it has run out; the others find it
taken and skip that hour. A restart within the hour therefore leaves the passes to the
next. Every pass is idempotent besides, so a pass that overlaps another finds nothing left
to do. `iup gallra` runs the retention pass by hand (with --dry-run, to see what it would
remove)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from litestar import Litestar
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from backend.models import PeriodicLease, utcnow
from backend.notifications import push
from backend.retention import service as retention
from backend.settings import Settings
from backend.terms.closing import close_ended

log = logging.getLogger("iup")

EVERY = 3600.0  # seconds between passes (each is one small query when there is nothing to do)


def close_terms(session: Session, settings: Settings) -> None:
    for each in close_ended(session, today=settings.today()):
        log.info("closed term %d: %d plans archived", each.term_id, each.plans_archived)


def remove_what_is_due(session: Session, settings: Settings) -> None:
    for removal in retention.remove_due(session, settings=settings, now=utcnow()):
        log.info("gallra %s", removal.line(apply=True))


def send_pushes(session: Session, settings: Settings) -> None:
    """Pushes a stopped process queued and did not send (each is sent at most once)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if sent := push.drain(engine, settings):
        log.info("push: %d sent that were left", sent)


PASSES: tuple[Callable[[Session, Settings], None], ...] = (
    close_terms,
    remove_what_is_due,
    send_pushes,
)


LEASE = "passes"
HOLDER = f"{socket.gethostname()[:60]}:{os.getpid()}"


def take_lease(engine: Engine, *, now: int, seconds: int = int(EVERY) - 60) -> bool:
    """Whether this process runs this hour's passes: it takes the lease when nobody holds
    it past `now` (seconds since the epoch). Racing processes: the database lets one UPDATE
    (or, the first time, one INSERT) through."""
    table = PeriodicLease.__table__  # type: ignore[attr-defined]
    values = {"until": now + seconds, "holder": HOLDER}
    with engine.begin() as connection:
        taken = connection.execute(
            update(table).where(table.c.name == LEASE, table.c.until <= now).values(values)
        )
        if taken.rowcount:
            return True
        if connection.execute(select(table.c.name).where(table.c.name == LEASE)).first():
            return False
    try:
        with engine.begin() as connection:
            connection.execute(insert(table).values(name=LEASE, **values))
    except IntegrityError:  # another process inserted it first
        return False
    return True


def run_passes(engine: Engine, settings: Settings) -> int:
    """Every pass once, if this process holds the lease; returns how many failed (each
    failure is logged, never raised)."""
    if not take_lease(engine, now=int(time.time())):
        log.info("periodic work: another process runs this hour's passes")
        return 0
    failed = 0
    for each in PASSES:
        try:
            with Session(engine, expire_on_commit=False) as session:
                each(session, settings)
        except Exception:
            log.exception("periodic work failed: %s", each.__name__)
            failed += 1
    return failed


@asynccontextmanager
async def periodic_work(app: Litestar) -> AsyncIterator[None]:
    """The app's lifespan: the passes at start-up, then every EVERY seconds, stopped with
    the app."""
    engine, settings = app.state.engine, app.state.settings
    await asyncio.to_thread(run_passes, engine, settings)

    async def every_hour() -> None:
        while True:
            await asyncio.sleep(EVERY)
            await asyncio.to_thread(run_passes, engine, settings)

    task = asyncio.create_task(every_hour())
    try:
        yield
    finally:
        task.cancel()
