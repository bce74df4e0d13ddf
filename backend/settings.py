"""Settings: one frozen Struct, read from the IUP_* environment once."""

from __future__ import annotations

import os
import secrets
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import msgspec

_CHECKOUT = Path(__file__).resolve().parent.parent
# var/ (the SQLite file, the key file) sits in the checkout when running from source; an
# installed wheel must not write into site-packages, so there it is the working directory's.
ROOT = _CHECKOUT if (_CHECKOUT / "pyproject.toml").is_file() else Path.cwd()
DATABASE_URL = f"sqlite:///{ROOT / 'var' / 'iup.db'}"
DEFAULT_ORIGIN = "http://localhost:8000"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = DATABASE_URL
    origin: str = DEFAULT_ORIGIN
    rp_id: str = "localhost"
    rp_name: str = "IUP"
    secret_key: str = ""
    # The VAPID private key (PEM) that signs Web Push requests (RFC 8292); from
    # IUP_VAPID_PRIVATE_KEY, IUP_VAPID_PRIVATE_KEY_FILE or var/vapid_private.pem, made on
    # first use. Empty (settings built by hand): the push room makes one for the process.
    vapid_private_key: str = ""
    session_hours: int = 12  # a session's absolute end after sign-in
    # A session also ends after this long without a request: staff on a shared computer in
    # the staff room, pupils and guardians on their own phones (README, Sessions).
    idle_minutes_staff: int = 30
    idle_minutes_family: int = 480
    enrolment_hours: int = 72
    challenge_seconds: int = 300
    ceremony_timeout_ms: int = 120_000
    time_zone: str = "Europe/Stockholm"  # the school's day: dates, "this month", terms
    trusted_proxies: str = ""  # comma-separated addresses of the reverse proxies in front
    sign_ins_per_address: int = 120  # a minute, from one address (a school's, a city's NAT)
    # Retention (`iup gallra`, backend/retention/): days the read log and the audit entries
    # are kept, and years an archived plan of a pupil who left is kept after its term; 0
    # keeps for ever. A school's own periods (its settings page) come first.
    retention_read_log_days: int = 0
    retention_audit_days: int = 0
    retention_plan_years: int = 0
    # `iup roster sync URL` (backend/roster/sync.py, docs/roster.md): a bearer token for the
    # SS 12000 API, or OAuth2 client credentials to fetch one from the token URL.
    ss12000_token: str = ""
    ss12000_token_url: str = ""
    ss12000_client_id: str = ""
    ss12000_client_secret: str = ""
    # Where families report an accessibility problem (an e-mail address or a phone
    # number), shown on the accessibility statement; empty: "contact your school's office".
    accessibility_contact: str = ""
    # Checks that cost time and guard the code, not the data: a prebuilt read (db.Query) in
    # a request whose ORM writes are not committed yet fails instead of reading past them.
    # The tests run with it; a school need not.
    debug: bool = False

    @property
    def secure_cookies(self) -> bool:
        return urlsplit(self.origin).scheme == "https"

    def cookie(self, name: str) -> str:
        """A cookie's name: under https with the `__Host-` prefix, which a browser accepts
        only from this host, Secure, for path / (no subdomain can set or shadow it)."""
        return f"__Host-{name}" if self.secure_cookies else name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def proxies(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.trusted_proxies.split(",") if p.strip())

    def today(self) -> date:
        return datetime.now(self.zone).date()


def _secret(env: dict[str, str]) -> str:
    """The key that signs CSRF cookies; from IUP_SECRET_KEY, IUP_SECRET_KEY_FILE, or a
    file under var/ made on first use, so several local processes agree on it."""
    if key := env.get("IUP_SECRET_KEY"):
        return key
    path = Path(env.get("IUP_SECRET_KEY_FILE") or ROOT / "var" / "secret_key")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _vapid(env: dict[str, str]) -> str:
    """The VAPID private key in PEM, kept like the secret key: IUP_VAPID_PRIVATE_KEY, a file
    named by IUP_VAPID_PRIVATE_KEY_FILE, or var/vapid_private.pem made on first use (a
    browser's subscription is bound to the public key, so it must not change)."""
    if key := env.get("IUP_VAPID_PRIVATE_KEY"):
        return key.replace("\\n", "\n")
    path = Path(env.get("IUP_VAPID_PRIVATE_KEY_FILE") or ROOT / "var" / "vapid_private.pem")
    if not path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pem)
        path.chmod(0o600)
    return path.read_text().strip()


def origin_file(database_url: str) -> Path | None:
    """Where `iup serve` records the origin it serves: the file `origin` beside the SQLite
    database (var/origin by default), so that every command on that database (`iup enrol`,
    `iup verify-signatures`, run by hand in another shell) uses the server's origin. None
    for a database server (PostgreSQL): there every process is given IUP_ORIGIN."""
    dialect, slashes, path = database_url.partition(":///")
    if dialect.split("+")[0] != "sqlite" or not slashes:
        return None
    path = path.split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path).parent / "origin"


def record_origin(database_url: str, origin: str) -> Path | None:
    """Write the served origin to `origin_file` (replaced in one step); None when there is
    no such file or it cannot be written: the server serves all the same."""
    path = origin_file(database_url)
    if path is None:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = path.with_name(f".{path.name}.{os.getpid()}")
        fresh.write_text(origin + "\n")
        fresh.replace(path)
    except OSError:
        return None
    return path


def recorded_origin(database_url: str) -> str | None:
    """The origin `iup serve` last served this database on, if it recorded one."""
    path = origin_file(database_url)
    try:
        origin = path.read_text().strip() if path is not None else ""
    except OSError:
        return None
    return origin if urlsplit(origin).scheme in ("http", "https") else None


def from_env(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    fields = {
        name: env[f"IUP_{name.upper()}"]
        for name in Settings.__struct_fields__
        if name not in ("secret_key", "vapid_private_key") and f"IUP_{name.upper()}" in env
    }
    # IUP_ORIGIN first; else the origin the server on this database recorded (`iup serve`).
    if "origin" not in fields and (
        recorded := recorded_origin(fields.get("database_url", DATABASE_URL))
    ):
        fields["origin"] = recorded
    if "origin" in fields and "rp_id" not in fields:  # passkeys belong to the origin's host
        fields["rp_id"] = urlsplit(fields["origin"]).hostname or "localhost"
    secrets_ = {"secret_key": _secret(env), "vapid_private_key": _vapid(env)}
    return msgspec.convert({**fields, **secrets_}, Settings, strict=False)
