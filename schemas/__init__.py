"""Contracts that travel on Kafka: the canonical event (ingest → processors) and the enriched
event (processors → sink). Vendor payload models live in `schemas.vendors`."""

from schemas.events import (
    SCHEMA_VERSION,
    CanonicalEvent,
    EnrichedEvent,
    EventType,
    PerfMetrics,
    Vendor,
)

__all__ = ["SCHEMA_VERSION", "CanonicalEvent", "EnrichedEvent", "EventType", "PerfMetrics", "Vendor"]
