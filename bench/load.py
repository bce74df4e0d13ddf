"""The load generator pages.py falls back on when `wrk` is missing: N keep-alive HTTP/1.1
connections in one asyncio loop, each sending its next GET (or POST of --data) as soon as the
last answer is read.

Slower than wrk, but fair as long as the floor is driven by the same client (TESTING.md).
Prints one JSON object: requests, seconds, rps, p50_ms, p99_ms, non_2xx, errors.
Run: `.venv/bin/python bench/load.py URL --seconds 5 --connections 64 -H 'Cookie: a=b'`."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    non_2xx: int = 0
    errors: dict[str, int] = field(
        default_factory=lambda: {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    )


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; return its status and whether the connection stays open."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower().split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = dict(line.split(":", 1) for line in head[1:] if ":" in line)
    headers = {name.strip(): value.strip() for name, value in headers.items()}
    if "chunked" in headers.get("transfer-encoding", ""):
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif status not in (204, 304):
        await reader.read()  # the body runs to the end of the connection
        return status, False
    return status, headers.get("connection") != "close"


async def connection(
    host: str, port: int, request: bytes, *, deadline: float, tally: Tally, timeout: float
) -> None:
    while time.perf_counter() < deadline:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        except (OSError, TimeoutError):
            tally.errors["connect"] += 1
            await asyncio.sleep(0.01)
            continue
        try:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                writer.write(request)
                async with asyncio.timeout(timeout):
                    status, alive = await read_response(reader)
                tally.latencies.append(time.perf_counter() - start)
                tally.non_2xx += not 200 <= status < 400  # what wrk counts as non-2xx or 3xx
                if not alive:
                    break
        except TimeoutError:
            tally.errors["timeout"] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            tally.errors["read"] += 1
        finally:
            writer.close()


def percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(
    url: str,
    seconds: float,
    connections: int,
    headers: list[str],
    timeout: float,
    *,
    data: str | None = None,
) -> dict[str, object]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    body = (data or "").encode()
    method = "GET" if data is None else "POST"
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", *headers]
    lines += [f"Content-Length: {len(body)}"] if data is not None else []
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    tally = Tally()
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(
        *(
            connection(host, port, request, deadline=deadline, tally=tally, timeout=timeout)
            for _ in range(connections)
        )
    )
    elapsed = time.perf_counter() - start
    ordered = sorted(tally.latencies)
    return {
        "requests": len(ordered),
        "seconds": elapsed,
        "rps": len(ordered) / elapsed,
        "p50_ms": percentile(ordered, 0.50) * 1000,
        "p99_ms": percentile(ordered, 0.99) * 1000,
        "non_2xx": tally.non_2xx,
        "errors": tally.errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=2, help="seconds, as wrk's default")
    parser.add_argument("-H", "--header", action="append", default=[])
    parser.add_argument("--data", help="POST this body (give its Content-Type with -H)")
    args = parser.parse_args()
    result = asyncio.run(
        run(args.url, args.seconds, args.connections, args.header, args.timeout, data=args.data)
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
