-- Finalised views over the rollups, for analysts and dashboards.

CREATE VIEW IF NOT EXISTS stats_hourly_view AS
SELECT site_id, hour,
       uniqExactMerge(t.pageviews) AS pageviews, uniqExactMerge(t.events) AS events,
       uniqExactMerge(t.visitors) AS visitors, uniqExactMerge(t.sessions) AS sessions
FROM stats_hourly AS t
GROUP BY site_id, hour;

CREATE VIEW IF NOT EXISTS stats_daily_view AS
SELECT site_id, day,
       uniqExactMerge(t.pageviews) AS pageviews, uniqExactMerge(t.events) AS events,
       uniqExactMerge(t.visitors) AS visitors, uniqExactMerge(t.sessions) AS sessions
FROM stats_daily AS t
GROUP BY site_id, day;

-- Session quality per site per day: bounce rate and average duration of the sessions that
-- started that day (from sessions_view).
CREATE VIEW IF NOT EXISTS session_stats_daily AS
SELECT site_id, session_date AS day,
       count() AS sessions,
       countIf(is_bounce) AS bounces,
       round(bounces / sessions, 4) AS bounce_rate,
       round(avg(duration_seconds), 1) AS avg_duration_seconds
FROM sessions_view
GROUP BY site_id, day;

CREATE VIEW IF NOT EXISTS session_stats_hourly AS
SELECT site_id, toStartOfHour(start_time) AS hour,
       count() AS sessions,
       countIf(is_bounce) AS bounces,
       round(bounces / sessions, 4) AS bounce_rate,
       round(avg(duration_seconds), 1) AS avg_duration_seconds
FROM sessions_view
GROUP BY site_id, hour;

CREATE VIEW IF NOT EXISTS breakdown_daily_view AS
SELECT site_id, day, dimension, value,
       uniqExactMerge(t.pageviews) AS pageviews, uniqExactMerge(t.visitors) AS visitors
FROM breakdown_daily AS t
GROUP BY site_id, day, dimension, value;

CREATE VIEW IF NOT EXISTS custom_events_daily_view AS
SELECT site_id, day, event_name, prop_key, prop_value,
       uniqExactMerge(t.events) AS events, uniqExactMerge(t.visitors) AS visitors
FROM custom_events_daily AS t
GROUP BY site_id, day, event_name, prop_key, prop_value;

-- Visitors seen in the last five minutes, per site (bots excluded; heartbeats count).
CREATE VIEW IF NOT EXISTS live_visitors AS
SELECT site_id, uniqExact(visitor_key) AS visitors, max(event_time) AS last_seen
FROM events
WHERE event_time >= now64(3) - INTERVAL 5 MINUTE AND NOT is_bot
GROUP BY site_id;
