"""The metric catalogue: every Prometheus metric hitstream exports, each with its meaning.

One module so operators find every name in one place (docs/operations.md mirrors it) and no two
services define the same name differently. Services import the objects they update; each service
exposes its process's registry on its own `/metrics` endpoint.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

# --- ingest -----------------------------------------------------------------------------------
INGEST_REQUESTS = Counter(
    "hitstream_ingest_requests_total",
    "HTTP requests answered by ingest, by vendor, endpoint and status code.",
    ["vendor", "endpoint", "status"],
)
INGEST_PUBLISH_SECONDS = Histogram(
    "hitstream_ingest_publish_seconds",
    "Time from handing an event to the producer until Kafka acknowledged it.",
    buckets=_LATENCY_BUCKETS,
)
INGEST_PRODUCER_QUEUE = Gauge(
    "hitstream_ingest_producer_queue_messages",
    "Messages waiting in the producer queue for Kafka acknowledgement.",
)
INGEST_FILTERED = Counter(
    "hitstream_ingest_filtered_total",
    "Hits a vendor promises not to store (bots on ZTA and Swetrix), by vendor and reason.",
    ["vendor", "reason"],
)

# --- processors -------------------------------------------------------------------------------
PROCESSOR_EVENTS = Counter(
    "hitstream_processor_events_total",
    "Raw events processed, by outcome (enriched; dead_lettered; redelivered: already applied and "
    "emitted, acknowledged only).",
    ["outcome"],
)
PROCESSOR_BOTS = Counter(
    "hitstream_processor_bots_total",
    "Enriched events flagged as bots, by reason family.",
    ["reason"],
)
PROCESSOR_DLQ = Counter(
    "hitstream_processor_dead_letters_total",
    "Raw events sent to the DLQ by the processors, by reason.",
    ["reason"],
)
PROCESSOR_CACHE = Counter(
    "hitstream_processor_cache_lookups_total",
    "Enrichment cache lookups, by cache (user_agent) and result (hit, miss).",
    ["cache", "result"],
)
PROCESSOR_STATE_KEYS = Gauge(
    "hitstream_processor_state_keys",
    "Keys held in a processor state table on this worker, by table.",
    ["table"],
)

# --- sink -------------------------------------------------------------------------------------
SINK_ROWS = Counter(
    "hitstream_sink_rows_total",
    "Rows the sink wrote to ClickHouse, by table.",
    ["table"],
)
SINK_BATCH_ROWS = Histogram(
    "hitstream_sink_batch_rows",
    "Rows per insert batch.",
    buckets=(1, 10, 100, 1_000, 5_000, 10_000, 20_000, 50_000, 100_000),
)
SINK_INSERT_SECONDS = Histogram(
    "hitstream_sink_insert_seconds",
    "Time ClickHouse took to accept one batch.",
    buckets=_LATENCY_BUCKETS,
)
SINK_ERRORS = Counter(
    "hitstream_sink_errors_total",
    "ClickHouse insert errors, by class (transient, data).",
    ["error_class"],
)
SINK_DUPLICATES = Counter(
    "hitstream_sink_duplicates_dropped",
    "Messages the sink dropped because their event_id was in the partition's recent window (an "
    "event the processors emitted twice).",
)
SINK_DLQ = Counter(
    "hitstream_sink_dead_letters_total",
    "Rows the sink sent to the DLQ, by reason.",
    ["reason"],
)

# --- dashboard --------------------------------------------------------------------------------
DASHBOARD_REQUESTS = Counter(
    "hitstream_dashboard_requests_total",
    "HTTP requests answered by the dashboard, by route template (unmatched for none) and status code.",
    ["route", "status"],
)
DASHBOARD_API_SECONDS = Histogram(
    "hitstream_dashboard_api_seconds",
    "Time the dashboard took to answer one API call (ClickHouse included), by route template.",
    ["route"],
    buckets=_LATENCY_BUCKETS,
)
DASHBOARD_QUERY_ERRORS = Counter(
    "hitstream_dashboard_query_errors_total",
    "Dashboard requests ClickHouse could not answer (down, timed out or refused; answered 503).",
)

# --- consumers (processors and sink) ----------------------------------------------------------
CONSUMER_LAG = Gauge(
    "hitstream_consumer_lag_messages",
    "Messages between what a consumer has processed (sink: committed) and the end of the partition, "
    "by service (processors, sink).",
    ["service", "topic", "partition"],
)


def catalogue_markdown() -> str:
    """The catalogue as a Markdown table (docs/operations.md embeds it; a test keeps them equal)."""
    from prometheus_client.metrics import MetricWrapperBase

    rows = ["| metric | type | labels | meaning |", "| --- | --- | --- | --- |"]
    for obj in globals().values():
        if isinstance(obj, MetricWrapperBase):
            name = obj._name + ("_total" if obj._type == "counter" else "")
            labels = ", ".join(obj._labelnames) or "-"
            rows.append(f"| `{name}` | {obj._type} | {labels} | {obj._documentation} |")
    return "\n".join(rows) + "\n"
