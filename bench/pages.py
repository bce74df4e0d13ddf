"""Server CPU time per request for each page, next to a bare Litestar endpoint measured in
the same run (TESTING.md: ratios, not absolute numbers, on a noisy 2-core machine).

Each server runs under granian pinned to core 1; this client runs on core 0 and sends
sequential keep-alive requests; the server's CPU time comes from /proc/PID/stat.
Run: `make bench` (or `.venv/bin/python bench/pages.py --requests 2000`)."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.auth.service import issue_enrolment_code
from backend.db import make_engine, upgrade
from backend.demo import external, seed
from backend.models import Person
from tests.softauthn import SoftAuthenticator

TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def serve(target: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1",
               "--port", str(port), "--workers", "1", "--no-ws", "--log-level", "warning"]
    if target.endswith("()"):
        command += ["--factory", target[:-2]]
    else:
        command.append(target)
    if os.cpu_count() and os.cpu_count() > 1:  # type: ignore[operator]
        command = ["taskset", "-c", "1", *command]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{target} did not start")


def worker_pid(process: subprocess.Popen[bytes]) -> int:
    """granian forks its worker: measure the busiest process in the tree."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    pids = [process.pid, *map(int, children)]
    return max(pids, key=cpu_seconds)


def measure(client: httpx.Client, pid: int, path: str, requests: int) -> float:
    for _ in range(50):  # warm up
        client.get(path)
    before = cpu_seconds(pid)
    for _ in range(requests):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    return (cpu_seconds(pid) - before) / requests * 1000


def sign_in(base: str, url: str) -> httpx.Client:
    engine = make_engine(url)
    with Session(engine) as db:
        pupil = db.exec(select(Person).where(Person.external_id == external("alva"))).one()
        assert pupil.id is not None
        code = issue_enrolment_code(db, person_id=pupil.id, hours=1)
    client = httpx.Client(base_url=base, headers={"accept-encoding": "gzip"})
    page = client.get("/login").text
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    headers = {"x-csrftoken": token}
    options = client.post(f"/enrol/{code}/options", json={}, headers=headers).json()
    credential = SoftAuthenticator(origin=base).register(options)
    client.post(f"/enrol/{code}/verify", json=credential, headers=headers).raise_for_status()
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    if os.cpu_count() and os.cpu_count() > 1:  # type: ignore[operator]
        os.sched_setaffinity(0, {0})
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        with Session(make_engine(url)) as db:
            seed(db, today=date.today())  # noqa: DTZ011
        bare_port, app_port = free_port(), free_port()
        base = f"http://localhost:{app_port}"
        env = {**os.environ, "IUP_DATABASE_URL": url, "IUP_ORIGIN": base,
               "IUP_SECRET_KEY": "bench", "PYTHONPATH": str(ROOT)}
        bare = serve("bench.bare:app", bare_port, env)
        app = serve("backend.asgi:app_from_env()", app_port, env)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{bare_port}") as client:
                yardstick = measure(client, worker_pid(bare), "/bare", args.requests)
            client = sign_in(base, url)
            css = client.get("/login").text.split('rel="stylesheet" href="', 1)[1].split('"')[0]
            pid = worker_pid(app)
            print(f"{'page':<28}{'ms CPU/request':>16}{'× bare':>10}")
            print(f"{'bare Litestar JSON':<28}{yardstick:>16.3f}{1:>10.1f}")
            for path in ["/healthz", "/login", "/", "/api/plan", "/account", css, "/sw.js"]:
                cost = measure(client, pid, path, args.requests)
                print(f"{path[:27]:<28}{cost:>16.3f}{cost / yardstick:>10.1f}")
        finally:
            for process in (bare, app):
                process.terminate()
                process.wait(timeout=10)


if __name__ == "__main__":
    main()
