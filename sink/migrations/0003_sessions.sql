-- One row per session (after merging): fed from `events` by a materialized view, bots excluded.
-- Rows are keyed by (site, day of the event, session), which keeps per-site time-range scans
-- cheap; a visit that spans 00:00 UTC stays one session (processors rule), so its rows sit under
-- two days and `sessions_view` merges them by session, dated by the day it started. Every
-- column is an aggregate that a duplicate row cannot change: min/max of times, uniqExact of event ids, argMin/argMax by time.
-- Rows of one session may sit in several parts until a merge: always read through
-- `sessions_view` (or GROUP BY site_id, session_id with the -Merge functions).
CREATE TABLE IF NOT EXISTS sessions
(
    site_id       LowCardinality(String),
    session_date  Date,
    session_id    String,
    visitor_key   SimpleAggregateFunction(any, String),
    start_time    SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    end_time      SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    pageviews     AggregateFunction(uniqExact, UUID),
    events        AggregateFunction(uniqExact, UUID),
    entry_page    AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    exit_page     AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
    referrer_host AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    channel       AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    utm_source    AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    utm_medium    AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    utm_campaign  AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    country       AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    region        AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    city          AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    device_type   AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    browser       AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    os            AggregateFunction(argMin, String, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(session_date)
ORDER BY (site_id, session_date, session_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS sessions_mv TO sessions AS
SELECT
    site_id,
    toDate(event_time) AS session_date,
    session_id,
    any(visitor_key) AS visitor_key,
    min(event_time) AS start_time,
    max(event_time) AS end_time,
    uniqExactIfState(event_id, event_type = 'pageview') AS pageviews,
    uniqExactState(event_id) AS events,
    argMinIfState(page_path, event_time, event_type = 'pageview') AS entry_page,
    argMaxIfState(page_path, event_time, event_type = 'pageview') AS exit_page,
    argMinState(toString(referrer_host), event_time) AS referrer_host,
    argMinState(toString(channel), event_time) AS channel,
    argMinState(toString(utm_source), event_time) AS utm_source,
    argMinState(toString(utm_medium), event_time) AS utm_medium,
    argMinState(toString(utm_campaign), event_time) AS utm_campaign,
    argMinState(toString(country), event_time) AS country,
    argMinState(toString(region), event_time) AS region,
    argMinState(toString(city), event_time) AS city,
    argMinState(toString(device_type), event_time) AS device_type,
    argMinState(toString(browser), event_time) AS browser,
    argMinState(toString(os), event_time) AS os
FROM events
WHERE NOT is_bot AND session_id != ''
GROUP BY site_id, session_date, session_id;

-- Finalised sessions. A bounce is a session with at most one pageview.
CREATE VIEW IF NOT EXISTS sessions_view AS
SELECT
    site_id,
    min(t.session_date) AS session_date,
    session_id,
    any(t.visitor_key) AS visitor_key,
    min(t.start_time) AS start_time,
    max(t.end_time) AS end_time,
    dateDiff('millisecond', min(t.start_time), max(t.end_time)) / 1000 AS duration_seconds,
    uniqExactMerge(t.pageviews) AS pageviews,
    uniqExactMerge(t.events) AS events,
    pageviews <= 1 AS is_bounce,
    argMinMerge(t.entry_page) AS entry_page,
    argMaxMerge(t.exit_page) AS exit_page,
    argMinMerge(t.referrer_host) AS referrer_host,
    argMinMerge(t.channel) AS channel,
    argMinMerge(t.utm_source) AS utm_source,
    argMinMerge(t.utm_medium) AS utm_medium,
    argMinMerge(t.utm_campaign) AS utm_campaign,
    argMinMerge(t.country) AS country,
    argMinMerge(t.region) AS region,
    argMinMerge(t.city) AS city,
    argMinMerge(t.device_type) AS device_type,
    argMinMerge(t.browser) AS browser,
    argMinMerge(t.os) AS os
FROM sessions AS t
GROUP BY site_id, session_id;
