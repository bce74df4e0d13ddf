"""Abuse limits on sign-in, enrolment and (later) signing: fixed-window counters in the
database, so every process shares them, keyed by a hash of the client's address or of the
code or person tried (no address is stored). Over the limit: 429 with Retry-After, logged
by the error room with the limit's name as the reason."""

from __future__ import annotations

import hashlib
import time
from functools import cache
from typing import Any

import msgspec
from sqlalchemy import bindparam, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from backend.errors import TooManyRequests
from backend.models import Challenge, RateLimit


class Limit(msgspec.Struct, frozen=True):
    name: str
    max: int
    window: int  # seconds


# A class behind one school address signs in within minutes; a script tries thousands.
# Where a whole municipality shares one address, IUP_SIGN_INS_PER_ADDRESS raises the first
# two (settings.py); the rest guard codes and passkeys, whatever the address.
SIGN_IN_START = Limit("sign_in_start", 120, 60)  # per address
SIGN_IN_FAILED = Limit("sign_in_failed", 30, 600)  # per address
PASSKEY_FAILED = Limit("passkey_failed", 10, 600)  # per passkey, wherever it is tried from
# per address: page, options, verify: a class of 30 signing up in the same minute, twice
ENROL_ATTEMPT = Limit("enrol_attempt", 180, 60)
CODE_GUESS = Limit("code_guess", 20, 600)  # per address: unknown, used or expired codes
CODE_TRIES = Limit("code_tries", 10, 600)  # per code: ceremonies started with it
LIVE_CHALLENGES = 10_000  # at most, across the whole service
SWEEP_AFTER = 86_400


def per_address(limit: Limit, per_minute: int) -> Limit:
    """`limit`, scaled to the configured sign-ins per minute from one address."""
    return Limit(limit.name, max(1, limit.max * per_minute // SIGN_IN_START.max), limit.window)


def clock() -> int:
    """Seconds since the epoch (tests hold it still, so no window ends mid-test)."""
    return int(time.time())


def _bucket(limit: Limit, who: str) -> str:
    return f"{limit.name}:{hashlib.sha256(who.encode()).hexdigest()[:32]}"


@cache
def _upsert(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(RateLimit).values(
        bucket=bindparam("bucket"), window_start=bindparam("window_start"), count=1
    )
    return statement.on_conflict_do_update(
        index_elements=["bucket"],
        set_={
            "count": case(
                (
                    col(RateLimit.window_start) == statement.excluded.window_start,
                    col(RateLimit.count) + 1,
                ),
                else_=1,
            ),
            "window_start": statement.excluded.window_start,
        },
    ).returning(col(RateLimit.count))


def hit(session: Session, *, limit: Limit, who: str, refuse: bool = True) -> None:
    """Counts one attempt and commits it; over the limit, refuses (unless `refuse` is off,
    for counting failures after the fact)."""
    now = clock()
    start = now - now % limit.window
    connection = session.connection()
    count: int = connection.execute(
        _upsert(connection.dialect.name),
        {"bucket": _bucket(limit, who), "window_start": start},
    ).scalar_one()
    if count == 1:  # a new window: the table keeps only recent ones
        connection.execute(delete(RateLimit).where(col(RateLimit.window_start) < now - SWEEP_AFTER))
    session.commit()
    if refuse and count > limit.max:
        raise TooManyRequests(limit.name, retry_after=start + limit.window - now)


def check(session: Session, *, limit: Limit, who: str) -> None:
    """Refuses when earlier failures have used up the limit; counts nothing."""
    now = clock()
    start = now - now % limit.window
    count = (
        session.connection()
        .execute(
            select(col(RateLimit.count)).where(
                col(RateLimit.bucket) == _bucket(limit, who), col(RateLimit.window_start) == start
            )
        )
        .scalar()
    )
    if count is not None and count >= limit.max:
        raise TooManyRequests(limit.name, retry_after=start + limit.window - now)


def check_live_challenges(session: Session) -> None:
    """However many addresses an attack comes from, the challenge table stays bounded."""
    live = session.connection().execute(select(func.count()).select_from(Challenge)).scalar()
    if live is not None and live >= LIVE_CHALLENGES:
        raise TooManyRequests("live_challenges", retry_after=60)
