"""Daily salts (first live record wins, destruction 48 hours after they were made) and visitor keys."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime

from common.settings import SharedSettings
from processors.rules.visitor import ANONYMOUS, visitor_key
from processors.salts import RETENTION, KafkaSaltStore, Record, first_live_wins

HASH_KEY = b"k" * 32
HOUR = 3600.0
MADE = datetime(2026, 11, 23, 0, 0, 5, tzinfo=UTC).timestamp()


def _shared() -> SharedSettings:
    return SharedSettings(
        kafka_bootstrap_servers="127.0.0.1:1", secret_key=base64.b64encode(b"s" * 32).decode()
    )


def test_the_first_record_of_a_day_wins_while_it_lives() -> None:
    a, b, c = Record(b"A", MADE), Record(b"B", MADE + 1), Record(b"C", MADE + 2)
    records = [("2026-11-23", a), ("2026-11-23", b), ("2026-11-24", c)]
    assert first_live_wins(records, {}) == {"2026-11-23": a, "2026-11-24": c}
    assert first_live_wins([("2026-11-23", b)], {"2026-11-23": a}) == {"2026-11-23": a}
    assert first_live_wins([("2026-11-23", None)], {"2026-11-23": a}) == {}


def test_a_record_made_after_the_previous_one_died_replaces_it() -> None:
    """A backfill of an old day, after that day's first salt was destroyed, gets a fresh one:
    every worker folds the same records in the same order to the same answer."""
    old = Record(b"A", MADE)
    new = Record(b"Z", MADE + RETENTION.total_seconds() + 1)
    assert first_live_wins([("2026-11-23", new)], {"2026-11-23": old}) == {"2026-11-23": new}
    assert old.alive(MADE + 47 * HOUR) and not old.alive(MADE + 48 * HOUR)


def test_a_salt_is_forgotten_48_hours_after_it_was_made() -> None:
    now = [MADE + 47 * HOUR]
    store = KafkaSaltStore(_shared(), "unused", clock=lambda: datetime.fromtimestamp(now[0], UTC))
    store._records = {"2026-11-23": Record(b"s" * 32, MADE)}
    assert store.cached(date(2026, 11, 23)) == b"s" * 32
    now[0] = MADE + 48 * HOUR
    assert store.cached(date(2026, 11, 23)) is None


def test_salts_are_sealed_with_the_time_they_were_made() -> None:
    store = KafkaSaltStore(_shared(), "unused")
    record = Record(b"x" * 32, MADE)
    assert store._open(store._seal(record), written=0.0) == record
    other = KafkaSaltStore(
        SharedSettings(
            kafka_bootstrap_servers="127.0.0.1:1", secret_key=base64.b64encode(b"o" * 32).decode()
        ),
        "unused",
    )
    try:
        other._open(store._seal(record), written=0.0)
    except Exception as exc:
        assert "secret" in str(exc)
    else:
        raise AssertionError("a salt sealed with another secret was opened")


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


def test_without_the_visitors_ip_nobody_is_identified() -> None:
    """A relaying backend's users share its user agent: a UA alone must not merge them."""
    assert visitor_key(hash_key=HASH_KEY, salt=b"s", site_id="a", ip=None, user_agent="Chrome") == ANONYMOUS
