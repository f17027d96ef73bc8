"""The validity contract (`schemas.limits`): every boundary, just inside and just outside, in the
three places that enforce it (ingest's vendor models, the sink's row check, the DDL)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from ingest.server.asgi_uvicorn import IngestASGI
from ingest.settings import IngestSettings
from schemas.events import EnrichedEvent, EventType, Vendor
from schemas.limits import (
    EVENT_TIME_MAX_AHEAD,
    EVENT_TIME_MIN,
    PERF_MS_MAX,
    PIXELS_MAX,
    UINT8_MAX,
    UINT32_MAX,
    event_time_problem,
    to_millis,
)
from sink.rows import RowError, check
from tests.support import boundaries
from tests.unit.ingest.asgi import call
from tests.unit.ingest.fakes import FakePublisher, FakeSessions, make_services

MIGRATIONS = Path(__file__).parents[2] / "sink" / "migrations"
MS, US = timedelta(milliseconds=1), timedelta(microseconds=1)
NOW = datetime(2026, 11, 23, 12, 0, 0, 250_000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "ok"),
    [
        (EVENT_TIME_MIN, True),
        (EVENT_TIME_MIN + US, True),
        (EVENT_TIME_MIN - US, False),  # 23:59:59.999999 is stored as .999: before the floor
        (EVENT_TIME_MIN - MS, False),
        (datetime(1970, 1, 1, tzinfo=UTC), False),  # the fuzz's dead letter (issue 17)
        (NOW, True),
        (NOW + EVENT_TIME_MAX_AHEAD, True),
        (NOW + EVENT_TIME_MAX_AHEAD + 999 * US, True),  # the same millisecond once stored
        (NOW + EVENT_TIME_MAX_AHEAD + MS, False),
        (datetime(9999, 1, 1, tzinfo=UTC), False),
    ],
)
def test_event_time_window(at: datetime, ok: bool) -> None:
    assert (event_time_problem(at, NOW) is None) is ok


def test_times_that_cannot_be_converted_to_utc_are_a_problem_not_an_overflow() -> None:
    from datetime import timezone

    plus_one = timezone(timedelta(hours=1))
    assert "out of range" in (event_time_problem(datetime(1, 1, 1, tzinfo=plus_one), NOW) or "")
    assert to_millis(datetime(2026, 1, 1, 0, 0, 0, 123_999, tzinfo=UTC)).microsecond == 123_000


def test_the_numbers_are_the_ddl_s() -> None:
    """The limits are read off 0001_events.sql; no later migration redefines the constraint."""
    ddl = (MIGRATIONS / "0001_events.sql").read_text()
    sane = re.search(r"CONSTRAINT event_time_sane CHECK (.+?),\n\s+CONSTRAINT", ddl, re.S)
    assert sane is not None
    assert f"toDateTime64('{EVENT_TIME_MIN:%Y-%m-%d %H:%M:%S}', 3, 'UTC')" in sane.group(1)
    assert "event_time <= received_at + INTERVAL 1 DAY" in sane.group(1)
    assert timedelta(days=1) == EVENT_TIME_MAX_AHEAD
    assert re.search(r"event_time\s+DateTime64\(3, 'UTC'\)", ddl)  # hence the millisecond compare
    types = {"UInt16": PIXELS_MAX, "UInt32": UINT32_MAX, "UInt8": UINT8_MAX}
    for column, kind in (("screen_width", "UInt16"), ("viewport_height", "UInt16"), ("asn", "UInt32"),
                         ("session_seq", "UInt32"), ("schema_version", "UInt8")):  # fmt: skip
        assert re.search(rf"\n\s+{column}\s+{kind},", ddl), column
        assert types[kind] == 2 ** int(kind[4:]) - 1
    assert re.search(r"perf_ttfb\s+Nullable\(Float32\)", ddl) and float(PERF_MS_MAX) < 2.0**24  # exact
    later = "".join(p.read_text() for p in sorted(MIGRATIONS.glob("*.sql")) if p.name != "0001_events.sql")
    assert "event_time_sane" not in later and "ADD CONSTRAINT" not in later.upper()


def _enriched(event_time: datetime, received_at: datetime = NOW, **fields: object) -> EnrichedEvent:
    return EnrichedEvent(
        event_id="0192f0c4-7d2e-7000-8000-000000000001", vendor=Vendor.HITKEEP, site_id="s",
        event_type=EventType.PAGEVIEW, event_time=event_time, received_at=received_at, visitor_key="v",
        **fields,  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.mark.parametrize(
    ("at", "ok"),
    [
        (EVENT_TIME_MIN, True),
        (EVENT_TIME_MIN - US, False),
        (NOW + EVENT_TIME_MAX_AHEAD, True),
        (NOW + EVENT_TIME_MAX_AHEAD + MS, False),
    ],
)
def test_the_sink_s_row_check_refuses_what_event_time_sane_refuses(at: datetime, ok: bool) -> None:
    if ok:
        check(_enriched(at), 0, 0)
    else:
        with pytest.raises(RowError, match="event_time="):
            check(_enriched(at), 0, 0)


@pytest.fixture
def app(tmp_path: Path) -> IngestASGI:
    return IngestASGI(IngestSettings(), make_services(tmp_path, FakePublisher(), FakeSessions()))


def test_every_boundary_request_is_accepted(app: IngestASGI) -> None:
    for case in boundaries.accepted(datetime.now(UTC)):
        a = asyncio.run(call(app, "POST", case.path, case.encoded(), case.headers))
        assert 200 <= a.status < 300, (case.name, a.status, a.body[:300])
        if case.path == "/api/track" and case.events > 1:
            assert orjson.loads(a.body)["count"] == case.events


@pytest.mark.parametrize("index", range(len(boundaries.hitkeep_outside(datetime.now(UTC)))))
def test_hitkeep_times_just_outside_are_its_400_with_the_reason(app: IngestASGI, index: int) -> None:
    timestamp, reason = boundaries.hitkeep_outside(datetime.now(UTC))[index]
    case = boundaries.hitkeep(timestamp)
    a = asyncio.run(call(app, "POST", case.path, case.encoded(), case.headers))
    assert a.status == 400, (timestamp, a.status, a.body)
    message = orjson.loads(a.body)["message"]
    assert message.startswith("timestamp: ") and reason in message, message


def test_hitkeep_trims_the_timestamp_as_its_server_does(app: IngestASGI) -> None:
    case = boundaries.hitkeep(" 2026-01-01T00:00:00Z ")
    assert asyncio.run(call(app, "POST", case.path, case.encoded(), case.headers)).status == 202
