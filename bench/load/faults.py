"""Faults injected under load: kill -9 of a service, a broker restart, ClickHouse refusing inserts."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from common.local_kafka import LocalKafka
from tests.support.services import Service

FAULTS = ("kill-sink", "kill-processor", "kill-ingest", "restart-broker", "clickhouse-refuse")


def inject(
    fault: str,
    services: dict[str, Service],
    broker: LocalKafka | None,
    admin: Callable[[str], Any],
    outage_s: float,
) -> float:
    """Apply the fault, keep it for outage_s, undo it; returns when it was undone (monotonic)."""
    if fault.startswith("kill-"):
        name = {"kill-sink": "sink", "kill-processor": "process-0", "kill-ingest": "ingest"}[fault]
        services[name].kill()
        time.sleep(outage_s)
        services[name].start()
    elif fault == "restart-broker":
        if broker is None:
            raise SystemExit("restart-broker needs the run's own broker (unset KAFKA_BOOTSTRAP_SERVERS)")
        broker.stop()
        time.sleep(outage_s)
        broker.start()
    elif fault == "clickhouse-refuse":
        # Stop merges and let any second part throw TOO_MANY_PARTS: a transient refusal the sink
        # must ride out (pause, back off, retry) without losing or duplicating anything.
        admin("SYSTEM STOP MERGES events")
        admin("ALTER TABLE events MODIFY SETTING parts_to_throw_insert = 1")
        time.sleep(outage_s)
        admin("ALTER TABLE events MODIFY SETTING parts_to_throw_insert = 3000")
        admin("SYSTEM START MERGES events")
    else:
        raise SystemExit(f"unknown fault {fault}; choose from {', '.join(FAULTS)}")
    return time.monotonic()
