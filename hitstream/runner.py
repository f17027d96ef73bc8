"""`hitstream up`: the whole pipeline on one machine, in the foreground.

Each service runs as its own process (exactly as in production), with its output prefixed by its
name. Ctrl-C (or SIGTERM) stops the dashboard and ingest first, then the processors, then the sink,
so in-flight events drain downstream; a broker this command started is stopped last.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from common.kafka import ensure_topics
from common.local_kafka import LocalKafka, LocalKafkaError
from common.settings import SharedSettings
from dashboard.settings import DashboardSettings
from ingest.settings import IngestSettings
from sink.settings import SinkSettings

SERVICES = ("sink", "process", "ingest", "dashboard")  # stopped in reverse
DEMO_SITES = """{
  "sites": [
    {
      "id": "example",
      "domains": ["example.com"],
      "active": true,
      "swetrix_pid": "YOUR_PROJECT_ID",
      "zta_site_id": "site_abc123",
      "tokens": [
        {"id": "sly_demo", "kind": "supalytics", "sha256": "94ddcb65a2daaac8c818d682832c4f2880da8c9849984c1cea1685e43d86e159", "permissions": []},
        {"id": "hk_demo", "kind": "hitkeep", "sha256": "8cccff6b1390274e1a5a7395fc31664b9a4e051026711d873557f9d614010994", "permissions": ["site.manage_data"]}
      ]
    }
  ]
}
"""


def _pump(name: str, stream: object) -> None:
    assert hasattr(stream, "readline")
    for line in iter(stream.readline, b""):
        sys.stdout.write(f"[{name:7}] {line.decode(errors='replace')}")
        sys.stdout.flush()


def _wait_http(url: str, timeout_s: float, procs: dict[str, subprocess.Popen[bytes]]) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs.values()):
            return False
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def ensure_demo_sites(path: Path) -> bool:
    """First run only: a demo site whose vendor ids match the vendor docs' examples."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DEMO_SITES)
    return True


def run_all(ingest_port: int | None = None) -> int:
    env = dict(os.environ)  # handed to the services, which read their own settings from it
    if ingest_port is not None:
        env["INGEST_PORT"] = str(ingest_port)
    ingest = IngestSettings()
    if ingest_port is not None:
        ingest = ingest.model_copy(update={"port": ingest_port})
    sink = SinkSettings()
    shared = ingest.shared
    broker: LocalKafka | None = None
    started_broker = False
    if shared.uses_local_kafka:
        broker = LocalKafka(shared.state_dir / "kafka")
        started_broker = broker.pid() is None
        print(f"==> Kafka: {'starting' if started_broker else 'already running'} on {broker.bootstrap}")
        try:
            broker.start()
        except LocalKafkaError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    ensure_topics(shared)
    sites = ingest.sites_path
    if ensure_demo_sites(sites):
        print(f"==> created {sites} with a demo site (Swetrix pid YOUR_PROJECT_ID, domain example.com)")

    exe = str(Path(sys.executable).with_name("hitstream"))
    procs: dict[str, subprocess.Popen[bytes]] = {}
    for name in SERVICES:
        procs[name] = subprocess.Popen([exe, name], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=_pump, args=(name, procs[name].stdout), daemon=True).start()

    stopping = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    ok = _wait_http(f"http://{ingest.host}:{ingest.port}/readyz", 120, procs)
    query_ok = not sink.serve_http or _wait_http(f"http://{sink.http_host}:{sink.http_port}/ping", 60, procs)
    dashboard = DashboardSettings()
    dash_ok = _wait_http(f"{_dashboard_url(dashboard)}/healthz", 60, procs)
    if ok and query_ok and dash_ok:
        print(_banner(ingest, shared, dashboard), flush=True)
    else:
        print("error: a service did not become ready; see its output above", file=sys.stderr)
        stopping.set()

    code = 0
    while not stopping.is_set():
        for name, p in procs.items():
            if p.poll() is not None:
                print(f"error: {name} exited with status {p.returncode}", file=sys.stderr)
                code = 1
                stopping.set()
        stopping.wait(0.5)

    print("==> stopping: dashboard, ingest, processors, sink")
    for name in reversed(SERVICES):
        p = procs[name]
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    if broker is not None and started_broker:
        broker.stop()
        print("==> Kafka stopped")
    return code


def _dashboard_url(dashboard: DashboardSettings) -> str:
    host = "127.0.0.1" if dashboard.host in ("0.0.0.0", "") else dashboard.host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{dashboard.port}"


def _banner(ingest: IngestSettings, shared: SharedSettings, dashboard: DashboardSettings) -> str:
    url = f"http://{ingest.host}:{ingest.port}"
    return f"""
==> hitstream is up
    Send events to  {url}   (POST /log, /api/track, /post, /v1/events, /api/ingest/server/pageview)
    Demo site       example.com: Swetrix pid YOUR_PROJECT_ID, ZTA siteId site_abc123,
                    Supalytics key sly_demo_0123456789abcdef, HitKeep token hk_demo_0123456789abcdef
    Dashboard       {_dashboard_url(dashboard)}/
    Health          {url}/healthz  /readyz
    Kafka           {shared.bootstrap_servers}
    ClickHouse      {shared.clickhouse_dsn}  (queries: {shared.clickhouse_reader_dsn})
    Query           ./run query "SELECT event_time, vendor, page_path FROM events"
                    curl '{shared.clickhouse_reader_dsn}/?query=SELECT+count()+FROM+hitstream.events'
    Stop            Ctrl-C
"""
