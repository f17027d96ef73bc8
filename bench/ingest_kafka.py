"""Baseline (b) of the ingest benchmark: raw confluent-kafka producing the bytes ingest produces.

Same producer settings as `ingest.publisher` (idempotent, acks=all, lz4, linger 5 ms), the same
kind of value (a canonical event as JSON) and key, and a closed loop with as many messages in
flight as the HTTP benchmark has connections, so the two are comparable.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from datetime import UTC, datetime

from confluent_kafka import Producer

from schemas.events import CanonicalEvent, EventType, Vendor


def _value() -> bytes:
    now = datetime.now(UTC)
    return (
        CanonicalEvent(
            event_id=str(uuid.uuid4()),
            vendor=Vendor.ZERO_TRUST,
            site_id="example",
            event_type=EventType.PAGEVIEW,
            event_time=now,
            received_at=now,
            page_path="/blog/my-article",
            referrer="https://google.com",
            utm_source="google",
            utm_medium="cpc",
            user_agent="Mozilla/5.0 (Windows NT 10.0; rv:109.0) Gecko/20100101 Firefox/116.0",
            ip_encrypted="x" * 56,
        )
        .model_dump_json()
        .encode()
    )


def run(bootstrap: str, topic: str, in_flight: int, duration_s: float) -> dict[str, float]:
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
            "compression.type": "lz4",
            "partitioner": "murmur2_random",
        }
    )
    value, lat, pending = _value(), [], [0]

    def done(err: object, _msg: object, started: float) -> None:
        pending[0] -= 1
        if err is None:
            lat.append(time.perf_counter() - started)

    producer.produce(topic, value=value, key=b"warm")
    producer.flush(30)
    started_all = time.perf_counter()
    stop_at = started_all + duration_s
    n = 0
    while time.perf_counter() < stop_at:
        while pending[0] < in_flight:
            t = time.perf_counter()
            producer.produce(
                topic,
                value=value,
                key=f"example|{n % 1000}".encode(),
                on_delivery=lambda e, m, t=t: done(e, m, t),
            )
            pending[0] += 1
            n += 1
        producer.poll(0.001)
    producer.flush(30)
    elapsed = time.perf_counter() - started_all
    lat.sort()
    pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] * 1000 if lat else 0.0  # noqa: E731
    return {
        "accepted_per_s": len(lat) / elapsed,
        "requests": n,
        "non2xx": n - len(lat),
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
    }


if __name__ == "__main__":
    b, t, c, d = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    print(json.dumps(run(b, t, c, d)))
