"""Filters as SQL conditions on `events` and on `sessions_view`, from closed column lists.

An event-scoped filter (page, hostname, language, event, prop.<key>) keeps the events that say
so themselves. A session-scoped one (channel, referrer, UTM, location, device, entry and exit
page) keeps the events of sessions whose opening event (or entry / exit page) matches, and the
anonymous events (no session) whose own column matches; an anonymous event has no entry or
exit page, so those filters drop it. Sessions are found among the events of the period widened
by a day each side, so a session that started just before the period still has its opening event.
"""

from __future__ import annotations

from datetime import timedelta

from dashboard.filters import PROP, Filter
from dashboard.periods import Period
from dashboard.queries import scope
from dashboard.queries.binding import Params

# events column of an event-scoped dimension (event and prop.<key> are built below).
EVENT_COLUMNS = {"page": "page_path", "hostname": "hostname", "language": "language"}
# Column of a session's attribution, the same name in `events` (its opening event) and `sessions_view`.
ATTRIBUTION_COLUMNS = {
    "channel": "channel", "referrer": "referrer_host", "utm_source": "utm_source",
    "utm_medium": "utm_medium", "utm_campaign": "utm_campaign", "country": "country",
    "region": "region", "city": "city", "device": "device_type", "browser": "browser", "os": "os",
}  # fmt: skip
# Entry and exit page of a session from its events, and their `sessions_view` column.
PAGE_OF_SESSION = {
    "entry_page": "argMinIf(page_path, session_seq, event_type = 'pageview')",
    "exit_page": "argMaxIf(page_path, session_seq, event_type = 'pageview')",
}
SESSION_COLUMNS = {**ATTRIBUTION_COLUMNS, "entry_page": "entry_page", "exit_page": "exit_page"}
SESSION_WINDOW = timedelta(days=1)


def _event_condition(p: Params, f: Filter) -> str:
    if f.dimension == "event":
        return f"(event_type = 'custom' AND event_name = {p.text(f.value)})"
    if f.dimension == PROP:
        key = p.text(f.key or "")
        value = p.text(f.value)
        return f"(event_type = 'custom' AND mapContains(properties, {key}) AND properties[{key}] = {value})"
    return f"{EVENT_COLUMNS[f.dimension]} = {p.text(f.value)}"


def _attribution(p: Params, f: Filter) -> str:
    return f"{ATTRIBUTION_COLUMNS[f.dimension]} = {p.text(f.value)}"


def _sessions_matching(p: Params, site: str, period: Period, fs: list[Filter]) -> str:
    """SELECT of the session ids whose opening event, entry and exit page match every filter in `fs`."""
    window = scope.events(p, site, period.start - SESSION_WINDOW, period.end + SESSION_WINDOW)
    attrs = [_attribution(p, f) for f in fs if f.dimension in ATTRIBUTION_COLUMNS]
    pages = [
        f"{PAGE_OF_SESSION[f.dimension]} = {p.text(f.value)}" for f in fs if f.dimension in PAGE_OF_SESSION
    ]
    if not pages:
        return f"SELECT session_id FROM events WHERE {window} AND is_new_session AND {' AND '.join(attrs)}"
    having = [*pages, *([f"countIf(is_new_session AND {' AND '.join(attrs)}) > 0"] if attrs else [])]
    return (
        f"SELECT session_id FROM events WHERE {window} AND session_id != '' "
        f"GROUP BY session_id HAVING {' AND '.join(having)}"
    )


def events_condition(p: Params, site: str, period: Period, filters: tuple[Filter, ...]) -> str:
    """The condition on `events` rows that every filter keeps ('1' without a filter)."""
    parts = [_event_condition(p, f) for f in filters if not f.session_scoped]
    session_fs = [f for f in filters if f.session_scoped]
    if session_fs:
        anonymous = (
            "0" if any(f.dimension in PAGE_OF_SESSION for f in session_fs)
            else " AND ".join(_attribution(p, f) for f in session_fs)
        )  # fmt: skip
        parts.append(
            f"((session_id != '' AND session_id IN ({_sessions_matching(p, site, period, session_fs)})) "
            f"OR (session_id = '' AND {anonymous}))"
        )
    return " AND ".join(parts) if parts else "1"


def sessions_condition(p: Params, site: str, period: Period, filters: tuple[Filter, ...]) -> str:
    """The condition on `sessions_view` rows (sessions started in the period) the filters keep.

    Session-scoped filters read the session's own columns; with an event-scoped one, the
    sessions are those of the counted events, matched by (start_time, session_key).
    """
    if not filters:
        return "1"
    if all(f.session_scoped for f in filters):
        return " AND ".join(f"{SESSION_COLUMNS[f.dimension]} = {p.text(f.value)}" for f in filters)
    counted = (
        f"SELECT session_id FROM events WHERE {scope.events(p, site, period.start, period.end)} "
        f"AND {scope.COUNTED} AND session_id != '' AND {events_condition(p, site, period, filters)}"
    )
    openings = (
        f"SELECT event_time, {scope.SESSION_KEY} FROM events "
        f"WHERE {scope.events(p, site, period.start, period.end)} "
        f"AND is_new_session AND session_id IN ({counted})"
    )
    return f"(start_time, session_key) IN ({openings})"


def event_parts(p: Params, site: str, period: Period, filters: tuple[Filter, ...]) -> list[str]:
    """Conditions on `events` that a breakdown over events reads, one per SELECT it unions.

    With a filter, the whole period from `events`; without, only the partial edge days (the
    whole days are the daily rollup's).
    """
    if filters:
        whole = scope.events(p, site, period.start, period.end)
        return [f"{whole} AND {events_condition(p, site, period, filters)}"]
    return [scope.events(p, site, s, e) for s, e in scope.split_days(period).partial]
