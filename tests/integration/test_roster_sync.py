"""`iup roster sync URL` against a small SS 12000 API served from the repository's files
(tests/data/ss12000) on 127.0.0.1: paged two records a page with pageTokens, honouring
`meta.modified.after`, serving /deletedEntities and an OAuth2 token endpoint. A full sync
imports what the files import; a later one reads only what changed and changes only that;
a deletion ends the links; a refusal (401) or a dropped connection changes nothing."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from click.testing import CliRunner, Result

from backend.cli import main
from backend.roster import sync
from backend.settings import Settings
from tests.integration.test_cli import env_for
from tests.integration.test_roster import (
    DATA,
    _strings,
    dump,
    guardians,
    imported,
    query,
    stored_anywhere,
    u,
)

TOKEN = "s3cret-bearer"
CLIENT = ("iup-client", "client-secret")
PAGE = 2


class Api:
    """The source: records per entity, deletions with their times, and what went wrong."""

    def __init__(self) -> None:
        self.data: dict[str, list[dict[str, Any]]] = {
            f.stem: json.loads(f.read_text())["data"] for f in DATA.glob("*.json")
        }
        self.deleted: list[tuple[str, str, datetime]] = []  # entity, id, when
        self.requests: list[tuple[str, str, str]] = []  # method, path and query, Authorization
        self.fail: dict[str, str] = {}  # path → "401", "500" or "drop"
        self.pages: dict[str, list[dict[str, Any]]] = {}  # pageToken → the rest of a list
        self.tokens = 0

    def touch(self, entity: str, ref: str, **change: Any) -> None:
        record = next(r for r in self.data[entity] if r["id"] == ref)
        record.update(change)
        now = datetime.now(UTC).isoformat()
        record["meta"] = {**record["meta"], "modified": now}

    def delete(self, entity: str, ref: str) -> None:
        self.data[entity] = [r for r in self.data[entity] if r["id"] != ref]
        self.deleted.append((entity, ref, datetime.now(UTC)))

    def page(self, records: list[dict[str, Any]], limit: int) -> dict[str, Any]:
        token = None
        if len(records) > limit:
            self.tokens += 1
            token = f"t{self.tokens}"
            self.pages[token] = records[limit:]
        return {"data": records[:limit], "pageToken": token}


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, *_args: Any) -> None:
        pass

    def reply(self, status: int, body: Any) -> None:
        raw = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:
        api = self.server.api
        length = int(self.headers.get("Content-Length", 0))
        form = parse_qs(self.rfile.read(length).decode())
        auth = self.headers.get("Authorization", "")
        api.requests.append(("POST", self.path, auth))
        basic = "Basic " + base64.b64encode(":".join(CLIENT).encode()).decode()
        if (
            self.path != "/token"
            or auth != basic
            or form.get("grant_type") != ["client_credentials"]
        ):
            self.reply(401, {"error": "invalid_client"})
            return
        self.reply(200, {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600})

    def do_GET(self) -> None:
        api = self.server.api
        split = urlsplit(self.path)
        path = split.path.removeprefix("/ss12000/v2")
        q = {k: v[0] for k, v in parse_qs(split.query).items()}
        auth = self.headers.get("Authorization", "")
        api.requests.append(("GET", f"{path}?{split.query}", auth))
        if auth != f"Bearer {TOKEN}" or api.fail.get(path) == "401":
            self.reply(401, {"code": "unauthorized", "message": "no"})
            return
        if api.fail.get(path) == "slow":
            time.sleep(2)
        if api.fail.get(path) == "500":
            self.reply(500, {"code": "error", "message": "oops"})
            return
        if api.fail.get(path) == "drop":  # the headers, half the body, then the socket closes
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b'{"data": [{"id": ')
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        limit = int(q.get("limit", "1000"))
        if "pageToken" in q:
            self.reply(200, api.page(api.pages.pop(q["pageToken"]), limit))
            return
        if path == "/deletedEntities":
            after = datetime.fromisoformat(q["after"])
            data: dict[str, list[str]] = {}
            for entity, ref, when in api.deleted:
                if when > after:
                    data.setdefault("activitites" if entity == "activities" else entity, []).append(
                        ref
                    )
            self.reply(200, {"data": data, "pageToken": None})
            return
        records = api.data.get(path.strip("/"))
        if records is None:
            self.reply(404, {"code": "not_found", "message": path})
            return
        if "meta.modified.after" in q:
            after = datetime.fromisoformat(q["meta.modified.after"])
            records = [r for r in records if datetime.fromisoformat(r["meta"]["modified"]) > after]
        self.reply(200, api.page(records, limit))


class Server(ThreadingHTTPServer):
    api: Api


@pytest.fixture
def api() -> Iterator[tuple[Api, str]]:
    server = Server(("127.0.0.1", 0), Handler)
    server.api = Api()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.api, f"http://127.0.0.1:{server.server_address[1]}/ss12000/v2"
    finally:
        server.shutdown()
        server.server_close()


NO_CREDENTIALS = {
    "IUP_SS12000_TOKEN": None,
    "IUP_SS12000_TOKEN_URL": None,
    "IUP_SS12000_CLIENT_ID": None,
    "IUP_SS12000_CLIENT_SECRET": None,
}


def synced(
    settings: Settings,
    url: str,
    *args: str,
    ok: bool = True,
    env: dict[str, str | None] | None = None,
) -> Result:
    environment: dict[str, str | None] = {
        **env_for(settings),
        **NO_CREDENTIALS,
        "IUP_SS12000_TOKEN": TOKEN,
        **(env or {}),
    }
    result = CliRunner().invoke(
        main, ["roster", "sync", url, "--limit", str(PAGE), *args], env=environment,
        catch_exceptions=False,
    )  # fmt: skip
    assert (result.exit_code == 0) == ok, result.output
    return result


def changes(out: str) -> dict[str, tuple[int, int, int]]:
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 7 and parts[2] == "created":
            found[parts[0]] = (int(parts[1]), int(parts[3]), int(parts[5]))
    return found


def without_sync_tables(state: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {t: rows for t, rows in state.items() if not t.startswith("roster_")}


def test_a_full_sync_imports_what_the_files_import(
    settings: Settings, api: tuple[Api, str], tmp_path: Any
) -> None:
    source, url = api
    out = synced(settings, url).stdout
    assert "read (everything): 2 organisations, 4 groups, 11 persons, 3 duties, 2 activities" in out
    gets = [p for m, p, _ in source.requests if m == "GET"]
    assert any("pageToken=" in p for p in gets), "paged"
    assert all(a == f"Bearer {TOKEN}" for _, _, a in source.requests), "the bearer token sent"
    assert not any(p.startswith("/deletedEntities") for p in gets), "nothing to ask the first time"
    assert any(p.startswith("/activities?") and "expand=syllabus" in p for p in gets)
    after_sync = without_sync_tables(dump(settings))
    # the same as importing the files
    again = imported(settings)
    assert all(c == (0, 0, 0) for c in changes(again).values()), again
    assert without_sync_tables(dump(settings)) == after_sync
    kept = query(settings, "SELECT entity, count(*) FROM roster_record GROUP BY entity")
    assert sorted(kept) == [
        ("activities", 2), ("duties", 3), ("groups", 4), ("organisations", 2), ("persons", 11)
    ]  # fmt: skip


def test_a_later_sync_reads_only_the_changes_and_changes_only_them(
    settings: Settings, api: tuple[Api, str]
) -> None:
    source, url = api
    synced(settings, url)
    before = dump(settings)
    source.requests.clear()
    source.touch("persons", u(104), givenName="Anders-Petter")
    out = synced(settings, url).stdout
    assert (
        "read (changes only): 0 organisations, 0 groups, 1 persons, 0 duties, 0 activities" in out
    )
    gets = [p for m, p, _ in source.requests if m == "GET"]
    assert all("meta.modified.after=" in p for p in gets if not p.startswith("/deletedEntities"))
    assert any(p.startswith("/deletedEntities?after=") for p in gets)
    found = changes(out)
    assert found["persons"] == (0, 1, 0)
    assert all(c == (0, 0, 0) for e, c in found.items() if e != "persons"), out
    after = dump(settings)
    changed = {t for t in after if after[t] != before[t]}
    # (roster_source's time changes unless both syncs fell in the API clock's same second)
    assert changed - {"roster_source"} == {"person", "roster_record"}, changed
    assert query(settings, "SELECT given_name FROM person WHERE external_id = :e", e=u(104)) == [
        ("Anders-Petter",)
    ]
    # Nothing changed since: a third sync changes nothing in the roster.
    assert all(c == (0, 0, 0) for c in changes(synced(settings, url).stdout).values())


def test_a_membership_dropped_from_a_changed_group_is_ended(
    settings: Settings, api: tuple[Api, str]
) -> None:
    source, url = api
    synced(settings, url)
    five_a = next(g for g in source.data["groups"] if g["id"] == u(11))
    members = [m for m in five_a["groupMemberships"] if m["person"]["id"] != u(103)]
    source.touch("groups", u(11), groupMemberships=members)
    found = changes(synced(settings, url).stdout)
    assert found["memberships"] == (0, 0, 1)
    assert sum(sum(c) for c in found.values()) == 1
    assert (u(103),) not in query(
        settings,
        "SELECT p.external_id FROM grouppupil JOIN pupil_group g ON g.id = group_id"
        " JOIN person p ON p.id = pupil_id WHERE g.external_id = :g",
        g=u(11),
    )


def test_a_deletion_ends_the_links_of_what_was_deleted(
    settings: Settings, api: tuple[Api, str]
) -> None:
    source, url = api
    synced(settings, url)
    assert (u(107), u(106)) in guardians(settings)
    # Göran (God man) is deleted; Mira's record still names him (the source has not changed
    # it): the deletion ends the link all the same. The mentor's duty goes too.
    source.delete("persons", u(107))
    source.delete("duties", u(301))
    out = synced(settings, url).stdout
    assert "2 deleted" in out
    found = changes(out)
    assert found["guardianships"] == (0, 0, 1), out
    assert found["mentors"] == (0, 0, 1), out
    assert found["teachers"] == (0, 0, 1), out  # her Svenska in 5A was by that duty
    assert found["persons"] == (0, 0, 0), "people who leave the source are kept"
    assert (u(107), u(106)) not in guardians(settings)
    assert (u(108), u(106)) in guardians(settings)
    assert query(
        settings,
        "SELECT count(*) FROM groupmentor JOIN pupil_group g ON g.id = group_id"
        " WHERE g.external_id = :g",
        g=u(11),
    ) == [(0,)]
    assert query(
        settings, "SELECT count(*) FROM roster_record WHERE external_id = :e", e=u(107)
    ) == [(0,)]
    # and a later sync, with no new changes, does not bring it back
    assert all(c == (0, 0, 0) for c in changes(synced(settings, url).stdout).values())
    assert (u(107), u(106)) not in guardians(settings)


def test_a_deleted_group_ends_its_memberships(settings: Settings, api: tuple[Api, str]) -> None:
    source, url = api
    synced(settings, url)
    source.delete("groups", u(12))
    found = changes(synced(settings, url).stdout)
    assert found["memberships"] == (0, 0, 3)
    assert found["teachers"] == (0, 0, 1)


@pytest.mark.parametrize(
    ("fail", "expected"),
    [
        ("401", "the API refused the credentials (401 Unauthorized)"),
        ("500", "the API failed (500 Internal Server Error)"),
        ("drop", "the connection failed"),
    ],
)
def test_a_refusal_or_a_dropped_connection_changes_nothing(
    settings: Settings, api: tuple[Api, str], fail: str, expected: str
) -> None:
    source, url = api
    synced(settings, url)
    source.touch("persons", u(104), givenName="Anders-Petter")
    before = dump(settings)
    source.fail["/groups"] = fail  # persons were read already when groups fail
    result = synced(settings, url, ok=False)
    [line] = [x for x in result.stderr.splitlines() if x.startswith("Error")]
    assert expected in line and "/groups" in line, line
    assert dump(settings) == before
    source.fail.clear()
    assert changes(synced(settings, url).stdout)["persons"] == (0, 1, 0)


def test_a_timeout_changes_nothing(
    settings: Settings, api: tuple[Api, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source, url = api
    synced(settings, url)
    source.touch("persons", u(104), givenName="Anders-Petter")
    before = dump(settings)
    monkeypatch.setattr(sync, "TIMEOUT", httpx.Timeout(0.5))
    source.fail["/duties"] = "slow"
    result = synced(settings, url, ok=False)
    assert "/duties: no answer in time (ReadTimeout)" in result.stderr, result.stderr
    assert dump(settings) == before


def test_a_wrong_token_on_the_first_sync_changes_nothing(
    settings: Settings, api: tuple[Api, str]
) -> None:
    _, url = api
    before = dump(settings)
    result = synced(settings, url, ok=False, env={"IUP_SS12000_TOKEN": "wrong"})
    assert "401" in result.stderr and "/organisations" in result.stderr
    assert dump(settings) == before


def test_client_credentials_fetch_the_token(settings: Settings, api: tuple[Api, str]) -> None:
    source, url = api
    root = url.split("/ss12000", 1)[0]
    credentials: dict[str, str | None] = {
        "IUP_SS12000_TOKEN": "",
        "IUP_SS12000_TOKEN_URL": f"{root}/token",
        "IUP_SS12000_CLIENT_ID": CLIENT[0],
        "IUP_SS12000_CLIENT_SECRET": CLIENT[1],
    }
    synced(settings, url, env=credentials)
    assert source.requests[0][:2] == ("POST", "/token")
    assert all(a == f"Bearer {TOKEN}" for m, _, a in source.requests if m == "GET")
    wrong = {**credentials, "IUP_SS12000_CLIENT_SECRET": "nope"}
    before = dump(settings)
    result = synced(settings, url, ok=False, env=wrong)
    assert "/token: the API refused the credentials (401" in result.stderr
    assert dump(settings) == before


def test_a_dry_run_changes_nothing(settings: Settings, api: tuple[Api, str]) -> None:
    _, url = api
    before = dump(settings)
    out = synced(settings, url, "--dry-run").stdout
    assert "dry run" in out and changes(out)["persons"] == (11, 0, 0)
    assert dump(settings) == before


def test_no_identity_number_email_phone_or_address_is_kept(
    settings: Settings, api: tuple[Api, str]
) -> None:
    source, url = api
    secret: set[str] = set()
    for records in source.data.values():
        for record in records:
            for key in ("civicNo", "emails", "phoneNumbers", "addresses", "email", "address"):
                secret.update(s for s in _strings(record.get(key)) if len(s) > 3)
            secret.update(_strings(record.get("phoneNumber")))
    secret -= {"Privat", "Folkbokföring", "Besöksadress", "Småstad", "12345", "Sverige"}
    assert len(secret) > 40
    synced(settings, url)
    assert query(settings, "SELECT count(*) FROM roster_record") == [(22,)]
    assert stored_anywhere(settings, secret) == []
