"""Synthetic enriched events of realistic shape, generated inside ClickHouse (chDB) for the
analytics benchmark: millions of rows in seconds, where building them in Python would take minutes.

Shape (per scenario, over the 30 UTC days before today):
- visitor-days: people visit on up to four days of the month, 1-3 sessions a day; 20% carry a
  vendor visitor id (`v:…`, the same every day), the rest a daily keyed hash (a new key each day);
- sessions: a geometric number of pageviews (mean ≈ 2.2, ≈ 46% bounces), some custom events
  (with properties), heartbeats, engagement reports and JS errors; the first event carries the
  external referrer (45% direct), UTM tags on 10% of them; country, region, city, device,
  browser and OS are the session's; 4% of sessions are bots (flagged, kept);
- pages, referrers, countries, event names: long-tailed (log-uniform ranks);
- 3% of events are anonymous pageviews (no visitor key, no session; 40% declared unique).
Every event with a session carries the session as of that event (`s_*` columns, the
SessionSnapshot of the contract), so `session_versions` can be loaded from the same rows.

`big` puts everything on one site; `small` spreads visitors over 1,000 sites with long-tailed
traffic (the largest ≈ 10%, most with a few hundred events).
"""

from __future__ import annotations

from sink.rows import COLUMNS

U64 = "18446744073709551615.0"
AVG_EVENTS_PER_SESSION = 2.6  # measured on this generator; only used to size the run
SESSIONS_PER_VISITOR_DAY = 1.25
SNAPSHOT = ("s_started", "s_last_seen", "s_pageviews", "s_entry", "s_exit", "s_referrer_host", "s_channel",
            "s_utm_source", "s_utm_medium", "s_utm_campaign")  # fmt: skip

STAGING_DDL = """
CREATE TABLE {db}.staging AS {db}.events ENGINE = MergeTree ORDER BY tuple()
"""
STAGING_SNAPSHOT = """
ALTER TABLE {db}.staging
    ADD COLUMN s_started DateTime64(3, 'UTC'), ADD COLUMN s_last_seen DateTime64(3, 'UTC'),
    ADD COLUMN s_pageviews UInt32, ADD COLUMN s_entry String, ADD COLUMN s_exit String,
    ADD COLUMN s_referrer_host String, ADD COLUMN s_channel String, ADD COLUMN s_utm_source String,
    ADD COLUMN s_utm_medium String, ADD COLUMN s_utm_campaign String
"""


def u(*parts: str) -> str:
    """A uniform [0, 1] number, deterministic for its inputs."""
    return f"(cityHash64({', '.join(parts)}) / {U64})"


def rank(n: int, *parts: str) -> str:
    """A long-tailed rank in [0, n): log-uniform, so rank 0 is the most frequent."""
    return f"toUInt32(floor(pow({n}, {u(*parts)})) - 1)"


def pick(options: list[str], *parts: str) -> str:
    """One of `options`, the earlier ones more likely (long-tailed)."""
    arr = "[" + ", ".join(f"'{o}'" for o in options) + "]"
    return f"{arr}[{rank(len(options), *parts)} + 1]"


def pick_flat(options: list[str], *parts: str) -> str:
    arr = "[" + ", ".join(f"'{o}'" for o in options) + "]"
    return f"{arr}[toUInt32(floor({u(*parts)} * {len(options)})) % {len(options)} + 1]"


REFERRERS = ["www.google.com", "duckduckgo.com", "t.co", "news.ycombinator.com", "www.reddit.com",
             "www.bing.com", "www.linkedin.com", "github.com", "www.facebook.com", "lobste.rs",
             "search.brave.com", "dev.to", "medium.com", "www.youtube.com", "stackoverflow.com"]  # fmt: skip
COUNTRIES = ["US", "DE", "GB", "FR", "IN", "NL", "CA", "BR", "ES", "IT", "PL", "SE", "JP", "AU", "CH",
             "AT", "BE", "DK", "NO", "FI", "CZ", "PT", "IE", "MX", "AR", "TR", "UA", "RO", "KR",
             "SG"]  # fmt: skip
BROWSERS = ["Chrome", "Safari", "Firefox", "Edge", "Chrome Mobile", "Mobile Safari", "Samsung Internet",
            "Opera", "Brave", "Vivaldi", "DuckDuckGo", "Yandex Browser"]  # fmt: skip
OSES = ["Windows", "Mac OS X", "iOS", "Android", "Linux", "Ubuntu", "Chrome OS", "iPadOS"]
LANGUAGES = ["en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "nl-NL", "pt-BR", "it-IT", "pl-PL", "sv-SE",
             "ja-JP", "en-IN", "en-CA", "de-AT", "de-CH", "da-DK", "nb-NO", "fi-FI", "cs-CZ",
             "tr-TR"]  # fmt: skip
EVENT_NAMES = ["signup", "download", "outbound_click", "newsletter", "purchase", "trial_started",
               "video_play", "share", "search", "contact", "pricing_toggle", "docs_feedback"]  # fmt: skip
CAMPAIGNS = ["spring_sale", "launch", "webinar", "black_friday", "retarget"]
VENDORS = ["swetrix", "swetrix", "hitkeep", "zero_trust", "supalytics", "simple_analytics"]


def _sessions_sql(db: str, scenario: str, visitor_days: int, seed: int) -> str:
    """One row per session: who, when, where from, on what, and its events' types and pages."""
    persons = max(1, visitor_days // 3)
    site = "'big'" if scenario == "big" else f"concat('site', toString({rank(1000, 'v', f'{seed}', '1')}))"
    search = "['www.google.com','duckduckgo.com','www.bing.com','search.brave.com']"
    social = (
        "['t.co','news.ycombinator.com','www.reddit.com','www.linkedin.com','www.facebook.com',"
        "'www.youtube.com']"
    )
    return f"""
CREATE TABLE {db}.gen_sessions ENGINE = Memory AS
WITH {seed} AS seed
SELECT
    v, k, site, hostname, vendor, visitor_key, session_id, start, gap, is_bot, ref_host, channel,
    utm_source, utm_medium, utm_campaign, country, region, city, device_type, browser, os, language,
    types, paths
FROM (
    SELECT
        number AS v,
        arrayJoin(range(1 + ({u("v", "seed", "4")} < 0.2) + ({u("v", "seed", "5")} < 0.05))) AS k,
        number % {persons} AS p,
        intDiv(number, {persons}) AS j,
        (7 * j + p) % 30 AS d,
        {site} AS site,
        concat(site, '.example.com') AS hostname,
        {pick_flat(VENDORS, "p", "seed", "2")} AS vendor,
        if({u("p", "seed", "3")} < 0.2, concat('v:', lower(hex(cityHash64(p, seed)))),
           lower(hex(MD5(concat(toString(p), '|', toString(d), '|', toString(seed)))))) AS visitor_key,
        lower(hex(MD5(concat(toString(v), '/', toString(k), '/', toString(seed))))) AS session_id,
        toDateTime64(today() - 30 + d, 3, 'UTC')
            + toIntervalMillisecond(toUInt64({u("v", "seed", "6")} * 72000000) + k * 5400000) AS start,
        10 + toUInt32({u("v", "k", "seed", "7")} * 170) AS gap,
        {u("v", "k", "seed", "8")} < 0.04 AS is_bot,
        if({u("v", "k", "seed", "9")} < 0.45, '', {pick(REFERRERS, "v", "k", "seed", "10")}) AS ref_host,
        {u("v", "k", "seed", "11")} < 0.10 AS tagged,
        if(tagged, {pick_flat(["newsletter", "twitter", "google", "partner"], "v", "k", "seed", "12")}, '')
            AS utm_source,
        if(tagged, {pick_flat(["email", "social", "cpc", "referral"], "v", "k", "seed", "13")}, '')
            AS utm_medium,
        if(tagged, {pick(CAMPAIGNS, "v", "k", "seed", "14")}, '')
            AS utm_campaign,
        multiIf(utm_medium = 'email', 'email', tagged, 'campaign', ref_host = '', 'direct',
                has({search}, ref_host), 'search', has({social}, ref_host), 'social', 'referral') AS channel,
        {pick(COUNTRIES, "p", "seed", "15")} AS country,
        concat(country, '-', toString({rank(12, "p", "seed", "16")})) AS region,
        concat(region, '-', toString({rank(40, "p", "seed", "17")})) AS city,
        multiIf({u("p", "seed", "18")} < 0.55, 'desktop', {u("p", "seed", "18")} < 0.95, 'mobile', 'tablet')
            AS device_type,
        {pick(BROWSERS, "p", "seed", "19")} AS browser,
        {pick(OSES, "p", "seed", "20")} AS os,
        {pick(LANGUAGES, "p", "seed", "21")} AS language,
        1 + least(24, toUInt32(floor(-log({u("v", "k", "seed", "22")} + 1e-12) * 1.6))) AS npv,
        arrayConcat(
            arrayWithConstant(
                toUInt32(({u("v", "k", "seed", "23")} < 0.15) + ({u("v", "k", "seed", "24")} < 0.05)),
                'custom'),
            arrayWithConstant(toUInt32(({u("v", "k", "seed", "25")} < 0.10) * 2), 'heartbeat'),
            arrayWithConstant(toUInt32({u("v", "k", "seed", "26")} < 0.01), 'error'),
            arrayWithConstant(toUInt32({u("v", "k", "seed", "27")} < 0.03), 'engagement'),
            arrayWithConstant(npv - 1, 'pageview')) AS extra,
        arrayConcat(['pageview'],
                    arraySort((x, i) -> cityHash64(v, k, i, seed), extra, arrayEnumerate(extra))) AS types,
        arrayFill(x -> x != '', arrayMap((t, r) -> if(t = 'pageview', multiIf(
            r = 0, '/', r = 1, '/pricing', r = 2, '/signup', r = 3, '/about',
            r % 3 = 0, concat('/docs/page-', toString(r)), concat('/blog/post-', toString(r))), ''),
            types,
            arrayMap(i -> {rank(2000 if scenario == "big" else 150, "v", "k", "i", "seed", "28")},
                     arrayEnumerate(types)))) AS paths
    FROM numbers({visitor_days})
)
"""


def _event_select(seed: int) -> str:
    """Per event of gen_sessions (ARRAY JOIN over its types): every events column plus the
    session as of that event."""
    t = "start + toIntervalSecond(gap * (i - 1))"
    seed_ = str(seed)
    custom_props = (
        "if(event_type = 'custom' AND " + u("session_id", "i", f"{seed}", "30") + " < 0.6, "
        "map('plan', " + pick_flat(["free", "pro", "team"], "session_id", "i", f"{seed}", "31") + ", "
        "'button', "
        + pick_flat(["hero", "footer", "nav", "sidebar"], "session_id", "i", f"{seed}", "32")
        + "), map())"
    )
    cols = {
        "event_id": f"generateUUIDv7(cityHash64(session_id, i, {seed}))",
        "site_id": "site",
        "vendor": "vendor",
        "event_type": "event_type",
        "event_name": f"if(event_type = 'custom', {pick(EVENT_NAMES, 'session_id', 'i', seed_, '33')}, '')",
        "event_time": "event_time",
        "received_at": "event_time + toIntervalMillisecond(40)",
        "hostname": "hostname",
        "page_path": "page_path",
        "page_url": "concat('https://', hostname, page_path, if(i = 1 AND utm_source != '', concat("
        "'?utm_source=', utm_source, '&utm_medium=', utm_medium, '&utm_campaign=', utm_campaign), ''))",
        "prev_path": "if(i > 1, paths[i - 1], '')",
        "referrer": "if(i = 1, if(ref_host = '', '', concat('https://', ref_host, '/')), "
        "concat('https://', hostname, paths[i - 1]))",
        "referrer_host": "if(i = 1, ref_host, hostname)",
        "channel": "if(i = 1, channel, 'direct')",
        "ref": "''",
        "utm_source": "if(i = 1, utm_source, '')",
        "utm_medium": "if(i = 1, utm_medium, '')",
        "utm_campaign": "if(i = 1, utm_campaign, '')",
        "utm_term": "''",
        "utm_content": "''",
        "country": "country",
        "region": "region",
        "city": "city",
        "asn": f"toUInt32(1000 + {rank(5000, 'visitor_key', f'{seed}', '34')})",
        "as_org": f"concat('AS-', toString(cityHash64(visitor_key, {seed}) % 300))",
        "timezone": "'Europe/Berlin'",
        "locale": "language",
        "language": "language",
        "device_type": "device_type",
        "browser": "browser",
        "browser_version": f"toString(100 + cityHash64(visitor_key, {seed}) % 30)",
        "os": "os",
        "os_version": f"toString(10 + cityHash64(visitor_key, {seed}, 1) % 8)",
        "screen_width": "if(device_type = 'desktop', 1920, 390)",
        "screen_height": "if(device_type = 'desktop', 1080, 844)",
        "viewport_width": "if(device_type = 'desktop', 1440, 390)",
        "viewport_height": "if(device_type = 'desktop', 900, 700)",
        "visitor_key": "visitor_key",
        "visitor_id": "if(startsWith(visitor_key, 'v:'), substring(visitor_key, 3), '')",
        "session_hint": "''",
        "session_id": "session_id",
        "is_new_session": "i = 1",
        "session_seq": "toUInt32(i)",
        "is_unique": "k = 0 AND i = 1",
        "client_unique": "NULL",
        "is_bot": "is_bot",
        "bot_reason": "if(is_bot, 'crawler', '')",
        "is_late": "false",
        "page_id": "''",
        "properties": custom_props,
        "value": "NULL",
        "engagement_seconds": "if(event_type = 'engagement', "
        f"{u('session_id', 'i', seed_, '35')}, NULL) * 300",
        "is_bounce": "NULL",
        **{
            f"perf_{p}": f"if(event_type = 'pageview' AND vendor = 'swetrix', "
            f"toFloat32({u('session_id', 'i', f'{seed}', f'{40 + n}')} * 800), NULL)"
            for n, p in enumerate(
                ("dns", "tls", "conn", "response", "render", "dom_load", "page_load", "ttfb")
            )
        },
        "schema_version": "2",
        "kafka_partition": "0",
        "kafka_offset": "0",
        "s_started": "start",
        "s_last_seen": "fromUnixTimestamp64Milli(arrayFill(x -> x > 0, arrayMap((t, n) -> "
        "if(t = 'engagement', 0, toUnixTimestamp64Milli(start) + gap * (n - 1) * 1000), "
        "types, arrayEnumerate(types)))[i], 'UTC')",
        "s_pageviews": "toUInt32(arrayCumSum(arrayMap(t -> t = 'pageview', types))[i])",
        "s_entry": "paths[1]",
        "s_exit": "paths[i]",
        "s_referrer_host": "ref_host",  # the session's attribution: its first event's
        "s_channel": "session_channel",
        "s_utm_source": "session_utm_source",
        "s_utm_medium": "session_utm_medium",
        "s_utm_campaign": "session_utm_campaign",
    }
    select = ",\n    ".join(f"{expr} AS {name}" for name, expr in cols.items())
    return f"""
SELECT
    {select}
FROM (
    SELECT *, i, types[i] AS event_type, {t} AS event_time, paths[i] AS page_path,
        channel AS session_channel, utm_source AS session_utm_source, utm_medium AS session_utm_medium,
        utm_campaign AS session_utm_campaign
    FROM gen_sessions
    ARRAY JOIN arrayEnumerate(types) AS i
)
"""


def _anonymous_sql(db: str, n: int, scenario: str, seed: int) -> str:
    """Anonymous pageviews: relayed by a backend without the visitor's IP (no visitor, no session).
    Columns left out get their defaults ('' and 0)."""
    site = (
        "'big'" if scenario == "big" else f"concat('site', toString({rank(1000, 'number', f'{seed}', '50')}))"
    )
    unique = u("number", f"{seed}", "54")
    cols = {
        "event_id": f"generateUUIDv7(cityHash64(number, {seed}, 51))",
        "site_id": site,
        "vendor": "'simple_analytics'",
        "event_type": "'pageview'",
        "event_time": f"toDateTime64(today() - 30, 3, 'UTC') + toIntervalMillisecond("
        f"toUInt64({u('number', f'{seed}', '52')} * 2592000000))",
        "received_at": "event_time + toIntervalMillisecond(40)",
        "hostname": "concat(site_id, '.example.com')",
        "page_path": f"if({u('number', f'{seed}', '55')} < 0.5, '/', '/pricing')",
        "page_url": "concat('https://', hostname, page_path)",
        "channel": "'direct'",
        "timezone": "'Europe/Berlin'",
        "device_type": "'other'",
        "viewport_width": f"toUInt16({u('number', f'{seed}', '53')} * 1000 + 300)",
        "is_unique": f"{unique} < 0.4",
        "client_unique": f"{unique} < 0.4",
        "schema_version": "2",
    }
    select = ", ".join(f"{expr} AS {name}" for name, expr in cols.items())
    return f"INSERT INTO {db}.staging ({', '.join(cols)}) SELECT {select} FROM numbers({n})"


# One row per non-bot event with a session: the session as of that event, as the sink writes it
# (without the sink's folding of a batch's versions, so the worst case for the load).
SESSION_VERSIONS = (
    "INSERT INTO {db}.session_versions SELECT site_id, session_id, visitor_key, session_seq, s_started, "
    "s_last_seen, s_pageviews, s_entry, s_exit, s_referrer_host, s_channel, s_utm_source, s_utm_medium, "
    "s_utm_campaign, country, region, city, device_type, browser, os FROM {db}.staging "
    "WHERE NOT is_bot AND session_id != ''"
)


def load_staging(client: object, db: str, scenario: str, events: int, seed: int = 7) -> int:
    """Fill `{db}.staging` with about `events` events; returns how many it holds."""
    run = client.command  # type: ignore[attr-defined]
    anonymous = events * 3 // 100
    sessions = (events - anonymous) / AVG_EVENTS_PER_SESSION
    visitor_days = max(1, int(sessions / SESSIONS_PER_VISITOR_DAY))
    run(f"DROP TABLE IF EXISTS {db}.staging")
    run(f"DROP TABLE IF EXISTS {db}.gen_sessions")
    run(STAGING_DDL.format(db=db))
    run(STAGING_SNAPSHOT.format(db=db))
    run(_sessions_sql(db, scenario, visitor_days, seed))
    names = [*COLUMNS, *SNAPSHOT]
    select = _event_select(seed).replace("FROM gen_sessions", f"FROM {db}.gen_sessions")
    run(f"INSERT INTO {db}.staging ({', '.join(names)}) {select}")
    run(_anonymous_sql(db, anonymous, scenario, seed))
    run(f"DROP TABLE {db}.gen_sessions")
    return int(run(f"SELECT count() FROM {db}.staging"))
