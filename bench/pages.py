"""Server CPU per request, throughput and latency of each page under concurrent load, next to
a bare Litestar JSON endpoint (bench/bare.py, "the floor") loaded the same way in the same run:
ratios, not absolute numbers, on a noisy 2-core machine (TESTING.md, "Measuring speed").

Both servers run under granian (--log-level warning, their output, the app's one line per
request, sent to a temporary file), one worker each, pinned to core 1; the app is
`backend.asgi:app_from_env` on a temporary SQLite database, migrated and seeded with the demo
data, and a pupil signs in with an enrolment code and a software passkey. The load comes from
`wrk -t1 -c64 --latency` pinned to core 0, carrying the pupil's cookies and accepting gzip
(bench/load.py, an asyncio client on core 0, when wrk is missing: slower, and then the floor is
driven by it as well). The staff pages (STAFF_PAGES) are loaded the same way with the
cookies of the demo mentor, teacher or principal they are for. Per page: one check with httpx
(it must answer 200), a warm-up, then --seconds of load. Columns:
  ms CPU/req   utime+stime of the granian worker (/proc/PID/stat) / requests wrk completed
  % of floor   floor CPU / page CPU: the page's throughput, in per cent of the bare
               endpoint's, when the server's core is the limit
  × floor CPU  page CPU / floor CPU
  p50, p99     latency with --connections requests in flight; req/s as wrk counted
A page that answers anything but 200, or a load with non-2xx/3xx responses or socket errors,
fails the run. Run twice (--repeat 2): the % of floor should agree within ~10 %.

Run: `make bench`, or `.venv/bin/python bench/pages.py --seconds 10 --repeat 2 --json out.json`.
`--profile prof.txt` also samples the worker with py-spy (`.venv/bin/pip install py-spy`) while
loading `/` and writes the functions with the most self time to prof.txt."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.auth.service import issue_enrolment_code
from backend.db import make_engine, upgrade
from backend.demo import external, seed
from backend.models import Group, Person, School
from tests.softauthn import SoftAuthenticator

TICKS = os.sysconf("SC_CLK_TCK")
MULTICORE = (os.cpu_count() or 1) > 1
SERVER_CORE, CLIENT_CORE = 1, 0
CSS = "<css>"  # stands for the stylesheet the /login page links
PAGES = [
    "/healthz",
    "/login",
    "/",
    "/api/plan",
    "/preparation",
    "/api/plan/preparation",
    "/notifications",
    "/account",
    CSS,
    "/sw.js",
]
# Staff pages, each loaded by the demo person it is for ({group}: 4A, {school}: the school).
STAFF_PAGES = [
    ("mentor-4a", "/"),
    ("mentor-4a", "/groups/{group}"),
    ("mentor-4a", "/api/groups/{group}/overview"),
    ("teacher-ek", "/reflections"),
    ("mentor-4a", "/pupils/{pupil}/notes"),
    ("principal", "/schools/{school}"),
    ("mentor-4a", "/pupils/{pupil}/compilation"),
    ("mentor-4a", "/groups/{group}/talk-times"),
    ("guardian-anna", "/pupils/{pupil}/preparation"),
    ("guardian-anna", "/pupils/{pupil}/talk-times"),
    ("mentor-4a", "/pupils/{pupil}/written-plan"),  # after the talk: two agreements, published
    ("guardian-anna", "/pupils/{pupil}"),  # the plan with its signatures verified
    ("guardian-anna", "/api/pupils/{pupil}/agreements"),
]
PROFILED = "/"
UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
HEADER = (
    f"{'page':<30}{'ms CPU/req':>11}{'% of floor':>11}{'× floor CPU':>12}"
    f"{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}"
)


def pinned(core: int, command: list[str]) -> list[str]:
    return ["taskset", "-c", str(core), *command] if MULTICORE else command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def process_tree(pid: int) -> list[int]:
    pids = [pid]
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in map(int, children.read_text().split()):
            pids += process_tree(child)
    return pids


class Server:
    """One granian worker pinned to the server core, its output sent to a log file."""

    def __init__(self, target: str, port: int, env: dict[str, str], log: Path) -> None:
        command = [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-ws",
            "--log-level",
            "warning",
        ]
        command += ["--factory", target[:-2]] if target.endswith("()") else [target]
        self.target, self.log = target, log
        with log.open("wb") as output:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                pinned(SERVER_CORE, command),
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.alive()
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise SystemExit(f"{target} did not answer within 60 s\n{self.log_tail()}")

    def alive(self) -> None:
        if self.process.poll() is not None:
            raise SystemExit(f"{self.target} exited ({self.process.returncode})\n{self.log_tail()}")

    def cpu(self) -> dict[int, float]:
        return {pid: cpu_seconds(pid) for pid in process_tree(self.process.pid)}

    def settle(self, timeout: float = 5) -> None:
        """Wait until the server has served what an earlier load left in flight."""
        deadline, last = time.monotonic() + timeout, sum(self.cpu().values())
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = sum(self.cpu().values())
            if now == last:
                return
            last = now

    def worker(self) -> int:
        """granian forks its worker: the busiest process in the tree."""
        cpu = self.cpu()
        return max(cpu, key=cpu.__getitem__)

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(f"  {self.target}> {line}" for line in text)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Load:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: dict[str, int]


@dataclass
class Row:
    page: str
    url: str
    ms_cpu: float
    load: Load

    def as_dict(self, floor: Row) -> dict[str, object]:
        return {
            "page": self.page,
            "url": self.url,
            "ms_cpu_per_request": self.ms_cpu,
            "pct_of_floor": floor.ms_cpu / self.ms_cpu * 100,
            "x_floor_cpu": self.ms_cpu / floor.ms_cpu,
            **asdict(self.load),
        }

    def line(self, floor: Row) -> str:
        return (
            f"{self.page[:29]:<30}{self.ms_cpu:>11.3f}"
            f"{floor.ms_cpu / self.ms_cpu * 100:>10.1f}%{self.ms_cpu / floor.ms_cpu:>12.1f}"
            f"{self.load.p50_ms:>9.2f}{self.load.p99_ms:>9.2f}{self.load.rps:>9.0f}"
        )


def parse_wrk(output: str) -> Load:
    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise SystemExit(f"unexpected wrk output (no {pattern!r}):\n{output}")
        return match

    def latency(percent: int) -> float:
        match = find(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m|h)\s*$")
        return float(match[1]) * UNITS_MS[match[2]]

    done = find(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)")
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    counts = map(int, socket_errors.groups()) if socket_errors else [0] * 4
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Load(
        requests=int(done[1]),
        seconds=float(done[2]) * UNITS_MS[done[3]] / 1000,
        rps=float(find(r"Requests/sec:\s+([\d.]+)")[1]),
        p50_ms=latency(50),
        p99_ms=latency(99),
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        errors=dict(zip(("connect", "read", "write", "timeout"), counts, strict=True)),
    )


class LoadGenerator:
    """wrk, or bench/load.py where wrk is missing, pinned to the client core."""

    def __init__(self, kind: str, connections: int, headers: list[str]) -> None:
        self.kind, self.connections, self.headers = kind, connections, headers

    def run(self, url: str, seconds: int) -> Load:
        flags = [arg for header in self.headers for arg in ("-H", header)]
        if self.kind == "wrk":
            command = [
                "wrk",
                "-t1",
                f"-c{self.connections}",
                f"-d{seconds}s",
                "--latency",
                *flags,
                url,
            ]
        else:
            command = [
                sys.executable,
                str(ROOT / "bench" / "load.py"),
                url,
                "--seconds",
                str(seconds),
                "--connections",
                str(self.connections),
                *flags,
            ]
        done = subprocess.run(
            pinned(CLIENT_CORE, command), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise SystemExit(
                f"{command[0]} failed on {url} ({done.returncode}):\n{done.stdout}{done.stderr}"
            )
        load = parse_wrk(done.stdout) if self.kind == "wrk" else Load(**json.loads(done.stdout))
        if not load.requests:
            raise SystemExit(
                f"{url}: no request completed in {seconds} s under "
                f"{self.connections} connections: the server is stuck (a deadlock? "
                f"`py-spy dump --pid WORKER` shows where) or each request takes "
                f"longer than the client's 2 s timeout\n{done.stdout}"
            )
        if load.non_2xx or any(load.errors.values()):
            raise SystemExit(
                f"{url}: {load.requests} requests, {load.non_2xx} answered neither "
                f"2xx nor 3xx, socket errors {load.errors}\n{done.stdout}"
            )
        return load


def measure(
    generator: LoadGenerator, server: Server, page: str, url: str, *, seconds: int, warmup: int
) -> Row:
    if warmup:
        generator.run(url, warmup)
    server.settle()  # the warm-up's last requests are not this run's
    before = server.cpu()
    load = generator.run(url, seconds)
    after = server.cpu()
    server.alive()
    busiest = max((after[pid] - before.get(pid, 0.0) for pid in after), default=0.0)
    return Row(page, url, max(busiest, 1 / TICKS) / load.requests * 1000, load)


def check(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(
            f"GET {path}: HTTP {response.status_code}, expected 200\n{response.text[:500]}"
        )


PASSKEYS: dict[int, SoftAuthenticator] = {}  # each signed-in client's passkey, by id(client)


def sign_in(base: str, url: str, key: str = "alva") -> httpx.Client:
    engine = make_engine(url)
    with Session(engine) as db:
        person = db.exec(select(Person).where(Person.external_id == external(key))).one()
        assert person.id is not None
        code = issue_enrolment_code(db, person_id=person.id, hours=1)
    client = httpx.Client(base_url=base, headers={"accept-encoding": "gzip"})
    page = client.get("/login").text
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    headers = {"x-csrftoken": token}
    options = client.post(f"/enrol/{code}/options", json={}, headers=headers).json()
    passkey = PASSKEYS[id(client)] = SoftAuthenticator(origin=base)
    credential = passkey.register(options)
    client.post(f"/enrol/{code}/verify", json=credential, headers=headers).raise_for_status()
    return client


def stylesheet(client: httpx.Client) -> str:
    for tag in re.findall(r"<link\b[^>]*>", client.get("/login").text):
        href = re.search(r'\bhref="([^"]+)"', tag)
        if re.search(r'\brel="stylesheet"', tag) and href:
            return href[1]
    raise SystemExit("/login links no stylesheet")


def demo_ids(url: str) -> dict[str, int]:
    """The ids the staff pages' paths name, from the demo data."""
    engine = make_engine(url)
    with Session(engine) as db:
        group = db.exec(select(Group).where(Group.external_id == external("group-4A"))).one()
        school = db.exec(select(School).where(School.external_id == external("school"))).one()
        pupil = db.exec(select(Person).where(Person.external_id == external("alva"))).one()
    assert group.id and school.id and pupil.id
    return {"group": group.id, "school": school.id, "pupil": pupil.id}


def written_plan(mentor: httpx.Client, guardian: httpx.Client, pupil: int) -> None:
    """The pupil's written plan with two agreements, published, and signed by a guardian
    (so her plan page shows and verifies signatures), through the JSON API."""

    def post(client: httpx.Client, method: str, path: str, body: object) -> httpx.Response:
        token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/account").text)
        assert token
        response = client.request(method, path, json=body, headers={"x-csrftoken": token[1]})
        response.raise_for_status()
        return response

    yesterday = (date.today() - timedelta(days=1)).isoformat()  # noqa: DTZ011
    due = (date.today() + timedelta(days=30)).isoformat()  # noqa: DTZ011
    post(
        mentor,
        "PUT",
        f"/api/pupils/{pupil}/summary",
        {
            "version": 0,
            "held_on": yesterday,
            "measures_school": "Extra stöd i matematik.",
            "measures_pupil": "Läsa 20 minuter varje kväll.",
        },
    )
    made = [
        post(
            mentor,
            "POST",
            f"/api/pupils/{pupil}/agreements",
            {"text": text, "party": party, "due_on": due},
        ).json()["id"]
        for text, party in (("Läsa varje kväll", "pupil"), ("Stöd på tisdagar", "school"))
    ]
    post(mentor, "POST", f"/api/pupils/{pupil}/summary/publish", {})
    options = post(guardian, "POST", f"/api/agreements/{made[0]}/signature/options?all=true", {})
    post(
        guardian,
        "POST",
        f"/api/agreements/{made[0]}/signature",
        PASSKEYS[id(guardian)].login(options.json()),
    )


def generator_for(kind: str, connections: int, client: httpx.Client) -> LoadGenerator:
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in client.cookies.jar)
    return LoadGenerator(kind, connections, [f"Cookie: {cookies}", "Accept-Encoding: gzip"])


def staff_loads(
    args: argparse.Namespace, base: str, url: str
) -> list[tuple[httpx.Client, LoadGenerator, str, str]]:
    """A signed-in client and its load generator for each staff page."""
    ids = demo_ids(url)
    clients = {key: sign_in(base, url, key) for key in dict.fromkeys(k for k, _ in STAFF_PAGES)}
    written_plan(clients["mentor-4a"], clients["guardian-anna"], ids["pupil"])
    return [
        (
            clients[key],
            generator_for(args.client, args.connections, clients[key]),
            path.format(**ids),
            f"{key} {path}",
        )
        for key, path in STAFF_PAGES
    ]


def table(
    generator: LoadGenerator,
    servers: tuple[Server, Server],
    bases: tuple[str, str],
    *,
    client: httpx.Client,
    pages: list[str],
    args: argparse.Namespace,
    staff: list[tuple[httpx.Client, LoadGenerator, str, str]],
) -> list[Row]:
    bare, app = servers
    print(HEADER, flush=True)
    with httpx.Client(base_url=bases[0]) as plain:
        check(plain, "/bare")
    floor = measure(
        generator,
        bare,
        "bare Litestar JSON (floor)",
        f"{bases[0]}/bare",
        seconds=args.seconds,
        warmup=args.warmup,
    )
    print(floor.line(floor), flush=True)
    rows = [floor]
    for path in pages:
        check(client, path)
        rows.append(
            measure(generator, app, path, bases[1] + path, seconds=args.seconds, warmup=args.warmup)
        )
        print(rows[-1].line(floor), flush=True)
    for staff_client, staff_generator, path, label in staff:
        check(staff_client, path)
        rows.append(
            measure(
                staff_generator,
                app,
                label,
                bases[1] + path,
                seconds=args.seconds,
                warmup=args.warmup,
            )
        )
        print(rows[-1].line(floor), flush=True)
    return rows


def spread(runs: list[list[Row]]) -> None:
    """% of floor of each page in each run, and how far the runs lie apart."""
    print(
        "\n% of floor by run"
        + "".join(f"{f'run {n}':>9}" for n in range(1, len(runs) + 1))
        + f"{'spread':>9}"
    )
    for rows in zip(*runs, strict=True):
        shares = [run[0].ms_cpu / row.ms_cpu * 100 for run, row in zip(runs, rows, strict=True)]
        print(
            f"{rows[0].page[:29]:<30}"
            + "".join(f"{share:>8.1f}%" for share in shares)
            + f"{(max(shares) / min(shares) - 1) * 100:>8.1f}%"
        )


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def frame_package(frame: str) -> str:
    """'render (jinja2/environment.py:1290)' -> 'jinja2'."""
    match = re.search(r"\(([^():]+)(?::\d+)?\)$", frame)
    if match is None:
        return frame
    parts = Path(match[1]).parts
    if len(parts) > 1 and parts[0] == "/":
        return "/".join(parts[:3]) + "/…"
    return parts[0].removesuffix(".py")


def summarise(raw: str, top: int) -> tuple[int, str]:
    """Flat profile from py-spy's raw (collapsed) stacks: 'frame;frame;... count' lines."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames, weight = stack.split(";"), int(count)
        samples += weight
        own[frames[-1]] += weight
        packages[frame_package(frames[-1])] += weight
        for frame in set(frames):
            inclusive[frame] += weight
    if not samples:
        return 0, ""

    def listing(title: str, counter: Counter[str]) -> list[str]:
        lines = [title, f"{'%':>7}{'samples':>9}  where"]
        lines += [
            f"{n / samples * 100:>6.1f}%{n:>9}  {name}" for name, n in counter.most_common(top)
        ]
        return [*lines, ""]

    text = listing(f"Self time by function (top {top}):", own)
    text += listing(f"Self time by package or file (top {top}):", packages)
    text += listing(f"Time including callees, by function (top {top}):", inclusive)
    return samples, "\n".join(text)


def profile(generator: LoadGenerator, app: Server, url: str, args: argparse.Namespace) -> None:
    spy = py_spy()
    if spy is None:
        print(
            "\n--profile: py-spy is not installed; `.venv/bin/pip install py-spy` "
            "installs it. No profile written."
        )
        return
    pid = app.worker()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "stacks.txt"
        command = [
            spy,
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--output",
            str(raw),
            "--rate",
            str(args.profile_rate),
            "--function",
            "--gil",
            "--nonblocking",
        ]
        recorder = subprocess.Popen(
            pinned(CLIENT_CORE, command),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        time.sleep(1)  # attaching takes a moment; a refusal ends py-spy at once
        if recorder.poll() is not None:
            output = recorder.communicate()[0]
            print(
                f"\n--profile: py-spy could not attach to pid {pid} (permissions? "
                f"ptrace_scope, or run as root). No profile written.\n{output.strip()}"
            )
            return
        try:
            load = generator.run(url, args.seconds)
        finally:
            recorder.send_signal(signal.SIGINT)
            try:
                output = recorder.communicate(timeout=60)[0]
            except subprocess.TimeoutExpired:
                recorder.kill()
                output = recorder.communicate()[0]
        stacks = raw.read_text() if raw.exists() else ""
        Path(args.profile + ".stacks").write_text(stacks)  # for flame graphs, other cuts
        samples, text = summarise(stacks, args.profile_top)
    if not samples:
        print(f"\n--profile: py-spy recorded no samples.\n{output.strip()}")
        return
    head = (
        f"py-spy profile of GET {PROFILED} ({url}), granian worker pid {pid}\n"
        f"{args.seconds} s under {args.connections} connections ({generator.kind}): "
        f"{load.requests} requests, {load.rps:.0f} req/s while sampled\n"
        f"{samples} samples at {args.profile_rate}/s of the worker thread holding the GIL "
        f"(py-spy --gil --nonblocking): Python CPU time; waits, and native code that "
        f"releases the GIL (granian's Rust, system calls), are left out\n\n"
    )
    Path(args.profile).write_text(head + text)
    print(f"\nprofile of {PROFILED}: {samples} samples, written to {args.profile}")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=5, help="load per page (default 5)")
    parser.add_argument(
        "--warmup", type=int, default=1, help="seconds of load before each measured one (default 1)"
    )
    parser.add_argument("--connections", type=int, default=64, help="in flight (default 64)")
    parser.add_argument("--repeat", type=int, default=1, help="run the whole table N times")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument(
        "--client",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator: wrk when installed (auto), or bench/load.py",
    )
    parser.add_argument(
        "--profile",
        metavar="PATH",
        help=f"profile {PROFILED} with py-spy, write a flat top-N to PATH",
    )
    parser.add_argument("--profile-top", type=int, default=30, help="functions listed")
    parser.add_argument("--profile-rate", type=int, default=1000, help="samples per second")
    args = parser.parse_args()
    if args.seconds < 1 or args.warmup < 0 or args.connections < 1 or args.repeat < 1:
        parser.error("--seconds, --connections and --repeat must be positive")
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
    elif args.client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk)")
    return args


def main() -> None:
    args = arguments()
    if MULTICORE:
        os.sched_setaffinity(0, {CLIENT_CORE})
    else:
        print("one core only: server and client share it, the ratios mean less")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        with Session(make_engine(url)) as db:
            seed(db, today=date.today())  # noqa: DTZ011
        bare_port, app_port = free_port(), free_port()
        bases = (f"http://127.0.0.1:{bare_port}", f"http://localhost:{app_port}")
        env = {
            **os.environ,
            "IUP_DATABASE_URL": url,
            "IUP_ORIGIN": bases[1],
            "IUP_SECRET_KEY": "bench",
            "PYTHONPATH": str(ROOT),
        }
        servers: list[Server] = []
        try:
            servers.append(Server("bench.bare:app", bare_port, env, Path(tmp) / "bare.log"))
            servers.append(
                Server("backend.asgi:app_from_env()", app_port, env, Path(tmp) / "app.log")
            )
            bare, app = servers
            client = sign_in(bases[1], url)
            pages = [stylesheet(client) if page == CSS else page for page in PAGES]
            generator = generator_for(args.client, args.connections, client)
            staff = staff_loads(args, bases[1], url)
            print(
                f"{args.client}, {args.connections} connections, {args.seconds} s per page "
                f"after {args.warmup} s warm-up; cookies: "
                f"{', '.join(cookie.name for cookie in client.cookies.jar)}"
            )
            runs = []
            for number in range(1, args.repeat + 1):
                if args.repeat > 1:
                    print(f"\nrun {number} of {args.repeat}")
                runs.append(
                    table(
                        generator,
                        (bare, app),
                        bases,
                        client=client,
                        pages=pages,
                        args=args,
                        staff=staff,
                    )
                )
            if args.repeat > 1:
                spread(runs)
            if args.json:
                results = {
                    "client": args.client,
                    "connections": args.connections,
                    "seconds": args.seconds,
                    "warmup": args.warmup,
                    "cpu_count": os.cpu_count(),
                    "runs": [[row.as_dict(rows[0]) for row in rows] for rows in runs],
                }
                Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
                print(f"\nresults written to {args.json}")
            if args.profile:
                profile(generator, app, bases[1] + PROFILED, args)
        except BaseException:
            for server in servers:
                if server.log.stat().st_size:
                    print(f"\n{server.target} said:\n{server.log_tail()}", file=sys.stderr)
            raise
        finally:
            for server in servers:
                server.stop()


if __name__ == "__main__":
    main()
