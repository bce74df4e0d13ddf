"""The `iup` command. Exit status 0 on success; otherwise non-zero with a one-line reason
on stderr (click.ClickException). Its messages are in the language of the environment
(LC_ALL, LC_MESSAGES, LANG: Swedish or English, `i18n.cli_locale`); what scripts read
stays as it is: links, JSON, the demo's lines, `verify-signatures`' report and `gallra`'s
summary (also its log line and audit entry). click's own --help and usage errors are
English."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import click
import msgspec
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, or_, select

from backend import db
from backend.agreements import signing
from backend.i18n import cli_locale, gettext, speaking
from backend.models import AuditEvent, AuditKind, Person, utcnow
from backend.people.service import issue_link
from backend.retention import service as retention
from backend.roster.commands import roster
from backend.schools.service import add_organiser
from backend.settings import Settings, from_env, record_origin
from backend.web import form_int

logger = logging.getLogger("iup.gallra")


def _person(session: Session, ref: str) -> Person:
    """Our own id, or the SS 12000 Person.id the person was imported with."""
    query = select(Person).where(
        or_(col(Person.external_id) == ref, col(Person.id) == form_int(ref, default=-1))
    )
    person = session.exec(query).first()
    if person is None:
        raise click.ClickException(gettext("no person with id %(ref)s") % {"ref": ref})
    return person


def _enrolment_url(settings: Settings, session: Session, person: Person) -> str:
    """As staff issue one from the web (people.service), by no one in particular."""
    assert person.id is not None
    link = issue_link(
        session,
        person_id=person.id,
        issued_by_id=None,
        origin=settings.origin,
        hours=settings.enrolment_hours,
    )
    return link.url


@contextmanager
def _database() -> Iterator[tuple[Settings, Session]]:
    settings = from_env()
    engine = db.make_engine(settings.database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield settings, session
    finally:
        engine.dispose()


@click.group()
@click.pass_context
def main(context: click.Context) -> None:
    """IUP: the pupil's own development plan."""
    context.obj = _database  # for the commands of other rooms (roster.commands)
    context.with_resource(speaking(cli_locale(environ=os.environ)))  # until the command ends


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="About one per core.")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the app with granian (no state in the process: any worker serves any request).
    Each worker runs requests one at a time on its event loop, with one database
    connection; more cores, more workers. One line per request goes to stdout.
    It serves IUP_ORIGIN, else http://localhost:PORT, and records that origin beside the
    SQLite database (var/origin), where the other commands read it when IUP_ORIGIN is unset:
    `iup enrol`'s links and `iup verify-signatures` then agree with the running server."""
    from granian import Granian
    from granian.constants import Interfaces

    _refuse_a_taken_port(host, port)
    origin = os.environ.get("IUP_ORIGIN") or f"http://localhost:{port}"
    os.environ["IUP_ORIGIN"] = origin  # the workers' settings, not a stale var/origin
    recorded = record_origin(from_env().database_url, origin)
    if recorded:
        serving = gettext("serving %(origin)s (recorded in %(path)s for the other commands)")
    else:
        serving = gettext("serving %(origin)s")
    click.echo(serving % {"origin": origin, "path": recorded}, err=True)
    Granian(
        "backend.asgi:app_from_env",
        factory=True,
        address=host,
        port=port,
        workers=workers,
        interface=Interfaces.ASGI,
        log_access=False,
        websockets=False,
    ).serve()


def _refuse_a_taken_port(host: str, port: int) -> None:
    """granian binds with SO_REUSEPORT, so a second server on the same port would silently
    share the requests with the first. A bind without it tells; SO_REUSEADDR lets a
    restart through while the last run's connections linger in TIME_WAIT."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise click.ClickException(
                gettext("cannot listen on %(host)s:%(port)s: %(reason)s (is IUP already running?)")
                % {"host": host, "port": port, "reason": error.strerror}
            ) from error


@main.group("db")
def database() -> None:
    """The database."""


@database.command()
def upgrade() -> None:
    """Apply the Alembic migrations (a new database is created)."""
    url = from_env().database_url
    before, after = db.upgrade(url)
    where = make_url(url).render_as_string(hide_password=True)
    if before is None:
        done = gettext("created the database %(database)s (revision %(after)s)")
    elif before != after:
        done = gettext("upgraded the database %(database)s from revision %(before)s to %(after)s")
    else:
        done = gettext("the database %(database)s is up to date (revision %(after)s)")
    click.echo(done % {"database": where, "before": before, "after": after})


@main.command()
@click.option(
    "--dry-run", "mode", flag_value="dry-run", help="Print what would go; change nothing."
)
@click.option("--apply", "mode", flag_value="apply", help="Remove it.")
def gallra(mode: str | None) -> None:
    """Remove what is past its retention period, in one transaction, and print and log a
    summary: the read log and audit entries (days), archived plans of pupils who left
    (years after their term). Each school's own periods, else IUP_RETENTION_*; 0 keeps for
    ever (backend/retention/)."""
    if mode is None:
        raise click.ClickException(gettext("say --dry-run or --apply"))
    apply = mode == "apply"
    with _database() as (settings, session):
        done = retention.sweep(session, settings=settings, now=utcnow(), apply=apply)
        lines = [removal.line(apply=apply) for removal in done]
        if apply:
            session.add(AuditEvent(kind=AuditKind.GALLRA, detail="; ".join(lines)[:500]))
            session.commit()
    for line in lines:  # the same line as the log's and the audit entry's: not translated
        logger.info("gallra %s", line)
        click.echo(line)


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """Copy the SQLite database to PATH while the app runs (SQLite's online backup: a
    consistent copy of what is committed). Refuses to overwrite PATH. For PostgreSQL use
    pg_dump (README, "Backups")."""
    url = make_url(from_env().database_url)
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(
            gettext(
                "iup backup copies SQLite databases; this one is %(backend)s: "
                "use pg_dump -Fc (README, Backups)"
            )
            % {"backend": url.get_backend_name()}
        )
    source = url.database
    if not source or source == ":memory:" or not Path(source).is_file():
        raise click.ClickException(
            gettext("no SQLite database file at %(path)s") % {"path": source or gettext("(none)")}
        )
    if not path.parent.is_dir():
        raise click.ClickException(gettext("no folder %(path)s") % {"path": path.parent})
    try:
        path.touch(mode=0o600, exist_ok=False)  # claims the name: never overwrites
    except FileExistsError:
        raise click.ClickException(
            gettext("%(path)s exists already; give a new file name") % {"path": path}
        ) from None
    copied = _sqlite_backup(Path(source), path)
    click.echo(
        gettext("backed up %(source)s to %(path)s (%(pages)d pages)")
        % {"source": source, "path": path, "pages": copied}
    )


def _sqlite_backup(source: Path, target: Path) -> int:
    """sqlite3's backup API copies page by page and restarts when another connection
    writes meanwhile, so the copy is one committed state. The copy leaves WAL mode, so it
    is one self-contained file."""
    import sqlite3

    with closing(sqlite3.connect(source, timeout=30)) as src:
        try:
            with closing(sqlite3.connect(target)) as dst:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")
                (pages,) = dst.execute("PRAGMA page_count").fetchone()
        except BaseException:
            target.unlink(missing_ok=True)
            raise
    return int(pages)


@main.command()
@click.option(
    "--save",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the lines to this file (readable only by you).",
)
def demo(save: Path | None) -> None:
    """Seed the demo school (idempotent) and print one line per person: the id that
    `iup enrol` takes, role, name and a one-time sign-in link."""
    from backend.demo import seed

    with _database() as (settings, session):
        people = seed(session, today=settings.today())
        links = [
            (person, role, _enrolment_url(settings, session, person)) for role, person in people
        ]
    id_width = max(len(str(person.id)) for person, _, _ in links)
    role_width = max(len(role) for _, role, _ in links)
    text = "".join(
        f"{person.id!s:<{id_width}}  {role:<{role_width}}  {person.name:<18}  {url}\n"
        for person, role, url in links
    )
    if save is not None:
        save.parent.mkdir(parents=True, exist_ok=True)
        save.touch(mode=0o600)  # one-time links: whoever has one can become that person
        save.chmod(0o600)
        save.write_text(text)
    click.echo(text, nl=False)


@main.command()
@click.argument("person_id")
@click.option("--qr", is_flag=True, help="Also print the link as a QR code.")
def enrol(person_id: str, qr: bool) -> None:
    """Print a one-time link with which PERSON_ID creates a passkey (replaces older links).
    PERSON_ID is the id `iup demo` prints, or the SS 12000 Person.id. The link (and QR
    code) leads to IUP_ORIGIN (unset: the origin `iup serve` recorded): the address the
    phone or computer will open."""
    with _database() as (settings, session):
        url = _enrolment_url(settings, session, _person(session, person_id))
    click.echo(url)
    if qr:
        import segno

        segno.make(url, error="m").terminal(compact=True)


@main.group("organiser")
def organiser() -> None:
    """Who reads an organisation's figures across its schools (never a pupil)."""


@organiser.command("add")
@click.argument("person_id")
@click.argument("organisation")
def organiser_add(person_id: str, organisation: str) -> None:
    """Make PERSON_ID an organiser of ORGANISATION (its id, or its name). A new name makes
    the organisation, with every school that has no organisation yet."""
    with _database() as (_settings, session):
        person = _person(session, person_id)
        assert person.id is not None
        name, schools = add_organiser(session, person_id=person.id, organisation=organisation)
        click.echo(
            gettext("%(person)s is an organiser of %(name)s. Its schools: %(schools)d.")
            % {"person": person.name, "name": name, "schools": schools}
        )


@main.command("verify-signatures")
@click.option("--pupil", "pupil_ref", default=None, help="Only this pupil's (id or SS 12000 id).")
def verify_signatures(pupil_ref: str | None) -> None:
    """Re-verifies every stored agreement signature from the database alone: the stored
    public key, authenticator data, client data and signature against the recomputed
    challenge, for this installation's origin (IUP_ORIGIN, else the one `iup serve`
    recorded). One line each, ending with where it was made: "made here" (a passkey
    registered here), or "signed at <school> (imported; ...)", checked with the key its
    document carried. It begins OK; OTHER-ORIGIN signed for <origin> (not this
    installation's origin <ours>): the signature is valid, but for the origin its client
    data names, where it was made: an earlier address, or a server on another port (then
    set IUP_ORIGIN to the origin it serves); or FAILED <reason>. Exits 1 if any failed,
    else 0 (with a warning on stderr for OTHER-ORIGIN ones)."""
    failed = elsewhere = 0
    with _database() as (settings, session):
        pupil_id = _person(session, pupil_ref).id if pupil_ref else None
        for c in signing.check_all(session, settings=settings, pupil_id=pupil_id):
            # The report stays as it is in every language: scripts read its lines, and the
            # reasons come from signing.check_all.
            # Where it was made: here, with a passkey registered here, or at another school,
            # checked with the key its document carried (docs/exchange.md, "Trust").
            where = (
                f"signed at {c.imported_from} (imported; checked with the key in its document)"
                if c.imported_from is not None
                else "made here"
            )
            what = (
                f"signature {c.signature_id}: agreement {c.agreement_id} version {c.version}, "
                f"{c.signer} ({c.role}), {c.signed_at:%Y-%m-%d %H:%M} UTC, {where}"
                + (" (void: the agreement changed since)" if c.void else "")
            )
            if c.failure is not None:
                failed += 1
                click.echo(f"FAILED {c.failure}: {what}")
            elif c.signed_for is not None:
                elsewhere += 1
                click.echo(
                    f"OTHER-ORIGIN signed for {c.signed_for} "
                    f"(not this installation's origin {settings.origin}): {what}"
                )
            else:
                click.echo(f"OK {what}")
    if elsewhere:
        click.echo(
            gettext(
                "warning: %(count)d signature(s) are valid for another origin than "
                "%(origin)s; if this installation serves there, set IUP_ORIGIN to it"
            )
            % {"count": elsewhere, "origin": settings.origin},
            err=True,
        )
    if failed:
        raise click.ClickException(
            gettext("%(count)d signature(s) failed verification") % {"count": failed}
        )


@main.command()
def schema() -> None:
    """Print the JSON Schema of the open exchange format (iup-exchange/1), as committed in
    docs/iup-exchange-1.schema.json."""
    from backend.exchange.schemas import json_schema

    click.echo(schema_text(json_schema()), nl=False)


def schema_text(schema: dict[str, object]) -> str:
    """Indented, keys in a fixed order, one newline at the end: the committed file."""
    import json

    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


@main.command()
@click.argument("pupil_id")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the document to this file instead of stdout.",
)
def export(pupil_id: str, out: Path | None) -> None:
    """Write PUPIL_ID's whole history in the open exchange format (iup-exchange/1, see
    docs/exchange.md) for the school she moves to. PUPIL_ID is our id or her SS 12000
    Person.id. Staff-only notes and talk drafts are never included."""
    from backend.exchange.service import export as export_history

    with _database() as (settings, session):
        document = export_history(
            session, pupil_id=int(_person(session, pupil_id).id or 0), settings=settings
        )
    text = msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n"
    if out is None:
        click.echo(text.decode(), nl=False)
    else:
        out.write_bytes(text)


@main.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--person",
    "person_ref",
    default=None,
    help="Whose history it is: our id or her SS 12000 Person.id. Default: the document's "
    "pupil.external_id.",
)
def import_(path: Path, person_ref: str | None) -> None:
    """Import another school's exchange document (iup-exchange/1, docs/exchange.md): each of
    its terms becomes an archived plan of the person here, with its signatures verifiable.
    One transaction; importing the same document again is refused."""
    from backend.errors import Refusal, say
    from backend.exchange.importing import import_document
    from backend.exchange.schemas import ExchangeDocument

    try:
        document = msgspec.json.decode(path.read_bytes(), type=ExchangeDocument)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise click.ClickException(
            gettext("%(path)s: not an iup-exchange/1 document: %(error)s")
            % {"path": path, "error": error}
        ) from error
    with _database() as (settings, session):
        if person_ref is None:
            ref = document.pupil.external_id
            person = (
                session.exec(select(Person).where(Person.external_id == ref)).first()
                if ref
                else None
            )
            if person is None:
                raise click.ClickException(
                    gettext(
                        "no person here with the document's pupil.external_id %(ref)s; "
                        "name her with --person ID"
                    )
                    % {"ref": repr(ref)}
                )
        else:
            person = _person(session, person_ref)
        try:
            done = import_document(
                session,
                document=document,
                person_id=int(person.id or 0),
                by_id=None,
                settings=settings,
            )
        except Refusal as refusal:
            raise click.ClickException(say(refusal)) from refusal
    click.echo(
        gettext(
            "imported %(terms)d term(s) for %(name)s (id %(id)s): %(goals)d goal(s), "
            "%(self_assessments)d self-assessment(s), %(replies)d reply(ies), "
            "%(preparations)d preparation(s), %(agreements)d agreement(s), "
            "%(signatures)d signature(s), %(events)d event(s)"
        )
        % {
            "terms": len(done.terms),
            "name": person.name,
            "id": person.id,
            "goals": done.goals,
            "self_assessments": done.self_assessments,
            "replies": done.replies,
            "preparations": done.preparations,
            "agreements": done.agreements,
            "signatures": done.signatures,
            "events": done.events,
        }
    )
    if done.skipped_terms:
        click.echo(
            gettext("skipped this installation's own term(s): %(terms)s")
            % {"terms": ", ".join(done.skipped_terms)}
        )


main.add_command(roster)
