"""The shared kernel every stage imports: settings, Kafka and ClickHouse clients, crypto, metrics,
logs and bot rules. It imports no stage (ingest, processors, sink) and no contract (schemas)."""
