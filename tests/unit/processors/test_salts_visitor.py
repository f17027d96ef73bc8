"""Daily salts (rollover, first writer wins, destruction) and visitor keys."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime

from common.settings import SharedSettings
from processors.rules.visitor import EXPIRED_PREFIX, visitor_key
from processors.salts import KafkaSaltStore, first_writer_wins, live_days

HASH_KEY = b"k" * 32


def _shared() -> SharedSettings:
    return SharedSettings(
        kafka_bootstrap_servers="127.0.0.1:1", secret_key=base64.b64encode(b"s" * 32).decode()
    )


def test_live_days_roll_over_at_midnight_utc() -> None:
    assert live_days(datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC)) == {
        date(2026, 11, 23),
        date(2026, 11, 22),
    }
    assert live_days(datetime(2026, 11, 24, 0, 0, tzinfo=UTC)) == {date(2026, 11, 24), date(2026, 11, 23)}


def test_first_writer_wins_in_offset_order() -> None:
    records = [("2026-11-23", b"A"), ("2026-11-23", b"B"), ("2026-11-24", b"C")]
    assert first_writer_wins(records, {}) == {"2026-11-23": b"A", "2026-11-24": b"C"}
    assert first_writer_wins([("2026-11-23", b"Z")], {"2026-11-23": b"A"}) == {"2026-11-23": b"A"}
    assert first_writer_wins([("2026-11-23", None)], {"2026-11-23": b"A"}) == {}


def test_salt_older_than_48_hours_is_never_fetched_or_created() -> None:
    now = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    store = KafkaSaltStore(_shared(), "unused", clock=lambda: now)
    # No broker at that address: a non-live day must answer without any I/O.
    assert store.salt_for(date(2026, 11, 23)) is None


def test_visitor_key_prefers_vendor_ids() -> None:
    common = {"hash_key": HASH_KEY, "salt": b"s", "site_id": "a", "ip": "192.0.2.1", "user_agent": "UA"}
    assert visitor_key(**common, visitor_id="v1") == "v:v1"  # type: ignore[arg-type]
    assert visitor_key(**common, session_hint="s1") == "s:s1"  # type: ignore[arg-type]


def test_visitor_key_changes_with_the_daily_salt_and_never_contains_the_ip() -> None:
    k1 = visitor_key(hash_key=HASH_KEY, salt=b"day1", site_id="a", ip="192.0.2.1", user_agent="UA")
    k2 = visitor_key(hash_key=HASH_KEY, salt=b"day2", site_id="a", ip="192.0.2.1", user_agent="UA")
    k3 = visitor_key(hash_key=HASH_KEY, salt=b"day1", site_id="b", ip="192.0.2.1", user_agent="UA")
    assert len({k1, k2, k3}) == 3 and "192.0.2.1" not in k1 and len(k1) == 32
    assert k1 == visitor_key(hash_key=HASH_KEY, salt=b"day1", site_id="a", ip="192.0.2.1", user_agent="UA")


def test_visitor_key_without_salt_is_unique_per_event() -> None:
    a = visitor_key(hash_key=HASH_KEY, salt=None, site_id="a", ip="1.2.3.4", user_agent="UA", event_id="e1")
    b = visitor_key(hash_key=HASH_KEY, salt=None, site_id="a", ip="1.2.3.4", user_agent="UA", event_id="e2")
    assert a.startswith(EXPIRED_PREFIX) and a != b
