"""The `iup` command through click's CliRunner, on a copy of the migrated, seeded database:
printed links work, errors are one line on stderr, the seed is idempotent. And `make run`
as a newcomer meets it: what it installs, and the demo's people printed last."""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import msgspec
import pytest
import segno
from click.testing import CliRunner, Result
from litestar.testing import TestClient
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, func, select

from backend.app import create_app
from backend.cli import main
from backend.db import make_engine
from backend.demo import external
from backend.models import Person, Signature
from backend.settings import Settings, from_env, origin_file, record_origin
from tests.softauthn import SoftAuthenticator
from tests.support import DEMO_LINE, free_port, stop_server

# Tests of the SQLite file itself (its folder, the origin recorded beside it, its backup)
# or of a database of their own: the run on PostgreSQL leaves them out.
SQLITE_FILE = pytest.mark.database("sqlite")
LINK = re.compile(r"(https?://\S+)/enrol/([A-Za-z0-9_-]{16,})")
REPO = Path(__file__).resolve().parents[2]


def env_for(settings: Settings) -> dict[str, str]:
    """The command's environment; in English (the messages these tests read), whatever the
    shell's LANG (tests/integration/test_cli_language.py has the other languages)."""
    return {
        "IUP_DATABASE_URL": settings.database_url,
        "IUP_ORIGIN": settings.origin,
        "IUP_RP_ID": settings.rp_id,
        "IUP_SECRET_KEY": settings.secret_key,
        "LC_ALL": "C.UTF-8",
    }


def iup(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env_for(settings), catch_exceptions=False)


def code_from(settings: Settings, result: Result) -> str:
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1, lines
    match = LINK.fullmatch(lines[0])
    assert match, lines[0]
    assert match.group(1) == settings.origin
    return match.group(2)


def external_person(settings: Settings, key: str) -> Person:
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        person = session.exec(select(Person).where(Person.external_id == external(key))).one()
    engine.dispose()
    return person


def count_people(settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(Person)).one()
    engine.dispose()
    return count


@pytest.mark.parametrize("ref", ["id", "external"])
def test_enrol_prints_a_link_that_works(settings: Settings, ref: str) -> None:
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        alva = session.exec(select(Person).where(Person.external_id == external("alva"))).one()
    engine.dispose()
    code = code_from(
        settings, iup(settings, "enrol", str(alva.id) if ref == "id" else external("alva"))
    )
    with TestClient(create_app(settings)) as client:
        page = client.get(f"/enrol/{code}")
    assert page.status_code == 200
    assert "Alva" in page.text and f'data-options-url="/enrol/{code}/options"' in page.text


def test_enrol_an_unknown_person_fails_with_a_reason(settings: Settings) -> None:
    result = iup(settings, "enrol", "999999")
    assert result.exit_code != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "999999" in lines[0] and "no person" in lines[0]


def test_a_new_link_replaces_the_unused_one(settings: Settings) -> None:
    first = code_from(settings, iup(settings, "enrol", external("elias")))
    second = code_from(settings, iup(settings, "enrol", external("elias")))
    assert first != second
    with TestClient(create_app(settings)) as client:
        assert client.get(f"/enrol/{first}").status_code == 410
        assert client.get(f"/enrol/{second}").status_code == 200


@SQLITE_FILE
def test_demo_is_idempotent(tmp_path: Path) -> None:
    fresh = Settings(database_url=f"sqlite:///{tmp_path / 'iup.db'}", secret_key="test-secret")
    assert iup(fresh, "db", "upgrade").exit_code == 0
    first = iup(fresh, "demo")
    people = count_people(fresh)
    second = iup(fresh, "demo")
    assert people > 10 and count_people(fresh) == people
    for result in (first, second):
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert len(lines) == people, "one line per person"
        rows = [DEMO_LINE.match(line) for line in lines]
        assert all(rows), lines
        assert [(r["role"], r["name"]) for r in rows if r and r["name"] == "Alva Nilsson"] == [
            ("pupil in 4A", "Alva Nilsson")
        ]
    codes = LINK.findall(first.stdout + second.stdout)
    assert len(codes) == 2 * people
    assert len(set(codes)) == len(codes), "each run prints fresh links"


@SQLITE_FILE
def test_db_upgrade_creates_the_tables(tmp_path: Path) -> None:
    fresh = Settings(database_url=f"sqlite:///{tmp_path / 'iup.db'}", secret_key="test-secret")
    assert not (tmp_path / "copy.db").exists()
    result = iup(fresh, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("created the database"), result.stdout
    assert "up to date" not in result.stdout
    again = iup(fresh, "db", "upgrade")
    assert again.exit_code == 0, again.output
    assert "up to date" in again.stdout and "created" not in again.stdout
    engine = make_engine(fresh.database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"person", "plan", "goal", "passkeycredential", "login_session"} <= tables
    assert "alembic_version" in tables
    assert count_people(fresh) == 0


@SQLITE_FILE
def test_db_upgrade_creates_the_directory_too(tmp_path: Path) -> None:
    fresh = Settings(
        database_url=f"sqlite:///{tmp_path / 'new' / 'iup.db'}", secret_key="test-secret"
    )
    result = iup(fresh, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new" / "iup.db").exists()


@SQLITE_FILE
def test_demo_prints_each_persons_id_for_enrol_and_saves_the_lines(tmp_path: Path) -> None:
    fresh = Settings(database_url=f"sqlite:///{tmp_path / 'iup.db'}", secret_key="test-secret")
    assert iup(fresh, "db", "upgrade").exit_code == 0
    saved = tmp_path / "var" / "demo-links.txt"
    result = iup(fresh, "demo", "--save", str(saved))
    assert result.exit_code == 0, result.output
    assert saved.read_text() == result.stdout, "the file holds exactly the printed lines"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600, "one-time links: for the owner only"
    rows = {m["name"]: m for m in map(DEMO_LINE.match, result.stdout.splitlines()) if m}
    assert len(rows) == count_people(fresh)
    code = code_from(fresh, iup(fresh, "enrol", rows["Elias Karlsson"]["id"]))
    assert code not in result.stdout
    with TestClient(create_app(fresh)) as client:
        page = client.get(f"/enrol/{code}")
        assert page.status_code == 200 and "Elias" in page.text
        printed = LINK.search(rows["Elias Karlsson"]["url"])
        assert printed
        assert client.get(f"/enrol/{printed.group(2)}").status_code == 410, "replaced"


def test_links_and_the_qr_code_lead_to_iup_origin(settings: Settings) -> None:
    """On a phone the link must lead to the address the phone reaches (IUP_ORIGIN), not
    to localhost; the QR code holds the same link."""
    tunnel = msgspec.structs.replace(settings, origin="https://iup-demo.example.org")
    result = iup(tunnel, "enrol", external("maja"), "--qr")
    assert result.exit_code == 0, result.output
    url, *qr = result.stdout.splitlines()
    assert url.startswith("https://iup-demo.example.org/enrol/")
    drawn = io.StringIO()
    segno.make(url, error="m").terminal(out=drawn, compact=True)
    assert qr == drawn.getvalue().splitlines()
    demo = iup(tunnel, "demo")
    assert all(
        line.split()[-1].startswith("https://iup-demo.example.org/enrol/")
        for line in demo.stdout.splitlines()
    )


@SQLITE_FILE
def test_rp_id_follows_iup_origin_unless_set(tmp_path: Path) -> None:
    """One variable to try it on a phone through a tunnel: the passkeys' RP id is the
    origin's host name unless IUP_RP_ID says otherwise."""
    # A database of its own: no origin recorded beside it (not the checkout's var/origin).
    base = {"IUP_SECRET_KEY": "test-secret", "IUP_DATABASE_URL": f"sqlite:///{tmp_path}/iup.db"}
    tunnel = from_env({**base, "IUP_ORIGIN": "https://iup-demo.example.org"})
    assert tunnel.rp_id == "iup-demo.example.org"
    parent = from_env({**base, "IUP_ORIGIN": "https://iup.kommun.se", "IUP_RP_ID": "kommun.se"})
    assert parent.rp_id == "kommun.se"
    assert from_env(base).rp_id == "localhost"
    assert from_env(base).origin == "http://localhost:8000"


@SQLITE_FILE
def test_the_origin_iup_serve_recorded_is_every_commands_unless_iup_origin_says(
    tmp_path: Path,
) -> None:
    """`iup serve` records the origin it serves beside the SQLite database; a command
    without IUP_ORIGIN takes it from there (the RP id following it), IUP_ORIGIN wins. A
    database server has no such file: there every process is given IUP_ORIGIN."""
    base = {"IUP_SECRET_KEY": "test-secret", "IUP_DATABASE_URL": f"sqlite:///{tmp_path}/iup.db"}
    assert record_origin(base["IUP_DATABASE_URL"], "https://iup-demo.example.org") == (
        tmp_path / "origin"
    )
    recorded = from_env(base)
    assert (recorded.origin, recorded.rp_id) == (
        "https://iup-demo.example.org",
        "iup-demo.example.org",
    )
    told = from_env({**base, "IUP_ORIGIN": "http://localhost:8080"})
    assert (told.origin, told.rp_id) == ("http://localhost:8080", "localhost")
    assert from_env({**base, "IUP_RP_ID": "example.org"}).rp_id == "example.org"
    (tmp_path / "origin").write_text("not an origin\n")
    assert from_env(base).origin == "http://localhost:8000", "nonsense is not read"
    assert origin_file("postgresql+psycopg://iup@db.internal/iup") is None
    assert origin_file("sqlite+pysqlite:///var/iup.db") == Path("var/origin")


def without_iup_origin(settings: Settings) -> dict[str, str | None]:
    """A shell of its own, where IUP_ORIGIN and IUP_RP_ID are not set (None unsets)."""
    return {**env_for(settings), "IUP_ORIGIN": None, "IUP_RP_ID": None}


def serving(settings: Settings, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`iup serve --port PORT` on the settings' database, IUP_ORIGIN unset; returns once it
    answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IUP_")}
    env |= {
        "IUP_DATABASE_URL": settings.database_url,
        "IUP_SECRET_KEY": settings.secret_key,
        "PYTHONWARNINGS": "ignore",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "iup"), "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(process)
            raise AssertionError(log.read_text())
        time.sleep(0.1)


@SQLITE_FILE
def test_a_server_on_another_port_and_the_commands_agree(
    settings: Settings, tmp_path: Path
) -> None:
    """The server runs on its own port with no IUP_ORIGIN anywhere: `iup enrol` in another
    shell prints links to that port, people sign there, and `iup verify-signatures` finds
    their signatures OK. Told another origin, it says where they were made instead of
    FAILED; a changed byte still FAILS, also one that names our origin in the client data."""
    from tests.integration.conftest import Visitor
    from tests.integration.test_agreements import sign, write_plan

    port = free_port()
    served = f"http://localhost:{port}"
    process = serving(settings, port, tmp_path / "serve.log")
    with ExitStack() as closing:
        closing.callback(stop_server, process)
        assert (
            Path(settings.database_url.removeprefix("sqlite:///")).with_name("origin").read_text()
            == served + "\n"
        )
        people = []
        for key in ("mentor-4a", "alva"):
            printed = CliRunner().invoke(
                main, ["enrol", external(key)], env=without_iup_origin(settings)
            )
            assert printed.exit_code == 0, printed.output
            link = LINK.fullmatch(printed.stdout.strip())
            assert link and link.group(1) == served, printed.stdout
            # A new connection a request: an idle kept-alive one may be closed by the server
            # just as a POST goes out on it ("Server disconnected" on a busy machine).
            client = closing.enter_context(
                httpx.Client(
                    base_url=f"http://127.0.0.1:{port}",
                    limits=httpx.Limits(max_keepalive_connections=0),
                )
            )
            browser = Visitor(client)  # type: ignore[arg-type]
            browser.authenticator = SoftAuthenticator(origin=served)
            enrolled = browser.enrol(link.group(2))
            assert enrolled.status_code == 201, enrolled.text
            people.append(browser)
        mentor, alva = people
        alva_id = int(external_person(settings, "alva").id or 0)
        first, _ = write_plan(mentor, alva_id)
        assert sign(alva, first["id"], every=True).status_code == 201
        assert sign(mentor, first["id"]).status_code == 201

    ours = CliRunner().invoke(main, ["verify-signatures"], env=without_iup_origin(settings))
    assert ours.exit_code == 0, ours.output
    lines = ours.stdout.splitlines()
    assert len(lines) == 3 and all(line.startswith("OK ") for line in lines), lines
    assert ours.stderr == ""

    elsewhere = {**env_for(settings), "IUP_ORIGIN": "http://localhost:8000", "IUP_RP_ID": None}
    moved = CliRunner().invoke(main, ["verify-signatures"], env=elsewhere)
    assert moved.exit_code == 0, moved.output
    lines = moved.stdout.splitlines()
    said = (
        f"OTHER-ORIGIN signed for {served} (not this installation's origin http://localhost:8000): "
    )
    assert len(lines) == 3 and all(line.startswith(said) for line in lines), lines
    assert "3 signature(s) are valid for another origin" in moved.stderr

    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        broken, renamed, _ = session.exec(select(Signature).order_by(col(Signature.id))).all()
        broken.signature = broken.signature[:-1] + bytes([broken.signature[-1] ^ 1])
        renamed.client_data_json = renamed.client_data_json.replace(
            served.encode(), b"http://localhost:8000"
        )
        session.add_all([broken, renamed])
        session.commit()
        tampered = {broken.id, renamed.id}
    engine.dispose()
    for env in (without_iup_origin(settings), elsewhere):
        checked = CliRunner().invoke(main, ["verify-signatures"], env=env)
        assert checked.exit_code == 1, checked.output
        lines = checked.stdout.splitlines()
        failed = [line for line in lines if line.startswith("FAILED ")]
        assert len(failed) == 2, lines
        assert all("the assertion does not verify" in line for line in failed)
        assert {int(re.findall(r"signature (\d+):", line)[0]) for line in failed} == tampered
        assert "2 signature(s) failed verification" in checked.stderr


def test_a_signature_made_on_a_former_address_is_reported_as_such(
    settings: Settings, db: Session
) -> None:
    """Signed through a tunnel whose passkeys belong to a parent domain; this installation
    now serves http://localhost:8000: valid there, so OTHER-ORIGIN (exit 0), not FAILED."""
    from backend.auth.service import issue_enrolment_code
    from tests.integration.conftest import Visitor
    from tests.integration.test_agreements import sign, write_plan

    former = msgspec.structs.replace(
        settings, origin="https://iup.skola-a.example", rp_id="skola-a.example"
    )
    with ExitStack() as closing:
        people = []
        for key in ("mentor-4a", "alva"):
            client = closing.enter_context(TestClient(create_app(former), base_url=former.origin))
            browser = Visitor(client)
            browser.authenticator = SoftAuthenticator(origin=former.origin, rp_id=former.rp_id)
            person_id = int(external_person(settings, key).id or 0)
            assert (
                browser.enrol(issue_enrolment_code(db, person_id=person_id, hours=1)).status_code
                == 201
            )
            people.append(browser)
        mentor, alva = people
        first, _ = write_plan(mentor, int(external_person(settings, "alva").id or 0))
        assert sign(alva, first["id"]).status_code == 201
    result = iup(settings, "verify-signatures")
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    assert line.startswith(
        "OTHER-ORIGIN signed for https://iup.skola-a.example "
        "(not this installation's origin http://localhost:8000): signature "
    ), line
    assert iup(former, "verify-signatures").stdout.startswith("OK "), "and OK where it was made"


# ---- make run ---------------------------------------------------------------------------


def make_dry_run(folder: Path, target: str) -> str:
    """The commands `make TARGET` would run in a copy of the Makefile, without running them."""
    result = subprocess.run(
        ["make", "-n", "-C", str(folder), target], capture_output=True, text=True, check=True
    )
    return result.stdout


@SQLITE_FILE
def test_make_run_installs_only_what_running_needs(tmp_path: Path) -> None:
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    venv = tmp_path / ".venv"
    first_run = make_dry_run(tmp_path, "run")
    assert "pip install --quiet -e .\n" in first_run and "[test]" not in first_run
    (stamp,) = re.findall(r"touch (\.venv/\.installed-run-\d+)", first_run)
    venv.mkdir()
    (tmp_path / stamp).touch()
    assert "pip install" not in make_dry_run(tmp_path, "run"), "installed once"
    then_test = make_dry_run(tmp_path, "test")
    assert '-e ".[test]"' in then_test, "`make test` after `make run` brings the test tools"
    for touched in re.findall(r"touch (\S+) (\S+)", then_test)[0]:
        (tmp_path / touched).touch()
    assert "pip install" not in make_dry_run(tmp_path, "test")
    assert "pip install" not in make_dry_run(tmp_path, "run"), "`make test` installed it all"


@SQLITE_FILE
def test_make_run_prints_the_demo_people_last_and_saves_them(tmp_path: Path) -> None:
    """The real recipe (the installation skipped: its stamp is there), in a folder of its
    own: migration first, then the people with their ids and links, then the server."""
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (stamp,) = re.findall(r"touch (\.venv/\.installed-run-\d+)", make_dry_run(tmp_path, "run"))
    (tmp_path / stamp).parent.mkdir()
    (tmp_path / stamp).touch()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IUP_")}
    env |= {
        "IUP_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'iup.db'}",
        "IUP_SECRET_KEY": "test-secret",
        "PYTHONWARNINGS": "ignore",
        "LC_ALL": "C.UTF-8",  # the messages in English, whatever the shell's LANG
    }
    out = tmp_path / "make.out"
    with out.open("wb") as log:
        process = subprocess.Popen(
            ["make", "-s", "run", f"BIN={Path(sys.executable).parent}", f"PORT={port}"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        # Until `iup serve` has recorded its origin (after make's "Serving" line).
        while not (tmp_path / "var" / "origin").exists() and process.poll() is None:
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.1)
    finally:
        stop_server(process)
    printed = out.read_text().splitlines()
    assert printed[0].startswith("created the database"), printed
    serving = next(i for i, line in enumerate(printed) if line.startswith("Serving"))
    assert f"http://localhost:{port} " in printed[serving]
    people = [line for line in printed if DEMO_LINE.match(line)]
    assert len(people) > 10
    last = printed[serving - 1 - len(people) : serving - 1]
    assert last == people, "the people come last before the server starts, one block"
    assert (tmp_path / "var" / "demo-links.txt").read_text().splitlines() == people
    assert all(f"http://localhost:{port}/enrol/" in line for line in people)
    # `iup serve` recorded its origin: `iup enrol` by hand in another shell, where
    # IUP_ORIGIN is unset, links to the same port.
    assert (tmp_path / "var" / "origin").read_text() == f"http://localhost:{port}\n"
    recorded = Settings(database_url=env["IUP_DATABASE_URL"], secret_key="test-secret")
    by_hand = CliRunner().invoke(
        main, ["enrol", external("alva")], env=without_iup_origin(recorded)
    )
    assert by_hand.exit_code == 0, by_hand.output
    assert by_hand.stdout.startswith(f"http://localhost:{port}/enrol/"), by_hand.stdout


# ---- iup backup -------------------------------------------------------------------------


@SQLITE_FILE
def test_backup_is_a_consistent_copy_taken_while_another_connection_writes(
    settings: Settings, tmp_path: Path
) -> None:
    """A write transaction stays open on another connection (as the running server's
    would) while the backup runs: the copy holds what is committed, and a restore — the
    copy put in place as the database file — serves the same rows."""
    import sqlite3

    source = settings.database_url.removeprefix("sqlite:///")
    people = count_people(settings)
    writer = sqlite3.connect(source)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE person SET given_name = 'Uncommitted' WHERE given_name = 'Alva'")
        copy = tmp_path / "backups" / "iup-backup.db"
        copy.parent.mkdir()
        result = iup(settings, "backup", str(copy))
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("backed up "), result.stdout
    finally:
        writer.rollback()
        writer.close()
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600, "a copy of everyone's data"

    restored = tmp_path / "restored" / "iup.db"
    restored.parent.mkdir()
    shutil.copyfile(copy, restored)  # the restore: the copy put in place as the file
    back = msgspec.structs.replace(settings, database_url=f"sqlite:///{restored}")
    upgraded = iup(back, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "up to date" in upgraded.stdout, "the copy is at the latest revision"
    assert count_people(back) == people
    engine = make_engine(back.database_url)
    with Session(engine) as session:
        names = set(session.exec(select(Person.given_name)).all())
    engine.dispose()
    assert "Alva" in names and "Uncommitted" not in names
    with TestClient(create_app(back)) as client:
        health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["database"] == "ok"


@pytest.mark.database("postgresql")
def test_the_readmes_postgresql_backup_and_restore(settings: Settings, tmp_path: Path) -> None:
    """The README's two commands, as written there (pg_dump -Fc, then pg_restore --clean
    --if-exists into the same database): what was written after the backup is gone, what
    was there is back, and the restored database is at the latest revision and serves."""
    libpq = make_url(settings.database_url).set(drivername="postgresql")
    database = libpq.render_as_string(hide_password=False)
    dump = tmp_path / "iup-backup.dump"
    written = (REPO / "README.md").read_text()
    assert (
        "pg_dump -Fc -d iup -f " in written and "pg_restore --clean --if-exists -d iup " in written
    )
    subprocess.run(["pg_dump", "-Fc", "-d", database, "-f", str(dump)], check=True)
    people = count_people(settings)
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        session.add(Person(given_name="Efter", family_name="Backupen", user_handle=b"e" * 32))
        session.commit()
    engine.dispose()
    assert count_people(settings) == people + 1
    subprocess.run(["pg_restore", "--clean", "--if-exists", "-d", database, str(dump)], check=True)
    assert count_people(settings) == people
    upgraded = iup(settings, "db", "upgrade")
    assert upgraded.exit_code == 0 and "up to date" in upgraded.stdout, upgraded.output
    code_from(settings, iup(settings, "enrol", external("alva")))  # it serves again


@SQLITE_FILE
def test_backup_never_overwrites_a_file(settings: Settings, tmp_path: Path) -> None:
    existing = tmp_path / "old.db"
    existing.write_bytes(b"yesterday's backup")
    result = iup(settings, "backup", str(existing))
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "exists" in lines[0], lines
    assert existing.read_bytes() == b"yesterday's backup"


@SQLITE_FILE
def test_backup_of_postgresql_points_to_pg_dump(settings: Settings, tmp_path: Path) -> None:
    postgres = msgspec.structs.replace(
        settings, database_url="postgresql+psycopg://iup@db.internal/iup"
    )
    result = iup(postgres, "backup", str(tmp_path / "copy.db"))
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "pg_dump" in lines[0], lines
    assert not (tmp_path / "copy.db").exists()


# ---- iup gallra -------------------------------------------------------------------------


def test_gallra_removes_what_is_past_its_period_only_with_apply(settings: Settings) -> None:
    from datetime import timedelta

    from backend.models import AuditEvent, ReadLog, utcnow

    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        alva = session.exec(select(Person).where(Person.external_id == external("alva"))).one()
        mentor = session.exec(
            select(Person).where(Person.external_id == external("mentor-4a"))
        ).one()
        now = utcnow()
        for days in (400, 10):
            at = now - timedelta(days=days)
            session.add(
                ReadLog(at=at, reader_id=mentor.id, pupil_id=alva.id, kind="plan", role="mentor")
            )
            session.add(AuditEvent(at=at, actor_id=mentor.id, kind="signed_in"))
        session.commit()

    def counts() -> tuple[int, int]:
        with Session(engine) as session:
            reads = session.exec(select(func.count()).select_from(ReadLog)).one()
            audits = session.exec(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.kind != "gallra")
            ).one()
        return reads, audits

    before = counts()
    kept = iup(settings, "gallra", "--apply")
    assert kept.exit_code == 0 and "kept for ever" in kept.stdout, kept.output
    assert counts() == before, "no period set: nothing goes"
    assert iup(settings, "gallra").exit_code != 0, "neither --dry-run nor --apply"

    periods = {"IUP_RETENTION_READ_LOG_DAYS": "365", "IUP_RETENTION_AUDIT_DAYS": "30"}
    env = {**env_for(settings), **periods}
    dry = CliRunner().invoke(main, ["gallra", "--dry-run"], env=env, catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    assert "read log entries: would remove 1 older than 365 days" in dry.stdout
    assert "audit entries: would remove 1 older than 30 days" in dry.stdout
    assert counts() == before
    applied = CliRunner().invoke(main, ["gallra", "--apply"], env=env, catch_exceptions=False)
    assert applied.exit_code == 0, applied.output
    assert "read log entries: removed 1 older than 365 days" in applied.stdout
    assert counts() == (before[0] - 1, before[1] - 1)
    engine.dispose()
