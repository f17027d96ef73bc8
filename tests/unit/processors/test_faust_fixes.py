"""The two faust rebalance fixes, on a real faust consumer object (no broker is contacted)."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
import pytest
from faust.types import TP
from faust.types.tuples import ConsumerMessage

from processors import faust_fixes

TOPIC = "fixes-raw"
TPS = {TP(TOPIC, 0), TP(TOPIC, 1)}


@pytest.fixture(scope="module")
def app() -> faust.App:
    faust_fixes.install()
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


faust_fixes._defer_stream_resume(FakeRecovery, "on_recovery_completed")


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
