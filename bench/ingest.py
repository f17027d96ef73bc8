"""Ingest benchmark: accepted events/s and p50/p99 latency per endpoint, with Kafka acks.

Measured in one run, on this machine, against two baselines: (a) the same HTTP server answering
a trivial handler (read body, answer `{}`), and (b) raw confluent-kafka producing the same bytes
with the same producer settings. Servers are pinned to CPU 0 and the load generator to CPU 1
when `taskset` exists (one process, one core). The load generator is `wrk` when installed, else
the asyncio one in `bench.ingest_load`. Only 127.0.0.1 is ever targeted.

    python -m bench.ingest --duration 10 --connections 64
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from common.settings import SharedSettings
from ingest.sites import hash_token

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; rv:109.0) Gecko/20100101 Firefox/116.0"
KEY, TOKEN = "sly_bench_" + secrets.token_hex(8), "hk_bench_" + secrets.token_hex(8)
ENDPOINTS: dict[str, tuple[str, dict[str, str], dict[str, Any]]] = {
    "simple_analytics": (
        "/post",
        {"User-Agent": FIREFOX},
        {"url": "https://example.com/", "width": 1440, "unique": True, "timezone": "Europe/Amsterdam"},
    ),
    "zero_trust": (
        "/api/track",
        {"User-Agent": FIREFOX},
        {
            "type": "pageview",
            "siteId": "site_abc123",
            "path": "/blog/my-article",
            "referrer": "https://google.com",
            "utm": {"source": "google", "medium": "cpc"},
        },
    ),
    "swetrix": (
        "/log",
        {"User-Agent": FIREFOX, "X-Client-IP-Address": "192.0.2.1"},
        {"pid": "YOUR_PROJECT_ID", "lc": "en-US", "pg": "/"},
    ),
    "supalytics": (
        "/v1/events",
        {"Authorization": f"Bearer {KEY}"},
        {"name": "subscription_created", "visitor_id": "abc123", "metadata": {"plan": "pro", "amount": 29}},
    ),
    "hitkeep": (
        "/api/ingest/server/pageview",
        {"Authorization": f"Bearer {TOKEN}"},
        {
            "url": "https://example.com/p",
            "timestamp": "2026-04-15T12:00:00Z",
            "visitor_ip": "192.0.2.1",
            "user_agent": FIREFOX,
            "session_id": "2489e9ad-2ee2-8e00-8ec9-32d5f69181c0",
        },
    ),
}
SITES = {
    "sites": [
        {
            "id": "example",
            "domains": ["example.com"],
            "swetrix_pid": "YOUR_PROJECT_ID",
            "zta_site_id": "site_abc123",
            "tokens": [
                {"id": "s", "kind": "supalytics", "sha256": hash_token(KEY)},
                {
                    "id": "h",
                    "kind": "hitkeep",
                    "sha256": hash_token(TOKEN),
                    "permissions": ["site.manage_data"],
                },
            ],
        }
    ]
}
WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, '
    .. '"p50_us": %d, "p99_us": %d}\\n', summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


def _pin(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") and (os.cpu_count() or 1) >= 2 else []


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError as e:
            if e.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def _process(cmd: list[str], env: dict[str, str], ready_url: str, log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_http(ready_url)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _trivial_cmd(server: str, port: int) -> list[str]:
    if server == "granian":
        return [
            *_pin(0),
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "rsgi",
            "--factory",
            "--loop",
            "uvloop",
            "--no-ws",
            "--workers",
            "1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "bench.ingest_apps:trivial_rsgi",
        ]
    return [
        *_pin(0),
        sys.executable,
        "-m",
        "uvicorn",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
        "--port",
        str(port),
        "bench.ingest_apps:trivial_asgi",
    ]


def _load(port: int, name: str, args: argparse.Namespace, work: Path, duration: float) -> dict[str, float]:
    path, headers, body = ENDPOINTS[name]
    headers = {**headers, "Content-Type": "application/json"}
    payload = json.dumps(body)
    if args.loadgen == "wrk":
        script = work / f"{name}.lua"
        lines = ['wrk.method = "POST"', f"wrk.body = [==[{payload}]==]"]
        lines += [f'wrk.headers["{k}"] = [==[{v}]==]' for k, v in headers.items()]
        script.write_text("\n".join(lines) + WRK_DONE)
        cmd = [
            *_pin(1),
            "wrk",
            "-t1",
            f"-c{args.connections}",
            f"-d{max(1, round(duration))}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{path}",
        ]
    else:
        spec = work / f"{name}.json"
        spec.write_text(
            json.dumps(
                {
                    "method": "POST",
                    "path": path,
                    "headers": headers,
                    "body": payload,
                    "port": port,
                    "connections": args.connections,
                    "duration_s": duration,
                }
            )
        )
        cmd = [*_pin(1), sys.executable, "-m", "bench.ingest_load", str(spec)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=duration + 60).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def _summary(raw: dict[str, float]) -> dict[str, float]:
    seconds = raw["duration_us"] / 1e6
    ok = raw["requests"] - raw["non2xx"]
    return {
        "accepted_per_s": ok / seconds,
        "requests": raw["requests"],
        "non2xx": raw["non2xx"],
        "socket_errors": raw["socket_errors"],
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
    }


def _measure(port: int, args: argparse.Namespace, work: Path) -> dict[str, dict[str, float]]:
    results = {}
    for name in args.endpoints:
        _load(port, name, args, work, min(1.0, args.duration))  # warm-up, discarded
        results[name] = _summary(_load(port, name, args, work, args.duration))
    return results


def _ingest_env(
    args: argparse.Namespace, server: str, port: int, work: Path, session_port: int
) -> dict[str, str]:
    return {
        "INGEST_SERVER": server,
        "INGEST_PORT": str(port),
        "INGEST_SITES_FILE": str(work / "sites.json"),
        "INGEST_PROCESSOR_URLS": f"http://127.0.0.1:{session_port}",
        "INGEST_LOG_LEVEL": "warning",
        "INGEST_SUPALYTICS_RATE_PER_S": "100000000",
        "INGEST_HITKEEP_RATE_PER_S": "100000000",
        "KAFKA_BOOTSTRAP_SERVERS": args.bootstrap,
        "HITSTREAM_TOPIC_RAW": args.topic,
        "HITSTREAM_STATE_DIR": str(work),
        "HITSTREAM_SECRET_KEY": args.secret,
    }


def run_servers(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    (work / "sites.json").write_text(json.dumps(SITES))
    session_port = _free_port()
    out: dict[str, Any] = {}
    stub = subprocess.Popen([*_pin(1), sys.executable, "-m", "bench.ingest_apps", str(session_port)])
    try:
        for server in args.servers:
            port = _free_port()
            with _process(
                _trivial_cmd(server, port), {}, f"http://127.0.0.1:{port}/", work / f"trivial-{server}.log"
            ):
                out[f"trivial/{server}"] = _measure(port, args, work)
            port = _free_port()
            env = _ingest_env(args, server, port, work, session_port)
            with _process(
                [*_pin(0), str(Path(sys.executable).with_name("hitstream")), "ingest"],
                env,
                f"http://127.0.0.1:{port}/readyz",
                work / f"ingest-{server}.log",
            ):
                out[f"ingest/{server}"] = _measure(port, args, work)
    finally:
        stub.terminate()
        stub.wait(timeout=10)
    return out


def run_raw_kafka(args: argparse.Namespace) -> dict[str, float]:
    cmd = [
        *_pin(0),
        sys.executable,
        "-m",
        "bench.ingest_kafka",
        args.bootstrap,
        args.topic,
        str(args.connections),
        str(args.duration),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=args.duration + 120).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


@contextmanager
def _kafka(args: argparse.Namespace, work: Path) -> Iterator[str]:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        return
    from common.local_kafka import LocalKafka

    broker = LocalKafka(work / "kafka", port=_free_port(), controller_port=_free_port())
    try:
        yield broker.start(timeout_s=180)
    finally:
        broker.stop()


def _print(results: dict[str, Any]) -> None:
    print(f"{'stack':22} {'endpoint':18} {'accepted/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for stack, per in results.items():
        rows = per.items() if stack != "raw-kafka" else [("(same bytes)", per)]
        for name, r in rows:
            print(
                f"{stack:22} {name:18} {r['accepted_per_s']:11.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
                f"{r.get('non2xx', 0):8.0f}"
            )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=10.0, help="Seconds per measurement.")
    p.add_argument("--connections", type=int, default=64, help="Concurrent keep-alive connections.")
    p.add_argument("--endpoints", default=",".join(ENDPOINTS), help="Comma-separated vendors.")
    p.add_argument("--servers", default="granian,uvicorn", help="Comma-separated: granian, uvicorn.")
    p.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    p.add_argument("--json-out", type=Path, default=None)
    args = p.parse_args(argv)
    args.endpoints = [e for e in args.endpoints.split(",") if e]
    args.servers = [s for s in args.servers.split(",") if s]
    if args.loadgen == "auto":
        args.loadgen = "wrk" if shutil.which("wrk") else "python"
    args.topic = f"bench-{uuid.uuid4().hex[:8]}.raw"
    args.secret = base64.b64encode(secrets.token_bytes(32)).decode()
    work = Path(tempfile.mkdtemp(prefix="hitstream-bench-ingest-"))
    try:
        with _kafka(args, work) as bootstrap:
            args.bootstrap = bootstrap
            from common.kafka import ensure_topics

            ensure_topics(SharedSettings(KAFKA_BOOTSTRAP_SERVERS=bootstrap, HITSTREAM_TOPIC_RAW=args.topic))  # type: ignore[call-arg]
            results: dict[str, Any] = {"raw-kafka": run_raw_kafka(args), **run_servers(args, work)}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"loadgen={args.loadgen} connections={args.connections} "
        f"duration={args.duration}s cpus={os.cpu_count()}"
    )
    _print(results)
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
