"""Accepted ⇒ stored: every request at an edge of what ingest accepts (tests/support/boundaries.py)
goes through ingest, the processors' batch function and the sink's real insert path into
ClickHouse, and every event it was answered 2xx for is in `events`: no dead letter anywhere."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from ingest.server.asgi_uvicorn import IngestASGI
from ingest.settings import IngestSettings
from processors import batch
from processors.batch import RawMessage, Rules
from processors.enrich import Enricher
from processors.rules.sessions import Limits
from schemas.events import EnrichedEvent
from schemas.limits import EVENT_TIME_MIN
from sink.batch import Batch, Batcher
from sink.writer import land_batch, writers
from tests.support import boundaries
from tests.support.boundaries import Case
from tests.support.messages import FakeMessage
from tests.unit.ingest.asgi import call
from tests.unit.ingest.fakes import SECRET, FakePublisher, FakeSessions, make_services

pytestmark = pytest.mark.clickhouse


def _ingest(cases: list[Case], tmp_path: Path) -> list[tuple[bytes, bytes]]:
    """What ingest published for `cases`, each of which it must answer 2xx."""
    publisher = FakePublisher()
    app = IngestASGI(IngestSettings(), make_services(tmp_path, publisher, FakeSessions(), rate=100_000))
    for case in cases:
        a = asyncio.run(call(app, "POST", case.path, case.encoded(), case.headers))
        assert 200 <= a.status < 300, (case.name, a.status, a.body[:300])
    assert len(publisher.sent) == sum(c.events for c in cases)
    return publisher.sent


def _process(published: list[tuple[bytes, bytes]]) -> list[bytes]:
    """The processors' pure batch function over the raw topic's messages: enriched events out."""
    messages = [RawMessage(key, value, 0, offset) for offset, (key, value) in enumerate(published)]
    decoded = batch.decode(messages)
    salts = {day: b"salt-" + day.isoformat().encode() for day in batch.salt_days(decoded)}
    result = batch.process(decoded, {}, Rules(Enricher(SECRET), Limits(), salts))
    assert not result.dead, [d.reason for d in result.dead[:5]]
    return [o.value for o in result.outputs]


def _sink(client: Client, values: list[bytes], topic: str) -> None:
    """One sink batch through the real insert path; nothing may be dead-lettered."""
    batcher = Batcher(window_offsets=100_000)
    batcher.assign((topic, 0))
    for offset, value in enumerate(values):
        batcher.take(FakeMessage(value, 0, offset, topic, _key=None))
    dead = land_batch(Batch(batcher.cut()), writers(client, threading.Lock()))
    assert not dead, [d.reason for d in dead[:5]]


def _stored(client: Client, values: list[bytes]) -> None:
    ids = [EnrichedEvent.model_validate_json(v).event_id for v in values]
    found = client.command("SELECT count() FROM events WHERE has({ids:Array(UUID)}, event_id)", {"ids": ids})
    assert found == len(ids)


def test_every_accepted_boundary_is_stored(ch_client: Client, tmp_path: Path, unique: str) -> None:
    values = _process(_ingest(boundaries.accepted(datetime.now(UTC)), tmp_path))
    _sink(ch_client, values, unique)
    _stored(ch_client, values)
    floor = ch_client.command(
        "SELECT countIf(event_time = {t:DateTime64(3, 'UTC')}) FROM events", {"t": EVENT_TIME_MIN}
    )
    assert floor == 2  # the earliest time accepted, as `Z` and as an offset, is stored as such


def test_a_replay_of_every_month_since_2000_lands_in_one_insert(
    ch_client: Client, tmp_path: Path, unique: str
) -> None:
    """One sink batch spanning 300+ monthly partitions: ClickHouse's default limit of 100
    partitions per insert (TOO_MANY_PARTS, retried for ever) must not apply."""
    now = datetime.now(UTC)
    months = [
        (y, m) for y in range(2000, now.year + 1) for m in range(1, 13) if (y, m) <= (now.year, now.month)
    ]
    cases = [boundaries.hitkeep(f"{y:04d}-{m:02d}-01T00:00:00Z") for y, m in months]
    values = _process(_ingest(cases, tmp_path))
    _sink(ch_client, values, unique)
    _stored(ch_client, values)
    assert ch_client.command("SELECT uniqExact(toYYYYMM(event_time)) FROM events") == len(months) > 100
