"""A keep-alive HTTP/1.1 load generator in asyncio, for when `wrk` is not installed.

Closed loop: each connection sends one request, reads the whole answer, then sends the next.
Only 127.0.0.1 is allowed as a target. Prints one JSON line with the same fields as the wrk
script: requests, non-2xx answers, socket errors, duration and p50/p99 latency (µs).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time


async def _connection(port: int, raw: bytes, stop_at: float, lat: list[float], stats: dict[str, int]) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        stats["socket_errors"] += 1
        return
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            lat.append(time.perf_counter() - started)
            stats["requests"] += 1
            if not 200 <= status < 300:
                stats["non2xx"] += 1
    except (OSError, asyncio.IncompleteReadError, ValueError):
        stats["socket_errors"] += 1
    finally:
        writer.close()


async def run(port: int, raw: bytes, connections: int, duration_s: float) -> dict[str, float]:
    lat: list[float] = []
    stats = {"requests": 0, "non2xx": 0, "socket_errors": 0}
    started = time.perf_counter()
    stop_at = started + duration_s
    await asyncio.gather(*(_connection(port, raw, stop_at, lat, stats) for _ in range(connections)))
    elapsed = time.perf_counter() - started
    lat.sort()

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(len(lat) * p))] * 1e6 if lat else 0.0

    return {**stats, "duration_us": elapsed * 1e6, "p50_us": pct(0.50), "p99_us": pct(0.99)}


def request_bytes(method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


if __name__ == "__main__":  # python -m bench.ingest_load <spec.json>
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    raw = request_bytes(spec["method"], spec["path"], spec["headers"], spec["body"].encode())
    print(json.dumps(asyncio.run(run(spec["port"], raw, spec["connections"], spec["duration_s"]))))
