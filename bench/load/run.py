"""One load run: its own pipeline, a fixed-rate mixed load, optional fault, then reconciliation."""

from __future__ import annotations

import asyncio
import base64
import secrets
import shutil
import statistics
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import clickhouse_connect

from bench.load.faults import inject
from bench.load.model import TrafficModel, make_sites
from bench.load.observe import Sampler
from bench.load.reconcile import Reconciliation, reconcile
from bench.load.send import Answer, send_all
from bench.load.sites import write_sites
from common.kafka import ensure_topics
from common.local_kafka import LocalKafka
from common.settings import SharedSettings
from tests.support.services import Service, free_port, http_ok, wait_for


@dataclass
class LoadConfig:
    rate: float = 500.0
    duration_s: float = 30.0
    sites: int = 20
    seed: int = 7
    bot_share: float = 0.05
    invalid_share: float = 0.03
    hot_share: float = 0.0
    processors: int = 1
    partitions: int = 6
    fault: str | None = None
    fault_at_s: float = 10.0
    outage_s: float = 5.0
    state_dir: Path = Path(".hitstream/load")
    keep_state: bool = False  # keep the run's logs, broker and ClickHouse data for inspection
    bootstrap: str | None = None  # an existing cluster; None: start a broker for this run


@dataclass
class LoadReport:
    config: LoadConfig
    run: str
    reconciliation: Reconciliation
    throughput: float
    ingest_p50_ms: float
    ingest_p99_ms: float
    queryable_p50_ms: float
    queryable_p99_ms: float
    peak_lag: dict[str, int] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    rss_growth_mb: dict[str, float] = field(default_factory=dict)
    recovery_s: float | None = None
    statuses: dict[str, int] = field(default_factory=dict)
    hot_queryable_ms: tuple[float, float] | None = None


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]
    )


class Pipeline:
    """Broker (optional), sink, N processor workers and ingest, each a real process."""

    def __init__(self, cfg: LoadConfig, run: str) -> None:
        self.root = cfg.state_dir.resolve() / run
        self.root.mkdir(parents=True, exist_ok=True)
        self.broker = None if cfg.bootstrap else LocalKafka(self.root / "kafka", free_port(), free_port())
        self.bootstrap = cfg.bootstrap or self.broker.bootstrap  # type: ignore[union-attr]
        self.ingest_port, self.ch_port, self.sink_health_port = free_port(), free_port(), free_port()
        self.env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap, "CLICKHOUSE_URL": f"chdb://{self.root / 'clickhouse'}",
            "HITSTREAM_CLICKHOUSE_DATABASE": "load", "HITSTREAM_TOPIC_RAW": f"{run}.raw",
            "HITSTREAM_TOPIC_ENRICHED": f"{run}.enriched", "HITSTREAM_TOPIC_DLQ": f"{run}.dlq",
            "HITSTREAM_TOPIC_PARTITIONS": str(cfg.partitions), "HITSTREAM_STATE_DIR": str(self.root),
            "HITSTREAM_SECRET_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "PROCESSOR_APP_ID": f"{run}-processors", "SINK_GROUP_ID": f"{run}-sink",
            "INGEST_PORT": str(self.ingest_port), "INGEST_SITES_FILE": str(self.root / "sites.json"),
            "SINK_HTTP_PORT": str(self.ch_port), "SINK_HTTP_READONLY": "false",
            "SINK_METRICS_PORT": str(self.sink_health_port), "SINK_BATCH_MAX_SECONDS": "0.5",
            # Browser calls (ZTA's tracker) come through a local "load balancer": the generator.
            "INGEST_TRUSTED_PROXIES": "127.0.0.1/32",
        }  # fmt: skip
        self.web_ports = [free_port() for _ in range(cfg.processors)]
        self.env["INGEST_PROCESSOR_URLS"] = ",".join(f"http://127.0.0.1:{p}" for p in self.web_ports)
        self.services: dict[str, Service] = {"sink": Service("sink", self.env, self.root)}
        for i, port in enumerate(self.web_ports):
            env = {
                **self.env,
                "PROCESSOR_WEB_PORT": str(port),
                "PROCESSOR_DATA_DIR": str(self.root / f"faust{i}"),
            }
            self.services[f"process-{i}"] = Service("process", env, self.root)
        self.services["ingest"] = Service("ingest", self.env, self.root)

    def start(self) -> None:
        if self.broker is not None:
            self.broker.start()
        ensure_topics(SharedSettings(**self.env))  # type: ignore[arg-type]
        for s in self.services.values():
            s.start()
        try:
            wait_for(lambda: http_ok(f"http://127.0.0.1:{self.ingest_port}/readyz"), 90, "ingest ready")
            wait_for(lambda: http_ok(f"http://127.0.0.1:{self.ch_port}/ping"), 90, "sink HTTP interface")
        except AssertionError:
            for name, svc in self.services.items():
                print(f"----- {name} -----\n{svc.output()[-3000:]}")
            raise

    def clickhouse(self) -> Any:
        return clickhouse_connect.get_client(host="127.0.0.1", port=self.ch_port, database="load")

    def stop(self) -> None:
        for name in ["ingest", *[n for n in self.services if n.startswith("process")], "sink"]:
            self.services[name].stop()
        if self.broker is not None:
            self.broker.stop()


def run_load(cfg: LoadConfig) -> LoadReport:
    run = uuid.uuid4().hex[:8]
    specs = make_sites(cfg.sites, run)
    pipe = Pipeline(cfg, run)
    write_sites(Path(pipe.env["INGEST_SITES_FILE"]), specs)
    pipe.start()
    model = TrafficModel(
        specs,
        run,
        seed=cfg.seed,
        bot_share=cfg.bot_share,
        invalid_share=cfg.invalid_share,
        hot_share=cfg.hot_share,
    )
    sampler = Sampler(pipe.bootstrap, {"processors": (f"{run}-processors", f"{run}.raw"),
                                       "sink": (f"{run}-sink", f"{run}.enriched")},
                      {n: s.proc.pid for n, s in pipe.services.items() if s.proc})  # fmt: skip
    sampler.start()
    fault_times: dict[str, float] = {}
    if cfg.fault:

        def fault() -> None:
            time.sleep(cfg.fault_at_s)
            fault_times["start"] = time.monotonic()
            fault_times["undone"] = inject(
                cfg.fault or "",
                pipe.services,
                pipe.broker,
                lambda sql: pipe.clickhouse().command(sql),
                cfg.outage_s,
            )

        threading.Thread(target=fault, daemon=True).start()
    try:
        t0 = time.monotonic()
        answers = asyncio.run(
            send_all(f"http://127.0.0.1:{pipe.ingest_port}", model.next_hit, cfg.rate, cfg.duration_s)
        )
        elapsed = time.monotonic() - t0
        caught_up = _drain(pipe, sampler)
        client = pipe.clickhouse()
        rec = reconcile(answers, client, run)
        q50, q99 = _queryable(client, "NOT startsWith(page_path, %(h)s)", run)
        hot = _queryable(client, "startsWith(page_path, %(h)s)", run) if cfg.hot_share else None
        report = _report(cfg, run, rec, answers, elapsed, q50, q99, sampler, fault_times, caught_up)
        report.hot_queryable_ms = hot
        return report
    finally:
        sampler.stop()
        pipe.stop()
        if cfg.keep_state:
            print(f"state and service logs kept in {pipe.root}")
        else:
            shutil.rmtree(pipe.root, ignore_errors=True)


def _drain(pipe: Pipeline, sampler: Sampler, timeout_s: float = 180.0) -> float:
    """Wait until both consumer groups have no lag and the event count is stable."""
    client = pipe.clickhouse()
    last, stable_since = -1, time.monotonic()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lags = [v[-1] for v in sampler.lag.values() if v]
        n = client.query("SELECT count() FROM events").result_rows[0][0]
        if n != last:
            last, stable_since = n, time.monotonic()
        if lags and max(lags) == 0 and time.monotonic() - stable_since > 3:
            return time.monotonic()
        time.sleep(0.5)
    return time.monotonic()


def _queryable(client: Any, where: str, run: str) -> tuple[float, float]:
    """Ingest-to-queryable: from ingest's receive time to the sink's insert (p50, p99 in ms)."""
    rows = client.query(
        "SELECT quantileExact(0.5)(d), quantileExact(0.99)(d) FROM "
        f"(SELECT dateDiff('millisecond', received_at, inserted_at) AS d FROM events WHERE {where})",
        parameters={"h": f"/lg/{run}/h"},
    ).result_rows
    return float(rows[0][0]), float(rows[0][1])


def _report(
    cfg: LoadConfig,
    run: str,
    rec: Reconciliation,
    answers: list[Answer],
    elapsed: float,
    q50: float,
    q99: float,
    sampler: Sampler,
    fault: dict[str, float],
    caught_up: float,
) -> LoadReport:
    ok_lat = [a.latency_s * 1000 for a in answers if 200 <= a.status < 300]
    rss = {k: [x for x in v if x] for k, v in sampler.rss.items()}
    growth = {k: (v[-1] - v[len(v) // 4]) / 2**20 for k, v in rss.items() if len(v) >= 8}
    return LoadReport(
        config=cfg, run=run, reconciliation=rec, throughput=rec.accepted / elapsed,
        ingest_p50_ms=_pct(ok_lat, 50), ingest_p99_ms=_pct(ok_lat, 99),
        queryable_p50_ms=q50, queryable_p99_ms=q99,
        peak_lag={k: max(v) for k, v in sampler.lag.items() if v},
        peak_rss_mb={k: max(v) / 2**20 for k, v in rss.items() if v}, rss_growth_mb=growth,
        recovery_s=(caught_up - fault["start"]) if "start" in fault else None,
        statuses=dict(sorted(Counter(f"{a.hit.path} {a.status}" for a in answers).items())),
    )  # fmt: skip
