"""The two faust rebalance fixes, on a real faust consumer object (no broker is contacted)."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
import pytest
from faust.types import TP
from faust.types.tuples import ConsumerMessage
from mode.utils.queues import FlowControlEvent, ThrowableQueue

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


# --- part 2: what the batched hot path takes from faust's insides ------------------------------


def test_the_drain_awaits_the_callback_itself_when_nothing_can_block(app: faust.App) -> None:
    """Without the fast path every message goes through `wait_first`'s tasks; with it, none while
    flow runs, and faust's own `wait_first` again as soon as a queue is full or flow is stopped."""
    queue: asyncio.Queue[int] = asyncio.Queue(maxsize=1)
    consumer: Any = app.consumer
    slow_calls: list[int] = []

    async def faust_wait_first(*coros: Any, timeout: Any = None) -> None:
        slow_calls.append(len(coros))
        for c in coros:
            c.close()

    consumer.wait_first = faust_wait_first
    faust_internals.fast_drain(app, lambda: (queue,))
    app.flow_control.resume()
    consumer.suspend_flow.clear()
    delivered: list[int] = []

    async def callback() -> None:
        delivered.append(1)

    async def never() -> None:
        raise AssertionError("suspend_flow.wait() must not run on the fast path")

    async def main() -> None:
        await consumer.wait_first(callback(), never())  # fast: awaited here, no task
        assert delivered == [1] and slow_calls == []
        queue.put_nowait(1)  # a full queue could block the callback: faust's wait_first
        await consumer.wait_first(callback(), never())
        queue.get_nowait()
        app.flow_control.suspend()  # a rebalance: faust's wait_first, which the suspension can cut
        await consumer.wait_first(callback(), never())
        app.flow_control.resume()
        assert slow_calls == [2, 2] and delivered == [1]

    asyncio.run(main())


class FakeEvent:
    def __init__(self, offset: int, generation: int) -> None:
        self.message = message(offset, generation)
        self.acks = 0

    def ack(self) -> bool:
        self.acks += 1
        return True


class FakeChannel:
    def __init__(self, events: list[FakeEvent]) -> None:
        self.queue: asyncio.Queue[FakeEvent] = asyncio.Queue()
        for e in events:
            self.queue.put_nowait(e)


def test_take_tracks_a_batch_and_releases_stale_events(app: faust.App) -> None:
    consumer: Any = app.consumer
    app.consumer_generation_id = 9
    app.flow_control.resume()
    live, stale, late = FakeEvent(1, 9), FakeEvent(2, 8), FakeEvent(3, 9)
    channel = FakeChannel([live, stale, late])
    batch = asyncio.run(faust_internals.take(channel, app, max_events=10, within=0.01))
    assert batch == [live, late] and stale.acks == 1 and live.acks == 0
    # Tracked as unacked, as faust's stream would: a rebalance waits for the batch in flight.
    assert live.message in consumer.unacked and late.message in consumer.unacked
    assert live.message.tracked


def test_take_stops_at_the_batch_size_and_waits_briefly_for_more(app: faust.App) -> None:
    app.consumer_generation_id = 1
    channel = FakeChannel([FakeEvent(i, 1) for i in range(5)])
    assert len(asyncio.run(faust_internals.take(channel, app, max_events=3, within=0.01))) == 3
    assert len(asyncio.run(faust_internals.take(channel, app, max_events=3, within=0.01))) == 2


def test_take_ends_cleanly_when_faust_stops_the_stream(app: faust.App) -> None:
    """faust stops an agent by throwing StopAsyncIteration into its channel's queue
    (`Actor.cancel`); `take` answers None instead of letting it escape (faust would log the stop
    as `Crashed reason=StopAsyncIteration`), and the events gathered so far stay untracked and
    unacked: not committed, delivered again after the restart."""
    app.consumer_generation_id = 1
    app.flow_control.resume()
    consumer: Any = app.consumer

    async def main() -> tuple[Any, Any, FakeEvent]:
        channel = FakeChannel([])
        channel.queue = ThrowableQueue(flow_control=FlowControlEvent())
        channel.queue._throw(StopAsyncIteration())  # a stop while the agent waits for a batch
        idle = await faust_internals.take(channel, app, max_events=10, within=0.01)
        gathered = FakeEvent(1, 1)
        channel.queue = ThrowableQueue(flow_control=FlowControlEvent())
        channel.queue.put_nowait(gathered)

        async def stop_soon() -> None:
            await asyncio.sleep(0.01)
            channel.queue._throw(StopAsyncIteration())  # a stop while a batch is being gathered

        stopper = asyncio.create_task(stop_soon())
        await_stop = await faust_internals.take(channel, app, max_events=10, within=5.0)
        await stopper
        return idle, await_stop, gathered

    idle, mid_batch, gathered = asyncio.run(main())
    assert idle is None and mid_batch is None
    assert gathered.acks == 0 and not gathered.message.tracked and gathered.message not in consumer.unacked


def test_a_table_written_directly_reads_back_through_faust(tmp_path: Any) -> None:
    """Values and the persisted changelog offset land where faust's store and recovery look."""
    faust_internals.install()
    table_app = faust.App("hitstream-store-test", broker="kafka://127.0.0.1:1", store="rocksdb://",
                          datadir=str(tmp_path), autodiscover=False)  # fmt: skip
    table = table_app.Table("sessions", key_type=bytes, use_partitioner=True, partitions=2)
    store = faust_internals.TableStore(table)
    store.write(1, {b"k": b'{"o": 3}'}, changelog_offset=41)  # not open: another worker's
    table.data._db_for_partition(1)  # opened on assignment, as recovery does
    store.write(1, {b"k": b'{"o": 3}', b"gone": None}, changelog_offset=41)
    assert store.read(1, [b"k", b"gone"]) == [b'{"o": 3}', None]
    assert table.data._get(b"k") == b'{"o": 3}'  # faust's own lookup finds it
    assert table.data.persisted_offset(TP(store.changelog_topic, 1)) == 41
    assert list(store.items(1)) == [(b"k", b'{"o": 3}')]
