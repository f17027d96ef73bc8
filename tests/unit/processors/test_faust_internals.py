"""The two faust rebalance fixes, on a real faust consumer object (no broker is contacted)."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
import pytest
from faust.types import TP
from faust.types.tuples import ConsumerMessage

from processors import faust_internals

TOPIC = "fixes-raw"
TPS = {TP(TOPIC, 0), TP(TOPIC, 1)}


@pytest.fixture(scope="module")
def app() -> faust.App:
    faust_internals.install()
    app = faust.App("hitstream-faust-fixes", broker="kafka://127.0.0.1:1", autodiscover=False)
    app.topics.acks_enabled_for = lambda topic: True  # type: ignore[method-assign]
    return app


def message(offset: int, generation: int) -> ConsumerMessage:
    return ConsumerMessage(
        TOPIC, 0, offset, 0.0, 0, None, b"k", b"v", None, generation_id=generation, tp=TP(TOPIC, 0)
    )


def test_only_acks_of_the_live_generation_with_flow_on_become_committable(app: faust.App) -> None:
    consumer: Any = app.consumer
    app.consumer_generation_id = 7
    app.flow_control.resume()
    assert consumer.ack(message(5, 7))
    # Taken from a queue after the rebalance, skipped by the stream, never processed:
    stale = message(6, 6)
    assert not consumer.ack(stale) and stale.acked
    app.flow_control.suspend()
    in_flight = message(7, 7)
    consumer._unacked_messages.add(in_flight)
    assert not consumer.ack(in_flight)
    assert in_flight not in consumer._unacked_messages  # a revocation waiting on it goes on
    assert consumer._acked[TP(TOPIC, 0)] == [5]


class FakeRecovery:
    """The shape of faust's recovery step: resume the stream partitions, seek, resume flow."""

    def __init__(self, app: faust.App, next_generation: int | None = None) -> None:
        self.app = app
        self.next_generation = next_generation
        self.active_during_seek: set[TP] = set()

    async def on_recovery_completed(self, generation_id: int = 0) -> None:
        consumer: Any = self.app.consumer
        consumer.resume_partitions(TPS)
        await asyncio.sleep(0)  # perform_seek: the fetcher runs meanwhile
        self.active_during_seek = set(consumer._get_active_partitions()) & TPS
        if self.next_generation is not None:
            self.app.consumer_generation_id = self.next_generation


faust_internals._defer_stream_resume(FakeRecovery, "on_recovery_completed")


@pytest.mark.parametrize("rebalanced_again", [False, True])
def test_stream_partitions_resume_only_after_the_seek(app: faust.App, rebalanced_again: bool) -> None:
    consumer: Any = app.consumer
    consumer.assignment = lambda: TPS
    consumer.pause_partitions(TPS)
    consumer._buffered_partitions.add(TP(TOPIC, 1))  # its buffer was full before the rebalance
    app.consumer_generation_id = 3
    recovery = FakeRecovery(app, next_generation=4 if rebalanced_again else None)
    asyncio.run(recovery.on_recovery_completed(3))
    assert recovery.active_during_seek == set()
    assert TP(TOPIC, 1) not in consumer._buffered_partitions
    after = set(consumer._get_active_partitions()) & TPS
    # A newer rebalance resumes its own partitions; this step must not.
    assert after == (set() if rebalanced_again else TPS)


def test_streams_ack_through_the_consumer_not_the_cython_iterator(app: faust.App) -> None:
    import faust.streams

    assert faust.streams._CStreamIterator is None  # type: ignore[attr-defined]


def test_a_partition_never_committed_is_sought_to_its_start(app: faust.App) -> None:
    """aiokafka's seek_to_committed leaves such a partition where its fetch position was, past
    records faust fetched and dropped."""
    consumer: Any = app.consumer
    consumer.assignment = lambda: TPS
    sought: list[tuple[TP, int]] = []

    async def seek_to_committed() -> dict[TP, int | None]:
        return {TP(TOPIC, 0): 42, TP(TOPIC, 1): None}

    async def _seek(tp: TP, offset: int) -> None:
        sought.append((tp, offset))

    consumer.seek_to_committed = seek_to_committed
    consumer._seek = _seek
    asyncio.run(consumer.perform_seek())
    assert sought == [(TP(TOPIC, 1), 0)]
    assert consumer._read_offset[TP(TOPIC, 0)] == 42 and consumer._read_offset[TP(TOPIC, 1)] is None


class FakeConsumer:
    """faust's order at revocation: forget the revoked partitions' acks, then commit."""

    def __init__(self) -> None:
        self.acked: dict[TP, list[int]] = {TP(TOPIC, 0): [3, 4]}
        self.committed: list[dict[TP, int]] = []

    def assignment(self) -> set[TP]:
        return TPS

    async def commit(self) -> bool:
        self.committed.append({tp: max(o) + 1 for tp, o in self.acked.items() if o})
        return True

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        for tp in revoked:
            self.acked.pop(tp, None)
        await self.commit()


faust_internals._commit_before_revocation(FakeConsumer)


def test_what_is_acked_is_committed_before_revocation_forgets_it() -> None:
    consumer = FakeConsumer()
    asyncio.run(consumer.on_partitions_revoked(TPS))
    assert consumer.committed[0] == {TP(TOPIC, 0): 5}
