"""The real server as an operator meets it: a crafted Cookie header does not hold up other
requests, a second server on a taken port refuses to start, the worker stops with the
server that started it, and stdout has one line per request."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from backend.db import upgrade
from tests.support import free_port, stop_server

IUP = str(Path(sys.executable).parent / "iup")


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str, headers: dict[str, str] | None = None) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", headers=headers or {}
        )
        try:
            # Unanswered in 10 s is an error that fails the test (no latency asserted).
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)


def serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [IUP, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def healthy(port: int, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        url = f"http://127.0.0.1:{port}/healthz"
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
            if response.status == 200:
                return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("server")
    url = f"sqlite:///{tmp / 'iup.db'}"
    upgrade(url)
    base = {k: v for k, v in os.environ.items() if not k.startswith("IUP_")}
    english = {"LC_ALL": "C.UTF-8"}  # the messages read here, whatever the shell's LANG
    return {**base, "IUP_DATABASE_URL": url, "IUP_SECRET_KEY": "server-test", **english}


@pytest.fixture(scope="module")
def server(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port = free_port()
    log = tmp_path_factory.mktemp("log") / "server.log"
    process = serve({**env, "IUP_ORIGIN": f"http://localhost:{port}"}, port, log)
    try:
        assert healthy(port), log.read_text(errors="replace")[-3000:]
        yield Server(port=port, process=process, log=log)
    finally:
        stop_server(process)


def crafted_cookie_request(port: int, size: int, answers: list[bytes]) -> None:
    """The quadratic case of CVE-2024-7592: a quoted value full of backslashes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        value = b'"' + b"\\" * size + b'"'
        sock.sendall(b"GET /login HTTP/1.1\r\nHost: localhost\r\nCookie: a=" + value + b"\r\n\r\n")
        answers.append(sock.recv(100).split(b"\r\n", 1)[0])


def test_a_crafted_cookie_header_does_not_hold_up_others(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    answers: list[bytes] = []
    waits = []
    for _ in range(5):
        attack = threading.Thread(
            target=crafted_cookie_request, args=(server.port, 250_000, answers)
        )
        attack.start()
        time.sleep(0.01)
        started = time.perf_counter()
        assert server.get("/healthz") == 200
        waits.append(time.perf_counter() - started)
        attack.join(timeout=30)
    assert answers == [b"HTTP/1.1 431 Request Header Fields Too Large"] * 5
    with capsys.disabled():
        print(f"\nhealthz beside a crafted cookie header: max {max(waits) * 1000:.0f} ms")
    # An ordinary cookie header still works, the session and language cookies included.
    assert server.get("/login", {"cookie": "lang=en; iup_session=x; other=1"}) == 200


def test_one_line_per_request_on_stdout(server: Server) -> None:
    marker = f"req-{time.time_ns()}"
    assert server.get("/healthz", {"x-request-id": marker}) == 200
    assert server.get("/no/such/page", {"x-request-id": marker + "b"}) == 404
    time.sleep(0.2)
    lines = server.log.read_text(errors="replace").splitlines()
    ours = [line for line in lines if marker in line]
    assert any("GET /healthz 200" in line and f"id={marker}" in line for line in ours), ours
    assert any("GET (no route) 404" in line and f"id={marker}b" in line for line in ours), ours


def test_a_second_server_on_a_taken_port_refuses_to_start(
    server: Server, env: dict[str, str]
) -> None:
    result = subprocess.run(
        [IUP, "serve", "--host", "127.0.0.1", "--port", str(server.port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{server.port}" in result.stderr
    assert server.get("/healthz") == 200, "the first server goes on"


def test_the_worker_stops_with_the_server_that_started_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    process = serve({**env, "IUP_ORIGIN": f"http://localhost:{port}"}, port, tmp_path / "log")
    try:
        assert healthy(port)
        process.send_signal(signal.SIGKILL)  # only the main process, not its group
        process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and healthy(port, seconds=0.2):
            time.sleep(0.2)
        assert not healthy(port, seconds=0.5), "a worker went on serving the port"
    finally:
        stop_server(process)


def test_a_restart_on_the_same_port_starts_at_once(env: dict[str, str], tmp_path: Path) -> None:
    """The last run's connections linger in TIME_WAIT; that is no reason to refuse."""
    port = free_port()
    first = serve({**env, "IUP_ORIGIN": f"http://localhost:{port}"}, port, tmp_path / "1.log")
    try:
        assert healthy(port)
        for _ in range(5):  # urllib asks the server to close: its side lingers in TIME_WAIT
            assert Server(port=port, process=first, log=tmp_path / "1.log").get("/healthz") == 200
    finally:
        stop_server(first)
    again = serve({**env, "IUP_ORIGIN": f"http://localhost:{port}"}, port, tmp_path / "2.log")
    try:
        assert healthy(port), (tmp_path / "2.log").read_text(errors="replace")
    finally:
        stop_server(again)
