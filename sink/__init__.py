"""The sink: enriched events from Kafka into ClickHouse, batched, exactly once in the aggregates."""
