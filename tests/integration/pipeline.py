"""A whole pipeline (ingest, one processor worker, sink) as real processes, for e2e tests."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.conftest import PipelineEnv
from tests.support.services import Service, free_port, http_ok, wait_for

DEMO_SITES = {
    "sites": [
        {
            "id": "example",
            "domains": ["example.com"],
            "active": True,
            "swetrix_pid": "YOUR_PROJECT_ID",
            "zta_site_id": "site_abc123",
            "tokens": [],
        }
    ]
}


class RunningPipeline:
    def __init__(
        self, env: PipelineEnv, ingest_port: int, ch_port: int, services: dict[str, Service]
    ) -> None:
        self.env = env
        self.ingest_url = f"http://127.0.0.1:{ingest_port}"
        self.ch_url = f"http://127.0.0.1:{ch_port}"
        self.services = services

    def query(self, sql: str) -> list[dict[str, Any]]:
        """Rows as dicts, through the sink's ClickHouse HTTP interface."""
        params = urllib.parse.urlencode({"query": f"{sql} FORMAT JSONEachRow", "database": self.env.name})
        with urllib.request.urlopen(f"{self.ch_url}/?{params}", timeout=10) as r:
            return [json.loads(line) for line in r.read().decode().splitlines() if line]

    def post(
        self, path: str, body: bytes | dict[str, Any], headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.ingest_url}{path}",
            data=data,
            method="POST",
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(req, timeout=15) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def logs(self) -> str:
        return "\n".join(f"----- {n} -----\n{s.output()[-4000:]}" for n, s in self.services.items())


@contextmanager
def running_pipeline(
    env: PipelineEnv, sites: dict[str, Any] | None = None, *, clickhouse_server: str | None = None
) -> Iterator[RunningPipeline]:
    """`clickhouse_server`: a ClickHouse server's URL for the sink (else the test's chDB, served by
    the sink's own HTTP interface)."""
    sites_file = env.state_dir / "sites.json"
    sites_file.write_text(json.dumps(sites or DEMO_SITES))
    ingest_port, ch_port, web_port = free_port(), free_port(), free_port()
    extra = {
        "INGEST_PORT": str(ingest_port),
        "INGEST_SITES_FILE": str(sites_file),
        "SINK_HTTP_PORT": str(ch_port),
        "SINK_BATCH_MAX_SECONDS": "0.3",
        "SINK_METRICS_PORT": "0",
        "PROCESSOR_WEB_PORT": str(web_port),
        "INGEST_PROCESSOR_URLS": f"http://127.0.0.1:{web_port}",
    }
    if clickhouse_server is not None:
        extra["CLICKHOUSE_URL"] = clickhouse_server
    full = {**env.env, **extra}
    services = {
        "sink": Service("sink", full, env.state_dir),
        "process": Service("process", full, env.state_dir),
        "ingest": Service("ingest", full, env.state_dir),
    }
    for s in services.values():
        s.start()
    running = RunningPipeline(env, ingest_port, ch_port, services)
    try:
        wait_for(lambda: http_ok(f"{running.ingest_url}/readyz"), 60, "ingest ready")
        # Swetrix hits need a session verdict: wait until the worker owns its partitions.
        probe = urllib.request.Request(
            f"http://127.0.0.1:{web_port}/swetrix/session/",
            method="POST",
            data=b'{"key":"probe|probe","kind":"heartbeat","at":"2026-01-01T00:00:00Z"}',
        )
        wait_for(lambda: urllib.request.urlopen(probe, timeout=2).status == 200, 90, "processor session view")
        if clickhouse_server is None:
            wait_for(lambda: http_ok(f"{running.ch_url}/ping"), 60, "sink HTTP interface")
        yield running
    except BaseException:
        print(running.logs())
        raise
    finally:
        for name in ("ingest", "process", "sink"):
            services[name].stop()
