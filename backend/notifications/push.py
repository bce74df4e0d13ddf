"""Web Push (RFC 8030, encrypted per RFC 8291, signed per RFC 8292, sent with pywebpush):
a person turns it on per device from her account page; what reaches her is the words
"Something new in IUP" in her language and a link, never a name, a text or a pupil id, so
nothing personal passes through a push service (Google's, Mozilla's, Apple's). The link is
a path on our own origin: for a message in a thread, the thread's page (a goal's or a
plan's id, which says nothing without signing in); for every other kind her notifications.
At most one push a person, kind and day (`PushSent`, the digest's rule): the first of the
day goes out with its link, a later one the same day is not sent (the digest lists it).

Sending never happens on a request: `queue` writes the push into the request's transaction,
and when that commits a worker thread sends it (the push service is a remote host; a slow
or failing one never slows or fails a request). The periodic work sends what a stopped
process left (`drain`). A subscription ends with the session or passkey it came with, and
when the push service answers 404 or 410 (RFC 8030, 7.3: it is gone)."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import logging
import re
import threading
import weakref
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from functools import cache
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush
from sqlalchemy import Engine, delete, event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from backend.errors import Invalid, NotFound
from backend.i18n import N_, letter_language, translations
from backend.models import Person, PushOff, PushSent, PushSubscription, utcnow
from backend.settings import Settings

log = logging.getLogger("iup")

WORDS = N_("Something new in IUP")
LINK = "/notifications"  # a path on our own origin: the list says what is new, once signed in
_PATH = re.compile(r"/(?!/)[A-Za-z0-9/_-]{0,199}")  # ours: no host, no query, no text
TIMEOUT = 10.0  # seconds a push service may take to answer
GONE = frozenset({404, 410})

_senders: weakref.WeakKeyDictionary[Engine, Settings] = weakref.WeakKeyDictionary()
_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="iup-push")
_lock = threading.Lock()


def serve(engine: Engine, settings: Settings) -> None:
    """The app's settings for pushes queued on this engine (create_app calls it)."""
    _senders[engine] = settings


# The VAPID key ------------------------------------------------------------------------------


@cache
def _process_key() -> str:
    """For settings built by hand (tests): one key for the process's life."""
    return (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


@cache
def _vapid_of(pem: str) -> Vapid02:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return Vapid02(key)


def vapid(settings: Settings) -> Vapid02:
    return _vapid_of(settings.vapid_private_key or _process_key())


def public_key(settings: Settings) -> str:
    """The VAPID public key as the browser's `applicationServerKey` takes it: the P-256
    point, uncompressed, base64url without padding."""
    point = vapid(settings).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode()


# Subscriptions ------------------------------------------------------------------------------


def _b64(value: str, *, size: int, field: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != size:
        raise Invalid(field, N_("This is not a push subscription of a browser."))
    return value.rstrip("=")


def _endpoint(endpoint: str, *, settings: Settings) -> str:
    """A push service's URL: https on a public host (never one of ours inside the
    network, which a forged subscription would make the server call). Under IUP_DEBUG (the
    tests' local push service) http on this machine too."""
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    try:
        address = ipaddress.ip_address(host)
        private = not address.is_global
    except ValueError:
        private = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
    allowed = parts.scheme == "https" and host and not private
    if settings.debug and parts.scheme in ("http", "https") and host:
        allowed = True
    if not allowed or len(endpoint) > 1000:
        raise Invalid("endpoint", N_("This is not a push subscription of a browser."))
    return endpoint


def subscribe(
    session: Session,
    *,
    person_id: int,
    passkey_id: int | None,
    session_id: int | None,
    endpoint: str,
    p256dh: str,
    auth: str,
    settings: Settings,
    confirm: bool = False,
) -> None:
    """Stores (or confirms) this browser's subscription for her, with the passkey and
    session she is signed in with. An endpoint is one browser profile: when someone else
    signs in there and turns push on, it is hers from then on. `confirm`: only one she
    has already (404 otherwise), so a visit after signing in again does not turn it on."""
    endpoint = _endpoint(endpoint, settings=settings)
    p256dh = _b64(p256dh, size=65, field="keys.p256dh")
    auth = _b64(auth, size=16, field="keys.auth")
    found = (
        session.execute(select(PushSubscription).where(col(PushSubscription.endpoint) == endpoint))
        .scalars()
        .first()
    )
    if confirm and (found is None or found.person_id != person_id):
        raise NotFound()
    row = found or PushSubscription(person_id=person_id, endpoint="", p256dh="", auth="")
    row.person_id, row.passkey_id, row.session_id = person_id, passkey_id, session_id
    row.endpoint, row.p256dh, row.auth = endpoint, p256dh, auth
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # the same browser, twice at once: the other one stored it
        session.rollback()


def unsubscribe(session: Session, *, person_id: int, endpoint: str) -> None:
    """Her browser's subscription ends; 404 for one that is not hers."""
    gone = session.execute(
        delete(PushSubscription).where(
            col(PushSubscription.person_id) == person_id,
            col(PushSubscription.endpoint) == endpoint,
        )
    )
    if not getattr(gone, "rowcount", 0):
        session.rollback()
        raise NotFound()
    session.commit()


def devices(session: Session, *, person_id: int) -> int:
    """How many of her browsers get pushes."""
    return int(
        session.execute(
            select(func.count())
            .select_from(PushSubscription)
            .where(col(PushSubscription.person_id) == person_id)
        ).scalar_one()
    )


# The ends (auth/sessions.py calls these in its own transaction; it commits).


def end_for_session(session: Session, *, session_id: int) -> None:
    """Sign-out: the subscriptions made or confirmed in that session."""
    session.execute(delete(PushSubscription).where(col(PushSubscription.session_id) == session_id))


def end_for_person(session: Session, *, person_id: int) -> None:
    """Sign out everywhere: all of hers."""
    session.execute(delete(PushSubscription).where(col(PushSubscription.person_id) == person_id))


def end_for_passkey(session: Session, *, passkey_id: int) -> None:
    """A passkey removed: the subscriptions that came with it (also ON DELETE CASCADE)."""
    session.execute(delete(PushSubscription).where(col(PushSubscription.passkey_id) == passkey_id))


# Her choice ---------------------------------------------------------------------------------


def turned_off(session: Session, *, person_id: int) -> set[str]:
    """The choices she turned off (every one is on until she does)."""
    return set(
        session.execute(select(col(PushOff.choice)).where(col(PushOff.person_id) == person_id))
        .scalars()
        .all()
    )


def choose(session: Session, *, person_id: int, off: Iterable[str]) -> None:
    session.execute(delete(PushOff).where(col(PushOff.person_id) == person_id))
    for choice in sorted(set(off)):
        session.add(PushOff(person_id=person_id, choice=choice))
    session.commit()


# Sending ------------------------------------------------------------------------------------


def queue(
    session: Session,
    *,
    person_ids: Iterable[int],
    kind: str,
    choice: str,
    day: date,
    link: str = LINK,
) -> int:
    """A push of `kind` to each of them who has a subscription and has not turned `choice`
    off, unless one went out today; sent once the request's transaction commits. `link`:
    the path on our origin a tap opens (ids of goals or plans at most, never a name or a
    text); a push already queued today keeps its own. Flushed, not committed. Returns how
    many were queued."""
    if not _PATH.fullmatch(link):
        raise ValueError(f"a push links to a path on this origin, not {link!r}")
    wanted = list(dict.fromkeys(person_ids))
    if not wanted:
        return 0
    reachable: list[int] = list(
        session.execute(
            select(col(PushSubscription.person_id))
            .where(col(PushSubscription.person_id).in_(wanted))
            .distinct()
        )
        .scalars()
        .all()
    )
    off: set[int] = set(
        session.execute(
            select(col(PushOff.person_id)).where(
                col(PushOff.person_id).in_(wanted), col(PushOff.choice) == choice
            )
        )
        .scalars()
        .all()
    )
    queued = 0
    for person_id in reachable:
        if person_id in off:
            continue
        try:
            with session.begin_nested():
                session.add(PushSent(person_id=person_id, kind=kind, day=day, link=link))
        except IntegrityError:  # one already went out today (or is on its way)
            continue
        queued += 1
    if queued and not session.info.get("push_kick"):
        session.info["push_kick"] = True
        event.listen(session, "after_commit", _kick, once=True)
        event.listen(session, "after_rollback", _forget, once=True)
    return queued


def _forget(session: Session) -> None:
    session.info.pop("push_kick", None)
    if event.contains(session, "after_commit", _kick):
        event.remove(session, "after_commit", _kick)


def _kick(session: Session) -> None:
    """After the commit: the worker sends (the request does not wait for it)."""
    session.info.pop("push_kick", None)
    if event.contains(session, "after_rollback", _forget):
        event.remove(session, "after_rollback", _forget)
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    settings = _senders.get(engine)
    if settings is not None:
        _pool.submit(drain, engine, settings)


def wait() -> None:
    """Until the pushes handed to the worker so far are sent (tests, shutdown)."""
    done: Future[None] = _pool.submit(lambda: None)
    done.result()


def payload(locale: str | None, link: str = LINK) -> bytes:
    """All a push carries: the words in her language and the link."""
    words = translations(letter_language(locale)).gettext(WORDS)
    return json.dumps({"title": words, "link": link}, ensure_ascii=False).encode()


def drain(engine: Engine, settings: Settings) -> int:
    """Sends every queued push (each claimed by one process: the UPDATE that sets
    `sent_at` decides); returns how many went to at least one device. Never raises: a
    failing push service is logged."""
    sent = 0
    with _lock, Session(engine, expire_on_commit=False) as session:
        try:
            pending = session.execute(
                select(col(PushSent.id), col(PushSent.person_id), col(PushSent.link)).where(
                    col(PushSent.sent_at).is_(None)
                )
            ).all()
            for row in pending:
                claimed = session.execute(
                    update(PushSent)
                    .where(col(PushSent.id) == row.id, col(PushSent.sent_at).is_(None))
                    .values(sent_at=utcnow())
                )
                session.commit()
                if getattr(claimed, "rowcount", 0):
                    sent += _send(
                        session, person_id=row.person_id, link=row.link, settings=settings
                    )
        except Exception:
            log.exception("push: sending failed")
    return sent


def _send(session: Session, *, person_id: int, link: str, settings: Settings) -> int:
    locale = session.execute(select(col(Person.locale)).where(col(Person.id) == person_id))
    data = payload(locale.scalar_one_or_none(), link)
    subscriptions = session.execute(
        select(
            col(PushSubscription.id),
            col(PushSubscription.endpoint),
            col(PushSubscription.p256dh),
            col(PushSubscription.auth),
        ).where(col(PushSubscription.person_id) == person_id)
    ).all()
    reached = 0
    for each in subscriptions:
        try:
            webpush(
                {"endpoint": each.endpoint, "keys": {"p256dh": each.p256dh, "auth": each.auth}},
                data=data,
                vapid_private_key=vapid(settings),
                vapid_claims={"sub": _subject(settings)},
                ttl=86400,
                timeout=TIMEOUT,
                headers={"Urgency": "normal"},
            )
            reached += 1
        except WebPushException as error:
            status = getattr(error.response, "status_code", None)
            if status in GONE:  # the browser unsubscribed, or the service forgot it
                session.execute(delete(PushSubscription).where(col(PushSubscription.id) == each.id))
                session.commit()
            else:
                log.warning("push to %s failed: %s", urlsplit(each.endpoint).hostname, status)
        except Exception:  # the service is unreachable, slow, or answers nonsense
            log.warning("push to %s failed", urlsplit(each.endpoint).hostname, exc_info=True)
    return 1 if reached else 0


def _subject(settings: Settings) -> str:
    """RFC 8292's `sub`: how the push service reaches the sender, our host as an https URL
    (py_vapid takes no port and no http)."""
    return f"https://{urlsplit(settings.origin).hostname or 'localhost'}"
