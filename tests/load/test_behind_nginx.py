"""The README's proxy, run: nginx from Debian's package with docs/nginx-iup.conf itself (only
the host name, ports and certificate paths put in), terminating TLS in front of two
`iup serve` processes on one PostgreSQL database. Through it, over HTTPS: a pupil signs up
with a passkey bound to the proxy's origin and reaches her goals, the cookies are Secure,
the requests are shared between both processes, the request id nginx makes is the one the
app logs and answers with, the abuse limits count the address nginx saw (not nginx's own),
plain HTTP is sent to HTTPS, and a body the app refuses gets the app's message, not
nginx's. Without nginx (apt-get install nginx-light) it is skipped, except under CI."""

from __future__ import annotations

import hashlib
import os
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from backend.auth.service import issue_enrolment_code
from backend.db import make_engine, upgrade
from backend.demo import external, seed
from backend.models import Person, RateLimit
from backend.settings import Settings
from tests.load.test_class_saves import CLIENT_TIMEOUT, IUP, wait_until_healthy
from tests.softauthn import SoftAuthenticator
from tests.support import free_port, postgres_database, serve, stop_server

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "nginx-iup.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
CSRF_META = 'name="csrf-token" content="'


@dataclass
class Proxied:
    origin: str  # https://localhost:PORT, nginx's
    plain: str  # nginx's port 80 stand-in
    certificate: Path
    engine: Engine
    logs: tuple[Path, Path]


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost that the test's client trusts, as a school's would be
    from its CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    chain, private = folder / "fullchain.pem", folder / "privkey.pem"
    chain.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return chain, private


def site(tls: int, plain: int, upstream: tuple[int, int], certs: Path) -> str:
    """The example as written, with this machine's ports, host name and certificate."""
    text = EXAMPLE.read_text()
    for written, here in (
        ("127.0.0.1:8001", f"127.0.0.1:{upstream[0]}"),
        ("127.0.0.1:8002", f"127.0.0.1:{upstream[1]}"),
        ("listen 443 ssl", f"listen 127.0.0.1:{tls} ssl"),
        ("listen 80;", f"listen 127.0.0.1:{plain};"),
        ("iup.kommun.se", "localhost"),
        ("/etc/ssl/iup/", f"{certs}/"),
        ("https://$host$request_uri", f"https://$host:{tls}$request_uri"),
    ):
        assert written in text, f"docs/nginx-iup.conf no longer says {written!r}"
        text = text.replace(written, here)
    return text


def main_conf(folder: Path, site_file: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf gives a site, in a folder of the test's own."""
    temp = folder / "temp"
    temp.mkdir(mode=0o777)
    temp.chmod(0o777)  # the workers may run as another user
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\n"
        f"error_log {folder}/error.log;\nevents {{}}\nhttp {{\n"
        f"  access_log {folder}/access.log;\n"
        f"  client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n"
        f"  fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n"
        f"  scgi_temp_path {temp}/scgi;\n  include {site_file};\n}}\n"
    )


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxied]:
    if NGINX is None:
        reason = "nginx is not installed (apt-get install nginx-light)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("nginx")
    chain, _private = self_signed(folder)
    tls, plain, a, b = free_port(), free_port(), free_port(), free_port()
    origin = f"https://localhost:{tls}"
    (folder / "iup.conf").write_text(site(tls, plain, (a, b), folder))
    (folder / "nginx.conf").write_text(main_conf(folder, folder / "iup.conf"))
    with postgres_database("iup_nginx") as url:
        upgrade(url)
        engine = make_engine(url)
        with Session(engine) as session:
            seed(session, today=Settings().today())
        env = {
            **os.environ,
            "IUP_DATABASE_URL": url,
            "IUP_ORIGIN": origin,
            "IUP_TRUSTED_PROXIES": "127.0.0.1",
            "IUP_SECRET_KEY": "behind-nginx",
            "PYTHONUNBUFFERED": "1",
        }
        processes: list[subprocess.Popen[bytes]] = []
        logs = folder / "server-a.log", folder / "server-b.log"
        try:
            for port, log in zip((a, b), logs, strict=True):
                processes.append(serve(IUP, port, env, log))
            for port, process, log in zip((a, b), processes, logs, strict=True):
                wait_until_healthy(f"http://127.0.0.1:{port}", process, f"\n{log}")
            checked = subprocess.run(
                [NGINX, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf")],
                capture_output=True,
                text=True,
                check=False,
            )
            assert checked.returncode == 0, checked.stderr
            with (folder / "nginx.out").open("wb") as out:
                processes.append(
                    subprocess.Popen(
                        [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf")],
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            wait_for_tls(origin, chain, processes[-1], folder / "error.log")
            yield Proxied(origin, f"http://localhost:{plain}", chain, engine, logs)
        finally:
            for process in processes:
                stop_server(process)
            engine.dispose()


def wait_for_tls(origin: str, chain: Path, nginx: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    with httpx.Client(base_url=origin, verify=trusting(chain), timeout=2) as client:
        while time.monotonic() < deadline:
            if nginx.poll() is not None:
                pytest.fail(f"nginx exited with {nginx.returncode}: {log.read_text()[-2000:]}")
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    pytest.fail(f"nginx did not answer over TLS: {log.read_text()[-2000:]}")


def browser(proxied: Proxied, address: str = "127.0.0.1") -> httpx.Client:
    """A client that trusts the school's certificate, from a loopback address of its own."""
    return httpx.Client(
        base_url=proxied.origin,
        timeout=CLIENT_TIMEOUT,
        transport=httpx.HTTPTransport(verify=trusting(proxied.certificate), local_address=address),
    )


def trusting(chain: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(chain))


def token_of(client: httpx.Client) -> str:
    page = client.get("/login").text
    start = page.index(CSRF_META) + len(CSRF_META)
    return page[start : page.index('"', start)]


def test_a_pupil_signs_up_and_in_through_nginx_over_tls(proxied: Proxied) -> None:
    with Session(proxied.engine) as session:
        alva = session.exec(select(Person).where(Person.external_id == external("alva"))).one()
        assert alva.id is not None
        code = issue_enrolment_code(session, person_id=alva.id, hours=1)
    authenticator = SoftAuthenticator(origin=proxied.origin)
    with browser(proxied) as client:
        token = token_of(client)
        headers = {"x-csrftoken": token}
        options = client.post(f"/enrol/{code}/options", json={}, headers=headers)
        assert options.status_code == 201, options.text
        made = client.post(
            f"/enrol/{code}/verify",
            json=authenticator.register(options.json()),
            headers=headers,
        )
        assert made.status_code == 201, made.text
        cookies = made.headers.get_list("set-cookie")
        assert cookies and all("Secure" in cookie for cookie in cookies), cookies
        homes = [client.get("/") for _ in range(6)]
        assert all(home.status_code == 200 for home in homes)
        assert "multiplikationstabellerna" in homes[-1].text  # her goals, over HTTPS
        ids = [home.headers["x-request-id"] for home in homes]

    served = [log.read_text() for log in proxied.logs]
    for rid in ids:  # nginx's $request_id: 32 hex characters, logged by one process
        assert len(rid) == 32 and sum(rid in text for text in served) == 1, rid
    assert all(any(rid in text for rid in ids) for text in served), "both processes served"


def test_limits_count_the_address_nginx_saw(proxied: Proxied) -> None:
    def bucket(address: str) -> str:
        return f"sign_in_start:{hashlib.sha256(address.encode()).hexdigest()[:32]}"

    with browser(proxied, address="127.0.0.2") as client:
        started = client.post(
            "/auth/login/options", json={}, headers={"x-csrftoken": token_of(client)}
        )
        assert started.status_code == 201, started.text
    with Session(proxied.engine) as session:
        buckets = set(session.exec(select(RateLimit.bucket).where(col(RateLimit.count) > 0)))
    assert bucket("127.0.0.2") in buckets
    assert bucket("127.0.0.1") not in buckets  # nginx's own address is not the client's


def test_plain_http_is_sent_to_https(proxied: Proxied) -> None:
    with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
        answer = client.get(f"{proxied.plain}/goals/1?x=1")
    assert answer.status_code == 301
    assert answer.headers["location"] == f"{proxied.origin}/goals/1?x=1"


def test_a_body_too_large_gets_the_apps_message(proxied: Proxied) -> None:
    """nginx lets through what the app refuses itself (client_max_body_size is larger), so
    the reader gets the app's sentence in her language, not nginx's English page."""
    with browser(proxied) as client:
        refused = client.post(
            "/auth/login/verify",
            content=b"{" + b" " * (1024 * 1024) + b"}",
            headers={"x-csrftoken": token_of(client), "content-type": "application/json"},
        )
    assert refused.status_code == 413
    assert refused.json()["reason"] == "too_large", refused.text
