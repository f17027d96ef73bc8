-- Dashboard rollups, fed from `events` by materialized views, bots excluded. Every measure is a
-- uniqExact state (of event ids, visitor keys or session ids), so a duplicate row is harmless and
-- no query needs FINAL; read them with uniqExactMerge (or the *_view views below).

-- Per site per hour: pageviews, custom events, unique visitors, sessions.
CREATE TABLE IF NOT EXISTS stats_hourly
(
    site_id   LowCardinality(String),
    hour      DateTime('UTC'),
    pageviews AggregateFunction(uniqExact, UUID),
    events    AggregateFunction(uniqExact, UUID),
    visitors  AggregateFunction(uniqExact, String),
    sessions  AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site_id, hour)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS stats_hourly_mv TO stats_hourly AS
SELECT
    site_id,
    toStartOfHour(event_time) AS hour,
    uniqExactIfState(event_id, event_type = 'pageview') AS pageviews,
    uniqExactIfState(event_id, event_type = 'custom') AS events,
    uniqExactIfState(visitor_key, event_type IN ('pageview', 'custom')) AS visitors,
    uniqExactIfState(session_id, session_id != '') AS sessions
FROM events
WHERE NOT is_bot
GROUP BY site_id, hour;

-- Per site per day (unique visitors of a day are not the sum of its hours, hence a table of its own).
CREATE TABLE IF NOT EXISTS stats_daily
(
    site_id   LowCardinality(String),
    day       Date,
    pageviews AggregateFunction(uniqExact, UUID),
    events    AggregateFunction(uniqExact, UUID),
    visitors  AggregateFunction(uniqExact, String),
    sessions  AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, day)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS stats_daily_mv TO stats_daily AS
SELECT
    site_id,
    toDate(event_time) AS day,
    uniqExactIfState(event_id, event_type = 'pageview') AS pageviews,
    uniqExactIfState(event_id, event_type = 'custom') AS events,
    uniqExactIfState(visitor_key, event_type IN ('pageview', 'custom')) AS visitors,
    uniqExactIfState(session_id, session_id != '') AS sessions
FROM events
WHERE NOT is_bot
GROUP BY site_id, day;

-- Per site per day per dimension value: one table for every breakdown a dashboard shows.
-- `dimension` is one of: page, hostname, referrer, channel, utm_source, utm_medium,
-- utm_campaign, country, device, browser, os, language.
CREATE TABLE IF NOT EXISTS breakdown_daily
(
    site_id   LowCardinality(String),
    day       Date,
    dimension LowCardinality(String),
    value     String,
    pageviews AggregateFunction(uniqExact, UUID),
    visitors  AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, dimension, day, value)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS breakdown_daily_mv TO breakdown_daily AS
SELECT
    site_id,
    toDate(event_time) AS day,
    dim.1 AS dimension,
    dim.2 AS value,
    uniqExactState(event_id) AS pageviews,
    uniqExactState(visitor_key) AS visitors
FROM events
ARRAY JOIN [
    ('page', page_path), ('hostname', toString(hostname)), ('referrer', toString(referrer_host)),
    ('channel', toString(channel)), ('utm_source', toString(utm_source)),
    ('utm_medium', toString(utm_medium)), ('utm_campaign', toString(utm_campaign)),
    ('country', toString(country)), ('device', toString(device_type)),
    ('browser', toString(browser)), ('os', toString(os)), ('language', toString(language))
] AS dim
WHERE NOT is_bot AND event_type = 'pageview'
GROUP BY site_id, day, dimension, value;

-- Custom events per site per day, by name, and by each property key and value. The row with
-- prop_key = '' counts the event name itself.
CREATE TABLE IF NOT EXISTS custom_events_daily
(
    site_id    LowCardinality(String),
    day        Date,
    event_name LowCardinality(String),
    prop_key   LowCardinality(String),
    prop_value String,
    events     AggregateFunction(uniqExact, UUID),
    visitors   AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, day, event_name, prop_key, prop_value)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS custom_events_daily_mv TO custom_events_daily AS
SELECT
    site_id,
    toDate(event_time) AS day,
    event_name,
    prop.1 AS prop_key,
    prop.2 AS prop_value,
    uniqExactState(event_id) AS events,
    uniqExactState(visitor_key) AS visitors
FROM events
ARRAY JOIN arrayPushFront(
    arrayMap((k, v) -> (toString(k), v), mapKeys(properties), mapValues(properties)), ('', '')
) AS prop
WHERE NOT is_bot AND event_type = 'custom'
GROUP BY site_id, day, event_name, prop_key, prop_value;
