"""The hot path's contract with Kafka, with fakes for faust and the producer: nothing is acked
before a batch's outputs and state are acknowledged, and a batch Kafka refuses stops the worker."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from bench.processors_workload import visits
from processors import agent as agent_module
from processors.agent import HotPath
from processors.enrich import Enricher
from processors.live import LiveVisitors
from processors.output import OutputError, Record
from processors.rules.sessions import Limits

SECRET = b"a" * 32


class FakeMessage:
    def __init__(self, partition: int, offset: int) -> None:
        self.partition, self.offset = partition, offset


class FakeEvent:
    def __init__(self, key: bytes, value: bytes, offset: int, log: list[str]) -> None:
        self.key, self.value, self.message, self.log = key, value, FakeMessage(0, offset), log

    def ack(self) -> bool:
        self.log.append("ack")
        return True


class FakeOutput:
    def __init__(self, log: list[str], fail: bool = False) -> None:
        self.log, self.fail = log, fail

    async def send(self, records: Sequence[Record]) -> dict[tuple[str, int], int]:
        if self.fail:
            raise OutputError("Kafka did not acknowledge a batch's records: test")
        self.log.append("changelog" if records and records[0].topic.endswith("changelog") else "outputs")
        return {}


class FakeStore:
    changelog_topic = "app-sessions-changelog"

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def assigned(self) -> set[int]:
        return {0}

    def read(self, partition: int, keys: list[bytes]) -> list[bytes | None]:
        return [None] * len(keys)

    def write(self, partition: int, puts: Any, changelog_offset: Any) -> None:
        self.log.append("rocksdb")


class FakeSalts:
    def cached(self, day: Any) -> bytes:
        return b"salt"


class FakeApp:
    def __init__(self) -> None:
        self.crashed: list[BaseException] = []

    async def crash(self, exc: BaseException) -> None:
        self.crashed.append(exc)


def _hot(log: list[str], app: FakeApp, fail: bool = False) -> HotPath:
    return HotPath(
        app=app, raw_topic="raw", enriched_topic="enriched", dlq_topic="dlq",  # type: ignore[arg-type]
        store=FakeStore(log), output=FakeOutput(log, fail), salts=FakeSalts(),  # type: ignore[arg-type]
        enricher=Enricher(SECRET), limits=Limits(), live=LiveVisitors(300), batch_events=100,
        batch_wait_s=0.01,
    )  # fmt: skip


def _run_one_batch(monkeypatch: pytest.MonkeyPatch, hot: HotPath, log: list[str]) -> None:
    hits = list(visits(3, 3, SECRET))
    events = [FakeEvent(h.key, h.value, i, log) for i, h in enumerate(hits)]
    batches = [events]

    async def take(*_: Any) -> list[FakeEvent]:
        if batches:
            return batches.pop()
        raise asyncio.CancelledError  # end of the test's stream

    monkeypatch.setattr(agent_module.faust_internals, "subscribe", lambda stream: object())
    monkeypatch.setattr(agent_module.faust_internals, "fast_drain", lambda app, queues: None)
    monkeypatch.setattr(agent_module.faust_internals, "take", take)
    with pytest.raises((asyncio.CancelledError, OutputError)):
        asyncio.run(hot.run(None))  # type: ignore[arg-type]


def test_a_stopped_stream_ends_the_agent_without_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """`take` answers None when faust stops the stream: the agent returns (faust's actor then
    logs no `Crashed`), nothing is crashed or acked."""
    log: list[str] = []
    app = FakeApp()

    async def take(*_: Any) -> None:
        return None

    monkeypatch.setattr(agent_module.faust_internals, "subscribe", lambda stream: object())
    monkeypatch.setattr(agent_module.faust_internals, "fast_drain", lambda app, queues: None)
    monkeypatch.setattr(agent_module.faust_internals, "take", take)
    asyncio.run(_hot(log, app).run(None))  # type: ignore[arg-type]
    assert app.crashed == [] and log == []


def test_outputs_then_changelog_then_rocksdb_then_acks(monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[str] = []
    _run_one_batch(monkeypatch, _hot(log, FakeApp()), log)
    assert log[:3] == ["outputs", "changelog", "rocksdb"] and set(log[3:]) == {"ack"} and len(log) == 12


def test_a_batch_kafka_refuses_is_never_acked_and_stops_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[str] = []
    app = FakeApp()
    _run_one_batch(monkeypatch, _hot(log, app, fail=True), log)
    assert "ack" not in log and isinstance(app.crashed[0], OutputError)
