-- One row per stored event (bots included, flagged; vendor-filtered hits are never stored here).
-- ReplacingMergeTree with event_id in the sorting key folds a duplicate row that slipped past
-- insert deduplication; the insert deduplication window drops a replayed batch outright
-- (non-replicated tables deduplicate only when this window is set). Partitions are months of
-- event time; the sorting key serves "one site, a time range" first. Retention (TTL) is applied
-- by the sink at start-up from SINK_RETENTION_DAYS, so this file stays identical everywhere.
CREATE TABLE IF NOT EXISTS events
(
    event_id           UUID,
    site_id            LowCardinality(String),
    vendor             LowCardinality(String),
    event_type         LowCardinality(String),
    event_name         LowCardinality(String),
    event_time         DateTime64(3, 'UTC'),
    received_at        DateTime64(3, 'UTC'),
    hostname           LowCardinality(String),
    page_path          String,
    page_url           String,
    prev_path          String,
    referrer           String,
    referrer_host      LowCardinality(String),
    channel            LowCardinality(String),
    ref                String,
    utm_source         LowCardinality(String),
    utm_medium         LowCardinality(String),
    utm_campaign       LowCardinality(String),
    utm_term           String,
    utm_content        String,
    country            LowCardinality(String),
    region             LowCardinality(String),
    city               LowCardinality(String),
    asn                UInt32,
    as_org             LowCardinality(String),
    timezone           LowCardinality(String),
    locale             LowCardinality(String),
    language           LowCardinality(String),
    device_type        LowCardinality(String),
    browser            LowCardinality(String),
    browser_version    LowCardinality(String),
    os                 LowCardinality(String),
    os_version         LowCardinality(String),
    screen_width       UInt16,
    screen_height      UInt16,
    viewport_width     UInt16,
    viewport_height    UInt16,
    visitor_key        String,
    visitor_id         String,
    session_hint       String,
    session_id         String,
    is_new_session     Bool,
    session_seq        UInt32,
    is_unique          Bool,
    client_unique      Nullable(Bool),
    is_bot             Bool,
    bot_reason         LowCardinality(String),
    is_late            Bool,
    page_id            String,
    properties         Map(LowCardinality(String), String),
    value              Nullable(Float64),
    engagement_seconds Nullable(Float64),
    is_bounce          Nullable(Bool),
    perf_dns           Nullable(Float32),
    perf_tls           Nullable(Float32),
    perf_conn          Nullable(Float32),
    perf_response      Nullable(Float32),
    perf_render        Nullable(Float32),
    perf_dom_load      Nullable(Float32),
    perf_page_load     Nullable(Float32),
    perf_ttfb          Nullable(Float32),
    schema_version     UInt8,
    kafka_partition    UInt16,
    kafka_offset       UInt64,
    inserted_at        DateTime64(3, 'UTC') DEFAULT now64(3),
    -- Rows ClickHouse refuses (the sink sends them to the DLQ, the rest of the batch lands):
    -- a clock far off makes every time-based aggregate lie, and an event without site or visitor
    -- cannot be attributed.
    CONSTRAINT event_time_sane CHECK event_time >= toDateTime64('2000-01-01 00:00:00', 3, 'UTC')
        AND event_time <= received_at + INTERVAL 1 DAY,
    CONSTRAINT has_site CHECK site_id != '',
    CONSTRAINT has_visitor CHECK visitor_key != ''
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (site_id, toDate(event_time), event_type, event_id)
SETTINGS non_replicated_deduplication_window = 10000;
