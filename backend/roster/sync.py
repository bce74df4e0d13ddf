"""`iup roster sync URL`: the roster straight from a school's SS 12000 v2 API.

Everything is fetched first, then applied in one transaction by the same rules as
`iup roster import` (backend/roster/service.py): a failed request (401/403, a server error,
a timeout, a dropped connection) or a malformed record changes nothing.

- Authentication: a bearer token (`IUP_SS12000_TOKEN`), or OAuth2 client credentials
  (`IUP_SS12000_TOKEN_URL`, `IUP_SS12000_CLIENT_ID`, `IUP_SS12000_CLIENT_SECRET`: a POST of
  `grant_type=client_credentials` with the client's id and secret as HTTP Basic, RFC 6749
  §4.4), whose `access_token` is then the bearer token.
- Lists: GET {URL}/organisations, /persons, /groups, /duties, /activities (expand=syllabus,
  expandReferenceNames=true: the subject's name), `limit` records a page, following
  `pageToken` (alone with `limit`, as the standard says) until the server gives none.
  A person carries her `responsibles` herself: no expand is needed for them.
- The first sync (or `--full`) reads every list. A later one asks each list only for what
  changed, `meta.modified.after` the time the last one started (by the API's clock, its
  `Date` header, less a minute's overlap: reading a record twice changes nothing), and
  GET /deletedEntities?after=… for what the source deleted.
- The records a sync read are kept (`roster_record`: only the fields ss12000.py decodes,
  never an identity number, address, e-mail or phone), so that a later sync, given only the
  changes, still applies the whole roster: a changed record replaces its old one, a deleted
  one goes, and the roster built from them is applied as an import is. So a later sync ends
  only links that the changes end — a membership dropped from a changed group, a guardian
  dropped from a changed child, a mentor role dropped from a changed duty, and every link of
  a deleted person, group, duty, activity or school — and links whose dates have passed;
  nothing is ended for being absent from the changes.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import msgspec
from sqlalchemy import delete, insert, select
from sqlmodel import Session

from backend.models import RosterRecord, RosterSource
from backend.roster import service, ss12000, ss12000_schema
from backend.roster.source import Origin, RosterError, Summary, chunks
from backend.settings import Settings

OVERLAP = timedelta(minutes=1)
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
LIMIT = 500
EXTRA: dict[str, dict[str, str]] = {
    "activities": {"expand": "syllabus", "expandReferenceNames": "true"},
}
# The steps a sync reports, in order (the CLI's progress bar)
STEPS = (
    *(f"GET /{e}" for e in ss12000.ENTITIES),
    "GET /deletedEntities",
    "schools",
    "groups",
    "persons",
    "memberships",
    "guardianships",
    "duties",
)

Progress = Callable[[str], None]


class SyncError(Exception):
    """The API could not be read: one line saying why. Nothing was changed."""


class _Deleted(msgspec.Struct):
    """DeletedEntities.data: lists of ids per entity type (`activitites` as the standard
    spells it)."""

    organisations: list[str] = []
    persons: list[str] = []
    groups: list[str] = []
    duties: list[str] = []
    activitites: list[str] = []
    activities: list[str] = []


class _DeletedPage(msgspec.Struct):
    data: _Deleted
    pageToken: str | None = None


class _Token(msgspec.Struct):
    access_token: str


@dataclass(frozen=True)
class Credentials:
    token: str = ""
    token_url: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Credentials:
        return cls(
            token=settings.ss12000_token,
            token_url=settings.ss12000_token_url,
            client_id=settings.ss12000_client_id,
            client_secret=settings.ss12000_client_secret,
        )


@dataclass
class Fetched:
    records: ss12000.Records
    deleted: dict[str, set[str]]
    started: datetime  # by the API's clock
    full: bool


class Result(msgspec.Struct):
    summary: Summary
    full: bool
    fetched: dict[str, int]
    deleted: int


def _fail(url: str, response: httpx.Response) -> SyncError:
    code = response.status_code
    reason = response.reason_phrase or ""
    if code in (401, 403):
        return SyncError(f"{url}: the API refused the credentials ({code} {reason})")
    if code >= 500:
        return SyncError(f"{url}: the API failed ({code} {reason}); try again later")
    return SyncError(f"{url}: the API answered {code} {reason}")


def _send(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException as error:
        raise SyncError(f"{url}: no answer in time ({type(error).__name__})") from error
    except httpx.HTTPError as error:  # a refused or dropped connection, a broken answer
        raise SyncError(
            f"{url}: the connection failed ({error or type(error).__name__})"
        ) from error
    if not response.is_success:
        raise _fail(url, response)
    return response


def _bearer(client: httpx.Client, credentials: Credentials) -> str:
    if credentials.token_url:
        if not (credentials.client_id and credentials.client_secret):
            raise SyncError(
                "IUP_SS12000_TOKEN_URL is set: IUP_SS12000_CLIENT_ID and "
                "IUP_SS12000_CLIENT_SECRET are needed too"
            )
        basic = base64.b64encode(
            f"{credentials.client_id}:{credentials.client_secret}".encode()
        ).decode()
        response = _send(
            client,
            "POST",
            credentials.token_url,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
        )
        try:
            return msgspec.json.decode(response.content, type=_Token).access_token
        except msgspec.DecodeError as error:
            raise SyncError(f"{credentials.token_url}: no access_token in the answer") from error
    if credentials.token:
        return credentials.token
    raise SyncError("set IUP_SS12000_TOKEN, or IUP_SS12000_TOKEN_URL with a client id and secret")


def _server_time(response: httpx.Response) -> datetime:
    try:
        stamp = parsedate_to_datetime(response.headers["date"])
    except (KeyError, TypeError, ValueError):
        return datetime.now(UTC)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _pages(
    client: httpx.Client,
    url: str,
    params: dict[str, str],
    *,
    limit: int,
    progress: Progress,
    read: Callable[[str, httpx.Response], str | None],
) -> None:
    """Each page of a list to `read` (which gives the page's `pageToken`), following
    `pageToken` until the server gives none."""
    label = f"GET /{url.rsplit('/', 1)[-1]}"
    token: str | None = None
    seen: set[str] = set()
    number = 0
    while True:
        number += 1
        name = f"{label} (page {number})"
        progress(name)
        query = {"pageToken": token} if token else dict(params)
        response = _send(client, "GET", url, params={**query, "limit": str(limit)})
        token = read(name, response)
        if not token:
            return
        if token in seen:
            raise SyncError(f"{url}: the API gave the same pageToken twice")
        seen.add(token)


def fetch(
    client: httpx.Client,
    base: str,
    *,
    since: datetime | None,
    limit: int,
    progress: Progress,
) -> Fetched:
    records: ss12000.Records = {e: {} for e in ss12000.ENTITIES}
    times: list[datetime] = []
    after = {"meta.modified.after": since.isoformat()} if since else {}

    def reader(entity: str) -> Callable[[str, httpx.Response], str | None]:
        def read(name: str, response: httpx.Response) -> str | None:
            if not times:
                times.append(_server_time(response))
            found, token = ss12000.decode_page(name, response.content, entity)
            for origin, record in found:
                records[entity][record.id] = (origin, record)
            return token

        return read

    for entity in ss12000.ENTITIES:
        progress(f"GET /{entity}")
        params = {**after, **EXTRA.get(entity, {})}
        _pages(
            client, f"{base}/{entity}", params, limit=limit, progress=progress, read=reader(entity)
        )
    deleted: dict[str, set[str]] = {e: set() for e in ss12000.ENTITIES}

    def read_deleted(name: str, response: httpx.Response) -> str | None:
        try:
            page = msgspec.json.decode(response.content, type=_DeletedPage)
        except msgspec.DecodeError as error:
            raise RosterError(f"{name}: not an SS 12000 deletedEntities page: {error}") from error
        for entity in ("organisations", "persons", "groups", "duties"):
            deleted[entity].update(getattr(page.data, entity))
        deleted["activities"].update(page.data.activitites, page.data.activities)
        return page.pageToken

    progress("GET /deletedEntities")
    if since is not None:
        after = {"after": since.isoformat()}
        url = f"{base}/deletedEntities"
        _pages(client, url, after, limit=limit, progress=progress, read=read_deleted)
    return Fetched(records, deleted, times[0], full=since is None)


def _stored(session: Session, source_id: int, *, full: bool) -> ss12000.Records:
    """The records the last sync kept. Ones this version cannot read (kept by another
    version of IUP) are fine for a full sync, which replaces them all."""
    table = RosterRecord.__table__  # type: ignore[attr-defined]
    records: ss12000.Records = {e: {} for e in ss12000.ENTITIES}
    decoders = {e: msgspec.json.Decoder(ss12000_schema.KINDS[e]) for e in ss12000.ENTITIES}
    query = select(table.c.entity, table.c.external_id, table.c.body).where(
        table.c.source_id == source_id
    )
    for index, row in enumerate(session.execute(query)):
        entity, ext, body = str(row[0]), str(row[1]), bytes(row[2])
        if entity in decoders:
            origin = Origin(f"stored {entity}", index, ext)
            try:
                records[entity][ext] = (origin, decoders[entity].decode(body))
            except msgspec.DecodeError as error:
                if full:
                    continue
                raise SyncError(
                    f"{origin}: the record kept from the last sync cannot be read ({error}); "
                    "run `iup roster sync --full`"
                ) from error
    return records


def _merge(stored: ss12000.Records, fetched: Fetched) -> tuple[ss12000.Records, ss12000.Records]:
    """The source's records now, and the ones it no longer holds."""
    ended: ss12000.Records = {e: {} for e in ss12000.ENTITIES}
    if fetched.full:
        for entity, held in stored.items():
            ended[entity] = {k: v for k, v in held.items() if k not in fetched.records[entity]}
        return fetched.records, ended
    records: ss12000.Records = {e: dict(stored.get(e, {})) for e in ss12000.ENTITIES}
    for entity, changed in fetched.records.items():
        records[entity].update(changed)
    for entity, ids in fetched.deleted.items():
        for ext in ids:
            if ext in records[entity]:
                ended[entity][ext] = records[entity].pop(ext)
    return records, ended


def _store(session: Session, *, base: str, source_id: int | None, fetched: Fetched) -> None:
    sources = RosterSource.__table__  # type: ignore[attr-defined]
    table = RosterRecord.__table__  # type: ignore[attr-defined]
    if source_id is None:
        session.execute(insert(sources).values(url=base, synced_at=fetched.started))
        source_id = session.execute(select(sources.c.id).where(sources.c.url == base)).scalar_one()
    else:
        session.execute(
            sources.update().where(sources.c.id == source_id).values(synced_at=fetched.started)
        )
    gone: list[tuple[str, str]] = []
    if fetched.full:
        session.execute(delete(table).where(table.c.source_id == source_id))
    else:
        gone = [(e, ext) for e, held in fetched.records.items() for ext in held]
        gone += [(e, ext) for e, ids in fetched.deleted.items() for ext in ids]
    for part in chunks(gone):
        for entity, ext in part:
            session.execute(
                delete(table).where(
                    table.c.source_id == source_id,
                    table.c.entity == entity,
                    table.c.external_id == ext,
                )
            )
    rows = [
        {
            "source_id": source_id,
            "entity": entity,
            "external_id": ext,
            "body": msgspec.json.encode(record),
        }
        for entity, held in fetched.records.items()
        for ext, (_, record) in held.items()
    ]
    for chunk in chunks(rows):
        session.execute(insert(table), chunk)


def sync(
    session: Session,
    *,
    url: str,
    credentials: Credentials,
    today: date,
    full: bool = False,
    dry_run: bool = False,
    limit: int = LIMIT,
    progress: Progress | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Result:
    """Raises SyncError (the API could not be read) or RosterError (a malformed record,
    named), and then changes nothing."""
    step = progress or (lambda _what: None)
    base = url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise SyncError(f"{url}: not an http(s) URL")
    sources = RosterSource.__table__  # type: ignore[attr-defined]
    known = session.execute(
        select(sources.c.id, sources.c.synced_at).where(sources.c.url == base)
    ).first()
    session.rollback()  # no transaction held while the API is read
    since = None if full or known is None else _aware(known[1]) - OVERLAP
    with httpx.Client(timeout=TIMEOUT, transport=transport, follow_redirects=False) as client:
        bearer = _bearer(client, credentials)
        client.headers.update({"Authorization": f"Bearer {bearer}", "Accept": "application/json"})
        fetched = fetch(client, base, since=since, limit=limit, progress=step)
    with service.one_transaction(session, dry_run=dry_run):
        known = session.execute(
            select(sources.c.id, sources.c.synced_at).where(sources.c.url == base)
        ).first()
        source_id = int(known[0]) if known else None
        stored = _stored(session, source_id, full=fetched.full) if source_id is not None else {}
        records, ended = _merge(stored, fetched)
        roster = ss12000.build(records, today=today, ended=ended, dangling="drop")
        summary = service.apply(session, roster=roster, step=step)
        _store(session, base=base, source_id=source_id, fetched=fetched)
    step("done")
    return Result(
        summary=summary,
        full=fetched.full,
        fetched={e: len(held) for e, held in fetched.records.items()},
        deleted=sum(len(ids) for ids in fetched.deleted.values()),
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
