"""Sessions and daily uniqueness as a keyed state machine over event time (faust has none).

Per Kafka key (one visitor on one site) the state holds one record per UTC day of event time
(`Day`): the session that lives on that day, the behaviour window, and when the day was last
touched by an arriving event. A day's record exists exactly when the visitor was counted on it,
so the first counted event of a day is the unique one. Event time decides everything: a
backfill of last month builds its days' records as live traffic would have, and a replay of the
raw topic gives the same answers.

For each event, on its day:
- **pageview / custom** (counted): continues the day's session if its last activity was less
  than 30 minutes before, else opens a new one. A session that crosses 00:00 UTC stays one: the
  first events after midnight continue the previous day's live session (and count as that new
  day's unique).
- **heartbeat / error report**: extend a live session and are numbered in it, but are not views
  and never open a session (a heartbeat-only visit has none).
- **engagement** (ZTA `timeOnPage`, `isBounce`): attaches to the session, live or not, without
  extending it, if its last activity was less than `ENGAGEMENT_REACH` (1 h) before.
- **late**: 30 minutes or more before the start of the day's session (an out-of-order arrival
  the state cannot place without rewriting a closed session) → flagged `is_late`, no session,
  not unique, state unchanged. Less than 30 minutes before the start joins the session: two
  requests of one visitor can reach Kafka in either order.

How long a day's record is kept (by arrival time, so the answer never depends on when a timer
ran): until `retain` after the later of its last touch and the end of its day. An event that
arrives after that finds no record and starts afresh (a new session; unique again on that day).
Live traffic keeps a visitor's day for the whole day plus `retain`; a backfill keeps it while
its events keep arriving.

A behaviour counter (views and custom events per fixed window) flags visitors who fire too fast.
The session id is derived from (key, start time), so replays give the same ids.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import timedelta

SESSION_GAP = timedelta(minutes=30)
ENGAGEMENT_REACH = timedelta(hours=1)
DAY_SECONDS = 86_400
COUNTED = frozenset({"pageview", "custom"})


@dataclass(frozen=True, slots=True)
class Limits:
    lateness: timedelta = timedelta(hours=1)  # how late (by arrival) a visitor's day is still reachable
    rate_window: timedelta = timedelta(seconds=60)
    rate_max_events: int = 120

    @property
    def retain(self) -> float:
        """Seconds a day's record stays reachable after its last touch or its day's end."""
        return (ENGAGEMENT_REACH + self.lateness).total_seconds()


# Where a visit came from and on what device: the session's first event's, kept with it.
Attribution = tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class Session:
    session_id: str
    started: float
    last_seen: float
    seq: int
    pageviews: int = 0
    entry_page: str | None = None  # its first pageview's path
    exit_page: str | None = None  # its latest pageview's path
    attribution: Attribution = ()

    def counted(self, page: str | None, t: float) -> Session:
        """After one more pageview (`page` set) or custom event at `t`."""
        return Session(
            self.session_id,
            self.started,
            max(self.last_seen, t),
            self.seq + 1,
            self.pageviews + (page is not None),
            self.entry_page or page,
            page if page is not None and t >= self.last_seen else self.exit_page,
            self.attribution,
        )


@dataclass(frozen=True, slots=True)
class Day:
    """What a key remembers of one UTC day (of event time)."""

    touched: float  # arrival time (`received_at`) of the last event applied to this day
    session: Session | None  # None: counted, but in sessions of their own (HitKeep, no session_id)
    window_start: float = 0.0
    window_count: int = 0


@dataclass(frozen=True, slots=True)
class Placement:
    session_id: str | None = None
    is_new_session: bool = False
    seq: int = 0
    is_late: bool = False
    too_fast: bool = False
    is_unique: bool = False
    session: Session | None = None  # the session as of this event (None: no session)


LATE = Placement(is_late=True)
NO_SESSION = Placement()


def utc_day(ts: float) -> int:
    """Days since the epoch: the tumbling window a timestamp falls in."""
    return int(ts // DAY_SECONDS)


def session_id(key: bytes, started: float) -> str:
    h = hashlib.blake2b(key, digest_size=16, person=b"hs-session-v1")
    h.update(repr(round(started, 3)).encode())
    return h.hexdigest()


def standalone_session_id(key: bytes, event_id: str) -> str:
    """A session of one hit (HitKeep without `session_id`): its id comes from the event."""
    h = hashlib.blake2b(key, digest_size=16, person=b"hs-session-1hit")
    h.update(event_id.encode())
    return h.hexdigest()


def reachable(day: int, rec: Day | None, received_at: float, limits: Limits) -> Day | None:
    """The record if an event arriving at `received_at` may still see it, else None."""
    if rec is None:
        return None
    if received_at > max(rec.touched, (day + 1) * DAY_SECONDS) + limits.retain:
        return None
    return rec


def expired(days: dict[int, Day], watermark: float, limits: Limits) -> bool:
    """No event arriving after `watermark` can reach any of these days: safe to delete."""
    return all(reachable(d, rec, watermark, limits) is None for d, rec in days.items())


def _live(session: Session, t: float) -> bool:
    return t - session.last_seen < SESSION_GAP.total_seconds()


def place(
    days: dict[int, Day],
    *,
    key: bytes,
    kind: str,
    event_time: float,
    received_at: float,
    limits: Limits,
    standalone_id: str | None = None,
    page: str | None = None,
    attribution: Attribution = (),
) -> tuple[Placement, dict[int, Day]]:
    """Where one event goes, and the day records it changes (day → new record).

    `days` holds the key's records; `standalone_id` is the event id of a hit that is a session
    of its own (its day still counts it for uniqueness and behaviour); `page` is a pageview's path
    and `attribution` the event's own, kept by a session it opens."""
    t, r = event_time, received_at
    d = utc_day(t)
    today = reachable(d, days.get(d), r, limits)
    if standalone_id is not None:
        alone = Session(standalone_session_id(key, standalone_id), t, t, 0, attribution=attribution)
        return _standalone(today, d, alone.counted(page if kind == "pageview" else None, t), kind, r, limits)
    host_day, host = _host(days, d, today, kind, t, r, limits)
    if host is not None and host.started - t >= SESSION_GAP.total_seconds():
        return LATE, {}
    if kind in COUNTED:
        fresh = Session(session_id(key, t), t, t, 0, attribution=attribution)
        return _counted(today, d, host, fresh, page if kind == "pageview" else None, t, r, limits)
    if host is None:
        return NO_SESSION, {}
    reach = ENGAGEMENT_REACH if kind == "engagement" else SESSION_GAP
    if t - host.last_seen >= reach.total_seconds():
        return NO_SESSION, {}
    last_seen = host.last_seen if kind == "engagement" else max(host.last_seen, t)
    session = replace(host, seq=host.seq + 1, last_seen=last_seen)
    record = days[host_day] if host_day != d else today
    assert record is not None
    return Placement(session.session_id, False, session.seq, session=session), {
        host_day: replace(record, session=session, touched=r)
    }


def _host(
    days: dict[int, Day], d: int, today: Day | None, kind: str, t: float, r: float, limits: Limits
) -> tuple[int, Session | None]:
    """The session an event on day `d` deals with: the day's own, else yesterday's if it is
    still within reach across midnight."""
    if today is not None and today.session is not None:
        return d, today.session
    yesterday = reachable(d - 1, days.get(d - 1), r, limits)
    if yesterday is not None and yesterday.session is not None:
        reach = ENGAGEMENT_REACH if kind == "engagement" else SESSION_GAP
        if t - yesterday.session.last_seen < reach.total_seconds():
            return d - 1, yesterday.session
    return d, None


def _window(rec: Day | None, t: float, limits: Limits) -> tuple[float, int]:
    start, count = (rec.window_start, rec.window_count) if rec is not None else (t, 0)
    if t - start >= limits.rate_window.total_seconds():
        start, count = t, 0
    return start, count + 1


def _counted(
    today: Day | None,
    d: int,
    host: Session | None,
    fresh: Session,
    page: str | None,
    t: float,
    r: float,
    limits: Limits,
) -> tuple[Placement, dict[int, Day]]:
    new = host is None or not _live(host, t)
    session = (fresh if new or host is None else host).counted(page, t)
    start, count = _window(today, t, limits)
    too_fast = count > limits.rate_max_events
    placement = Placement(session.session_id, new, session.seq, False, too_fast, today is None, session)
    return placement, {d: Day(r, session, start, count)}


def _standalone(
    today: Day | None, d: int, alone: Session, kind: str, r: float, limits: Limits
) -> tuple[Placement, dict[int, Day]]:
    """A hit that is a session of its own; its day still counts it for uniques and behaviour."""
    if kind not in COUNTED:
        return Placement(alone.session_id, True, 1, session=alone), {}
    start, count = _window(today, alone.started, limits)
    kept = today.session if today is not None else None
    too_fast = count > limits.rate_max_events
    placement = Placement(alone.session_id, True, 1, False, too_fast, today is None, alone)
    return placement, {d: Day(r, kept, start, count)}


def expiry_watermark(assigned: set[int], received: dict[int, float]) -> float | None:
    """The arrival time every partition of this worker has reached, or None while one of them has
    processed nothing since it was assigned (its backlog may be old; expiry waits for it). Later
    events of these partitions arrive after it, so state none of them can reach may go."""
    for gone in set(received) - assigned:
        del received[gone]
    if not assigned or any(p not in received for p in assigned):
        return None
    return min(received[p] for p in assigned)
