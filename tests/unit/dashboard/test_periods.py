"""Periods at hand-picked instants: every key, month and year boundaries, custom ranges, previous()."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dashboard.errors import BadParameter
from dashboard.periods import PERIOD_KEYS, Period, resolve


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc, arg-type]


NOW = at(2026, 12, 7, 21, 14, 33)
EXPECTED = {
    "realtime": (at(2026, 12, 7, 20, 45), at(2026, 12, 7, 21, 15), "minute"),
    "today": (at(2026, 12, 7), at(2026, 12, 7, 22), "hour"),
    "yesterday": (at(2026, 12, 6), at(2026, 12, 7), "hour"),
    "7d": (at(2026, 12, 1), at(2026, 12, 7, 22), "day"),
    "30d": (at(2026, 11, 8), at(2026, 12, 7, 22), "day"),
    "mtd": (at(2026, 12, 1), at(2026, 12, 7, 22), "day"),
    "last_month": (at(2026, 11, 1), at(2026, 12, 1), "day"),
    "12mo": (at(2026, 1, 1), at(2026, 12, 7, 22), "month"),
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_every_key_at_an_ordinary_instant(key: str) -> None:
    p = resolve(key, None, None, NOW)
    assert (p.start, p.end, p.interval) == EXPECTED[key]
    assert p.key == key and p.label


def test_the_keys_are_the_contracts() -> None:
    assert set(PERIOD_KEYS) == {*EXPECTED, "custom"}


def test_default_is_7d_and_unknown_is_refused() -> None:
    assert resolve(None, None, None, NOW) == resolve("7d", None, None, NOW)
    assert resolve("", None, None, NOW).key == "7d"
    with pytest.raises(BadParameter) as e:
        resolve("forever", None, None, NOW)
    assert e.value.parameter == "period"


def test_new_year_boundaries() -> None:
    jan1 = at(2027, 1, 1, 0, 0, 5)
    assert resolve("yesterday", None, None, jan1).start == at(2026, 12, 31)
    assert resolve("last_month", None, None, jan1).start == at(2026, 12, 1)
    assert resolve("last_month", None, None, jan1).end == at(2027, 1, 1)
    assert resolve("mtd", None, None, jan1).start == at(2027, 1, 1)
    assert resolve("mtd", None, None, jan1).end == at(2027, 1, 1, 1)
    assert resolve("12mo", None, None, jan1).start == at(2026, 2, 1)
    assert resolve("7d", None, None, jan1).start == at(2026, 12, 26)
    assert resolve("realtime", None, None, jan1).start == at(2026, 12, 31, 23, 31)


def test_month_ends_and_leap_days() -> None:
    march1 = at(2028, 3, 1, 9)
    assert resolve("last_month", None, None, march1).start == at(2028, 2, 1)
    assert resolve("yesterday", None, None, march1).start == at(2028, 2, 29)
    assert resolve("30d", None, None, at(2027, 3, 31, 23, 59)).start == at(2027, 3, 2)
    assert resolve("today", None, None, at(2027, 3, 31, 23, 59)).end == at(2027, 4, 1)


def test_now_exactly_on_the_hour_includes_that_hour() -> None:
    assert resolve("today", None, None, at(2026, 12, 7, 5)).end == at(2026, 12, 7, 6)


def test_naive_now_is_utc_and_other_zones_convert() -> None:
    naive = datetime(2026, 12, 7, 21, 14, 33)
    assert resolve("today", None, None, naive) == resolve("today", None, None, NOW)
    berlin = NOW.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    assert resolve("today", None, None, berlin) == resolve("today", None, None, NOW)


def test_custom_is_inclusive_whole_days() -> None:
    p = resolve("custom", "2026-11-03", "2026-11-05", NOW)
    assert (p.start, p.end, p.interval) == (at(2026, 11, 3), at(2026, 11, 6), "day")
    one = resolve("custom", "2026-11-03", "2026-11-03", NOW)
    assert (one.end - one.start, one.interval) == (timedelta(days=1), "hour")
    assert resolve("custom", "2026-01-01", "2026-12-31", NOW).interval == "week"
    assert resolve("custom", "2025-01-01", "2026-12-31", NOW).interval == "month"
    assert resolve("custom", "2026-01-01", "2026-03-01", NOW).interval == "day"
    assert resolve("custom", "2026-01-01", "2026-06-01", NOW).interval == "week"


@pytest.mark.parametrize(
    ("from_", "to", "parameter"),
    [
        (None, "2026-11-05", "from"),
        ("2026-11-05", None, "to"),
        ("2026-11-5", "2026-11-06", "from"),
        ("20261105", "2026-11-06", "from"),
        ("2026-02-30", "2026-03-01", "from"),
        ("2026-11-06", "2026-11-05", "to"),
        ("2020-01-01", "2023-12-31", "to"),
        ("1999-12-31", "2000-01-05", "from"),
        ("2026-11-05", "9999-12-31", "to"),
        ("' OR 1=1", "2026-11-05", "from"),
    ],
)
def test_custom_nonsense_is_refused(from_: str | None, to: str | None, parameter: str) -> None:
    with pytest.raises(BadParameter) as e:
        resolve("custom", from_, to, NOW)
    assert e.value.parameter == parameter


def test_from_and_to_are_ignored_without_custom() -> None:
    assert resolve("7d", "garbage", "2026-01-01", NOW) == resolve("7d", None, None, NOW)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_previous_has_the_same_length_and_ends_at_the_start(key: str) -> None:
    p = resolve(key, None, None, NOW)
    q = p.previous()
    assert q.end == p.start and q.end - q.start == p.end - p.start and q.interval == p.interval


def test_previous_of_yesterday_is_the_day_before() -> None:
    q = resolve("yesterday", None, None, NOW).previous()
    assert (q.start, q.end) == (at(2026, 12, 5), at(2026, 12, 6))


def test_buckets_of_each_interval() -> None:
    assert len(resolve("realtime", None, None, NOW).buckets()) == 30
    today = resolve("today", None, None, NOW).buckets()
    assert today[0] == at(2026, 12, 7) and today[-1] == at(2026, 12, 7, 21) and len(today) == 22
    assert resolve("yesterday", None, None, NOW).buckets() == [at(2026, 12, 6, h) for h in range(24)]
    seven = resolve("7d", None, None, NOW).buckets()
    assert seven == [at(2026, 12, d) for d in range(1, 8)]
    twelve = resolve("12mo", None, None, NOW).buckets()
    assert twelve == [at(2026, m, 1) for m in range(1, 13)]


def test_weeks_start_on_monday_and_months_on_the_first() -> None:
    p = Period("custom", "x", at(2026, 12, 3), at(2027, 1, 20), "week")  # a Thursday
    b = p.buckets()
    assert b[0] == at(2026, 11, 30) and all(t.weekday() == 0 for t in b) and b[-1] == at(2027, 1, 18)
    q = Period("12mo", "x", at(2025, 1, 25, 2), at(2026, 1, 1), "month")
    assert q.buckets()[0] == at(2025, 1, 1) and q.buckets()[-1] == at(2025, 12, 1) and len(q.buckets()) == 12


def test_buckets_of_a_previous_period_cover_it() -> None:
    q = resolve("7d", None, None, NOW).previous()
    b = q.buckets()
    assert b[0] <= q.start < b[0] + timedelta(days=1) and b[-1] < q.end
