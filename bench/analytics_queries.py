"""The dashboard questions of docs/analytics.md, each asked twice: of the derived tables, and
straight of `events`. The analytics benchmark times both and checks they give the same rows.

`{site}` is replaced by a quoted site id. Periods: the 30 days before today (hourly: the last 48
hours, from the start of an hour). Raw sessions are rebuilt from events as the processors define
them: opened by the event with `is_new_session`, attributed to it, ended by the last event that
extends a session (anything but an engagement report).
"""

from __future__ import annotations

COUNTED = "event_type IN ('pageview', 'custom')"
RAW_VISITORS = (
    f"uniqExactIf(visitor_key, visitor_key != '' AND {COUNTED}) "
    f"+ countIf(visitor_key = '' AND is_unique AND {COUNTED})"
)
RAW_30D = "site_id = {site} AND event_time >= toDateTime(today() - 30) AND NOT is_bot"
HOURS_48 = "toStartOfHour(now() - INTERVAL 48 HOUR)"
RAW_SESSIONS = f"""(
    SELECT session_id,
        minIf(event_time, is_new_session) AS start_time,
        countIf(event_type = 'pageview') AS pageviews,
        pageviews <= 1 AS is_bounce,
        greatest(start_time, maxIf(event_time, event_type != 'engagement')) AS end_time,
        dateDiff('millisecond', start_time, end_time) / 1000 AS duration_seconds,
        argMinIf(page_path, event_time, event_type = 'pageview') AS entry_page,
        argMaxIf(page_path, event_time, event_type = 'pageview') AS exit_page,
        argMin(toString(channel), (NOT is_new_session, event_time)) AS channel,
        argMin(toString(utm_source), (NOT is_new_session, event_time)) AS utm_source,
        argMin(toString(utm_medium), (NOT is_new_session, event_time)) AS utm_medium,
        argMin(toString(utm_campaign), (NOT is_new_session, event_time)) AS utm_campaign,
        argMin(toString(referrer_host), (NOT is_new_session, event_time)) AS referrer_host,
        argMin(toString(country), (NOT is_new_session, event_time)) AS country,
        argMin(toString(device_type), (NOT is_new_session, event_time)) AS device_type,
        argMin(toString(browser), (NOT is_new_session, event_time)) AS browser
    FROM events
    WHERE {RAW_30D} AND session_id != ''
    GROUP BY session_id
    HAVING countIf(is_new_session) > 0
)"""
SESSIONS_30D = "sessions_view WHERE site_id = {site} AND session_date >= today() - 30"

QUERIES: dict[str, tuple[str, str]] = {
    "daily series (visitors, pageviews, sessions)": (
        "SELECT day, visitors, pageviews, sessions FROM stats_daily_view "
        "WHERE site_id = {site} AND day >= today() - 30 ORDER BY day",
        f"SELECT toDate(event_time) AS day, {RAW_VISITORS} AS visitors, "
        "countIf(event_type = 'pageview') AS pv, "
        f"countIf(is_new_session) AS sessions FROM events WHERE {RAW_30D} GROUP BY day ORDER BY day",
    ),
    "hourly series, last 48 h": (
        "SELECT hour, visitors, pageviews FROM stats_hourly_view WHERE site_id = {site} "
        f"AND day >= toDate({HOURS_48}) AND hour >= {HOURS_48} AND visitors + pageviews > 0 ORDER BY hour",
        f"SELECT toStartOfHour(event_time) AS hour, {RAW_VISITORS} AS visitors, "
        "countIf(event_type = 'pageview') AS pageviews FROM events "
        f"WHERE site_id = {{site}} AND event_time >= {HOURS_48} AND NOT is_bot "
        "GROUP BY hour HAVING visitors + pageviews > 0 ORDER BY hour",
    ),
    "30-day totals (visitors, pageviews, sessions)": (
        "SELECT (SELECT uniqExact(visitor_hash) FROM visitor_days WHERE site_id = {site} "
        "AND day >= today() - 30) + sum(anonymous_visitors), sum(pageviews), sum(sessions) "
        "FROM stats_hourly WHERE site_id = {site} AND hour >= toDateTime(today() - 30)",
        f"SELECT {RAW_VISITORS}, countIf(event_type = 'pageview'), countIf(is_new_session) "
        f"FROM events WHERE {RAW_30D}",
    ),
    "bounce rate and duration per day": (
        "SELECT day, sessions, bounce_rate, avg_duration_seconds FROM session_stats_daily "
        "WHERE site_id = {site} AND day >= today() - 30 ORDER BY day",
        "SELECT toDate(start_time) AS day, count() AS sessions, round(countIf(is_bounce) / sessions, 4), "
        f"round(avg(duration_seconds), 1) FROM {RAW_SESSIONS} GROUP BY day ORDER BY day",
    ),
    "bounce rate and duration, 30 days": (
        "SELECT count(), round(countIf(is_bounce) / count(), 4), round(avg(duration_seconds), 1) "
        f"FROM {SESSIONS_30D}",
        "SELECT count(), round(countIf(is_bounce) / count(), 4), round(avg(duration_seconds), 1) "
        f"FROM {RAW_SESSIONS}",
    ),
    "top pages": (
        "SELECT value, sum(pageviews) AS pv FROM breakdown_daily WHERE site_id = {site} "
        "AND dimension = 'page' AND day >= today() - 30 GROUP BY value ORDER BY pv DESC, value LIMIT 10",
        "SELECT page_path, count() AS pv FROM events "
        f"WHERE {RAW_30D} AND event_type = 'pageview' "
        "GROUP BY page_path ORDER BY pv DESC, page_path LIMIT 10",
    ),
    "entry pages": (
        "SELECT entry_page, count() AS n, round(countIf(is_bounce) / n, 4) "
        f"FROM {SESSIONS_30D} GROUP BY entry_page ORDER BY n DESC, entry_page LIMIT 10",
        "SELECT entry_page, count() AS n, round(countIf(is_bounce) / n, 4) "
        f"FROM {RAW_SESSIONS} GROUP BY entry_page ORDER BY n DESC, entry_page LIMIT 10",
    ),
    "exit pages": (
        f"SELECT exit_page, count() AS n FROM {SESSIONS_30D} "
        "GROUP BY exit_page ORDER BY n DESC, exit_page LIMIT 10",
        f"SELECT exit_page, count() AS n FROM {RAW_SESSIONS} "
        "GROUP BY exit_page ORDER BY n DESC, exit_page LIMIT 10",
    ),
    "top referrers (sessions)": (
        f"SELECT referrer_host, count() AS n FROM {SESSIONS_30D} AND referrer_host != '' "
        "GROUP BY referrer_host ORDER BY n DESC, referrer_host LIMIT 10",
        f"SELECT referrer_host, count() AS n FROM {RAW_SESSIONS} WHERE referrer_host != '' "
        "GROUP BY referrer_host ORDER BY n DESC, referrer_host LIMIT 10",
    ),
    "channels by sessions": (
        f"SELECT channel, count() AS n, round(avg(duration_seconds), 1) FROM {SESSIONS_30D} "
        "GROUP BY channel ORDER BY n DESC, channel",
        f"SELECT channel, count() AS n, round(avg(duration_seconds), 1) FROM {RAW_SESSIONS} "
        "GROUP BY channel ORDER BY n DESC, channel",
    ),
    "UTM campaigns": (
        "SELECT utm_campaign, utm_source, utm_medium, count() AS n, sum(pageviews) "
        f"FROM {SESSIONS_30D} AND utm_campaign != '' "
        "GROUP BY ALL ORDER BY n DESC, utm_campaign, utm_source, utm_medium",
        "SELECT utm_campaign, utm_source, utm_medium, count() AS n, sum(pageviews) "
        f"FROM {RAW_SESSIONS} WHERE utm_campaign != '' "
        "GROUP BY ALL ORDER BY n DESC, utm_campaign, utm_source, utm_medium",
    ),
    "countries (sessions, bounce rate)": (
        f"SELECT country, count() AS n, round(countIf(is_bounce) / n, 4) FROM {SESSIONS_30D} "
        "GROUP BY country ORDER BY n DESC, country",
        f"SELECT country, count() AS n, round(countIf(is_bounce) / n, 4) FROM {RAW_SESSIONS} "
        "GROUP BY country ORDER BY n DESC, country",
    ),
    "devices and browsers (sessions)": (
        f"SELECT device_type, browser, count() AS n FROM {SESSIONS_30D} "
        "GROUP BY device_type, browser ORDER BY n DESC, device_type, browser",
        f"SELECT device_type, browser, count() AS n FROM {RAW_SESSIONS} "
        "GROUP BY device_type, browser ORDER BY n DESC, device_type, browser",
    ),
    "languages (pageviews)": (
        "SELECT value, sum(pageviews) AS pv FROM breakdown_daily WHERE site_id = {site} "
        "AND dimension = 'language' AND day >= today() - 30 GROUP BY value ORDER BY pv DESC, value",
        "SELECT toString(language) AS l, count() AS pv FROM events "
        f"WHERE {RAW_30D} AND event_type = 'pageview' GROUP BY l ORDER BY pv DESC, l",
    ),
    "custom events": (
        "SELECT event_name, sum(events) AS n FROM custom_events_daily WHERE site_id = {site} "
        "AND prop_key = '' AND day >= today() - 30 GROUP BY event_name ORDER BY n DESC, event_name",
        "SELECT toString(event_name) AS e, count() AS n FROM events "
        f"WHERE {RAW_30D} AND event_type = 'custom' GROUP BY e ORDER BY n DESC, e",
    ),
    "custom event properties": (
        "SELECT prop_key, prop_value, sum(events) AS n FROM custom_events_daily WHERE site_id = {site} "
        "AND event_name = 'signup' AND prop_key != '' AND day >= today() - 30 "
        "GROUP BY prop_key, prop_value ORDER BY prop_key, n DESC, prop_value",
        "SELECT toString(p.1) AS k, p.2 AS v, count() AS n FROM events ARRAY JOIN properties AS p "
        f"WHERE {RAW_30D} AND event_type = 'custom' AND event_name = 'signup' "
        "GROUP BY k, v ORDER BY k, n DESC, v",
    ),
}


def for_site(site: str) -> dict[str, tuple[str, str]]:
    quoted = "'" + site.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return {name: (d.format(site=quoted), r.format(site=quoted)) for name, (d, r) in QUERIES.items()}
