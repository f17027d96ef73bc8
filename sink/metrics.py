"""Metrics of the sink not (yet) in the shared catalogue (`common.metrics`, which the sink does
not own): move them there, and into docs/operations.md's table, when convenient."""

from __future__ import annotations

from prometheus_client import Counter

SINK_DUPLICATES = Counter(
    "hitstream_sink_duplicates_dropped",
    "Messages the sink dropped because their event_id was in the partition's dedup window.",
)
