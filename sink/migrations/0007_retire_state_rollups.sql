-- The rollups of 0002-0005 kept uniqExact states of event ids so that a duplicate could never
-- inflate a count. The sink now delivers every event exactly once (docs/analytics.md, "Why no
-- count is ever doubled"), so 0008 replaces them with plain counts, sums and 64-bit hashes of
-- visitors. Here their materialized views stop feeding them and their read views go. The
-- tables are kept, renamed legacy_*, because with a retention TTL on `events` they may hold
-- history that `events` no longer has; the sink drops every legacy_* table that is empty (a
-- database that never held data). `hitstream rebuild-rollups` fills the new tables from events.
DROP VIEW IF EXISTS sessions_mv;
DROP VIEW IF EXISTS stats_hourly_mv;
DROP VIEW IF EXISTS stats_daily_mv;
DROP VIEW IF EXISTS breakdown_daily_mv;
DROP VIEW IF EXISTS custom_events_daily_mv;
DROP VIEW IF EXISTS filtered_hits_mv;

DROP VIEW IF EXISTS sessions_view;
DROP VIEW IF EXISTS session_stats_daily;
DROP VIEW IF EXISTS session_stats_hourly;
DROP VIEW IF EXISTS stats_hourly_view;
DROP VIEW IF EXISTS stats_daily_view;
DROP VIEW IF EXISTS breakdown_daily_view;
DROP VIEW IF EXISTS custom_events_daily_view;
DROP VIEW IF EXISTS filtered_hits_daily;
DROP VIEW IF EXISTS live_visitors;

RENAME TABLE IF EXISTS sessions TO legacy_sessions;
RENAME TABLE IF EXISTS stats_hourly TO legacy_stats_hourly;
RENAME TABLE IF EXISTS stats_daily TO legacy_stats_daily;
RENAME TABLE IF EXISTS breakdown_daily TO legacy_breakdown_daily;
RENAME TABLE IF EXISTS custom_events_daily TO legacy_custom_events_daily;
RENAME TABLE IF EXISTS filtered_hits TO legacy_filtered_hits;
