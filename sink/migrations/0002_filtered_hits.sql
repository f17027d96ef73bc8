-- Hits a vendor promised not to store (bots on ZTA and Swetrix): counted, never stored as events.
-- The sink inserts one row per hit into the Null-engine queue; the view folds it into per-site,
-- per-day, per-reason counts. `hits` is a uniqExact state of event ids, so a duplicate insert
-- cannot inflate the count: read it with uniqExactMerge(hits) (or the filtered_hits_daily view).
CREATE TABLE IF NOT EXISTS filtered_hits_queue
(
    event_id   UUID,
    site_id    LowCardinality(String),
    vendor     LowCardinality(String),
    event_time DateTime64(3, 'UTC'),
    reason     LowCardinality(String)
)
ENGINE = Null;

CREATE TABLE IF NOT EXISTS filtered_hits
(
    site_id LowCardinality(String),
    day     Date,
    vendor  LowCardinality(String),
    reason  LowCardinality(String),
    hits    AggregateFunction(uniqExact, UUID)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, day, vendor, reason)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS filtered_hits_mv TO filtered_hits AS
SELECT site_id, toDate(event_time) AS day, vendor, reason, uniqExactState(event_id) AS hits
FROM filtered_hits_queue
GROUP BY site_id, day, vendor, reason;

CREATE VIEW IF NOT EXISTS filtered_hits_daily AS
SELECT site_id, day, vendor, reason, uniqExactMerge(t.hits) AS hits
FROM filtered_hits AS t
GROUP BY site_id, day, vendor, reason;
