"""Every faust-streaming internal hitstream relies on or patches, in this one module, pinned to the
exact version they were written against (`install()` refuses any other).

Part 1 — four fixes to faust's start-up and rebalance handling: without them events are lost,
stall or are redelivered needlessly.

Found by logging every delivery, ack, seek and commit of the raw topic while workers started,
joined and were killed under load (docs/reliability.md has the trace).

1. **Stream partitions resumed before the seek.** After a rebalance, faust's recovery calls
   `consumer.resume_partitions(...)`, then awaits `consumer.perform_seek()`, then
   `app.flow_control.resume()`, which empties every agent's queue. Records fetched in between
   are delivered into the queues and then thrown away, but the consumer's read offset has
   already moved past them, so the re-fetch after the seek is dropped as "already read". The
   partition then sits with uncommitted, unprocessed events until the next rebalance. Fix:
   keep the stream partitions paused until the seek and the queue reset are done.
2. **Skipped messages are acked.** A stream skips a message taken from its queue while flow
   control is suspended or after the consumer generation changed, and acks it anyway. Faust
   forgets the partition's acked offsets at revocation, so such an ack seeds the new
   generation's list: the offset is committed although no agent processed it. If the worker
   stops before the re-delivered copy is processed (or the partition moves), the event is lost.
   Fix: an ack made while flow is suspended or for another generation releases the message
   but does not make its offset committable. The event is re-delivered and the agent
   recognises the copy (`processors.state`), so the price is a repeat, never a loss. faust's
   Cython stream iterator inlines the ack and would bypass this, so streams use the Python one.
3. **No seek back for a partition never committed.** faust drops fetched records in several
   places (flow stopped, generation changed, partition paused meanwhile) and relies on
   `perform_seek()` to fetch them again from the committed offset. aiokafka's
   `seek_to_committed()` seeks only when the committed offset is above 0, so a new consumer
   group (or one that committed 0) keeps its advanced position and the dropped records are
   never read: the first events after a deployment were lost. Fix: after the seek, stream
   partitions without a committed offset are sought to 0 (the log start, or the earliest
   retained offset through `auto.offset.reset=earliest`).
4. **Acks forgotten at revocation.** On revocation faust drops the partitions' acked offsets
   before it commits, so every event processed since the last periodic commit (up to
   `broker_commit_interval`) is delivered again to the partition's next owner. Not a loss, but
   a redelivered event that is not the key's latest can only be re-emitted with part of its
   first answer (`processors.state`). Fix: commit what is acked before faust forgets it.

Part 2 — what the batched hot path (`processors.agent`) takes from faust's insides:

5. **The drain's `wait_first` per message.** faust's fetch loop hands every message to the
   conductor through `Service.wait_first(callback(message), suspend_flow.wait())`, which wraps
   both in tasks and waits on four futures: the largest single cost per message in a profile.
   When nothing can block (flow running, not suspended, no queue full, the producer buffer not
   full) the callback completes without suspending, so it is awaited directly (`fast_drain`).
6. **Batches from the topic's queue.** The agent drains its channel's queue itself (`take`) up to
   N events or a short wait, instead of iterating faust's `Stream` event by event (a `sleep(0)`,
   sensors, context variables and an ack per event): it tracks each message as faust's stream
   does (so a rebalance waits for the batch in flight), skips and releases messages of an older
   generation or taken while flow is stopped, and acks only after the batch's outputs and state
   are durable. faust's own `take`/`noack_take` are not used: `take` acks in a `finally` even
   when the body raised, and both run a processor and the stream machinery per event. faust
   stops an agent by throwing `StopAsyncIteration` into that queue; `take` turns it into the end
   of the batch loop, as it ends a stream's `async for` (escaping, faust's actor logged every
   normal stop as `Crashed reason=StopAsyncIteration` at error level).
7. **The `sessions` table's RocksDB and changelog.** The hot path writes a table's store and
   changelog itself, per partition per batch (`TableStore`): one RocksDB write batch, records
   produced by the agent's own producer and acknowledged before the write, and faust's persisted
   changelog offset set after it, so faust's recovery and standbys stay exactly as they are.
   `Table.__setitem__` cannot be used in a batch: it asserts a current event (faust-streaming
   #497, #300), and it sends each changelog record through faust's buffer, whose flush at commit
   time neither waits for every record nor surfaces a failed send.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from importlib.metadata import version
from typing import Any

import faust
import faust.streams
import rocksdict
from faust.tables.recovery import Recovery
from faust.transport.consumer import Consumer
from faust.transport.producer import ProducerBuffer
from faust.types import TP, Message
from faust.types.tuples import ack_lock
from mode.utils.futures import notify

log = logging.getLogger("hitstream.processors")

PATCHED_VERSION = "0.15.3"
_installed = False


def install() -> None:
    """Apply the fixes once, before the faust app is created."""
    global _installed
    if _installed:
        return
    found = version("faust-streaming")
    if found != PATCHED_VERSION:
        raise RuntimeError(
            f"processors/faust_internals.py patches faust-streaming {PATCHED_VERSION}, found {found}: "
            "check that the rebalance bugs it works around are still there, then update the pin"
        )
    _defer_stream_resume(Recovery, "on_recovery_completed")
    _defer_stream_resume(Recovery, "_resume_streams")
    _deferred_resume_partitions(Consumer)
    _ack_only_live_messages(Consumer)
    faust.streams._CStreamIterator = None  # type: ignore[attr-defined]  # it inlines ack (fix 2)
    _seek_uncommitted_to_start(Consumer)
    _commit_before_revocation(Consumer)
    # faust queues every changelog record of a table written through its API (the Swetrix
    # sessions) in a ProducerBuffer and stalls whenever more than 100 wait; no setting exists.
    ProducerBuffer.max_messages = 5_000
    _installed = True


def _defer_stream_resume(cls: type, name: str) -> None:
    """Run a recovery step with `resume_partitions` held back, then resume what it asked for
    (only if no newer rebalance began meanwhile; that one resumes its own partitions)."""
    original: Callable[..., Awaitable[None]] = getattr(cls, name)

    @functools.wraps(original)
    async def wrapper(self: Any, generation_id: int = 0) -> None:
        consumer = self.app.consumer
        consumer._hitstream_deferred = set()
        try:
            await original(self, generation_id=generation_id)
        finally:
            deferred: set[TP] = consumer._hitstream_deferred
            consumer._hitstream_deferred = None
        if deferred and self.app.consumer_generation_id == generation_id:
            assigned = consumer.assignment()
            consumer.resume_partitions({tp for tp in deferred if tp in assigned})

    setattr(cls, name, wrapper)


def _deferred_resume_partitions(cls: type) -> None:
    original: Callable[[Any, Iterable[TP]], None] = cls.resume_partitions  # type: ignore[attr-defined]

    @functools.wraps(original)
    def resume_partitions(self: Any, tps: Iterable[TP]) -> None:
        held: set[TP] | None = getattr(self, "_hitstream_deferred", None)
        if held is None:
            original(self, tps)
            return
        tps = set(tps)
        held.update(tps)
        # A partition that filled its buffer before the rebalance is still fetched while
        # "buffered"; it must be paused like the others until the seek is done.
        self._buffered_partitions.difference_update(tps)

    cls.resume_partitions = resume_partitions  # type: ignore[attr-defined]


def _ack_only_live_messages(cls: type) -> None:
    original: Callable[[Any, Message], bool] = cls.ack  # type: ignore[attr-defined]

    @functools.wraps(original)
    def ack(self: Any, message: Message) -> bool:
        app = self.app
        live = app.flow_control.is_active() and message.generation_id == app.consumer_generation_id
        if live:
            return original(self, message)
        with ack_lock:
            if not message.acked:
                message.acked = True
                self._unacked_messages.discard(message)
                notify(self._waiting_for_ack)
        return False

    cls.ack = ack  # type: ignore[attr-defined]


def _seek_uncommitted_to_start(cls: type) -> None:
    original: Callable[[Any], Awaitable[None]] = cls.perform_seek  # type: ignore[attr-defined]

    @functools.wraps(original)
    async def perform_seek(self: Any) -> None:
        await original(self)
        streams = {tp for tp in self.assignment() if self.app.topics.acks_enabled_for(tp.topic)}
        for tp in streams:
            if not self._committed_offset.get(tp):  # None (never committed) or 0
                await self.seek(tp, 0)

    cls.perform_seek = perform_seek  # type: ignore[attr-defined]


def _commit_before_revocation(cls: type) -> None:
    original: Callable[[Any, set[TP]], Awaitable[None]] = cls.on_partitions_revoked  # type: ignore[attr-defined]

    @functools.wraps(original)
    async def on_partitions_revoked(self: Any, revoked: set[TP]) -> None:
        if revoked and self.assignment():
            try:
                await self.commit()
            except Exception as exc:  # the group may already have moved on: redelivery, not loss
                log.warning("commit before revocation failed, events will be redelivered: %r", exc)
        await original(self, revoked)

    cls.on_partitions_revoked = on_partitions_revoked  # type: ignore[attr-defined]


# --- 5. the drain's wait_first ------------------------------------------------------------------


def fast_drain(app: faust.App, queues: Callable[[], Iterable[Any]]) -> None:
    """Await the conductor's callback directly when it cannot block (`queues`: the agents'
    channel queues it may put into); otherwise faust's `wait_first`, which a stop or a flow
    suspension can cut short."""
    consumer: Any = app.consumer
    slow = consumer.wait_first
    flow = app.flow_control

    async def wait_first(*coros: Any, timeout: Any = None) -> Any:
        if (
            len(coros) == 2
            and timeout is None
            and asyncio.iscoroutine(coros[0])
            and asyncio.iscoroutine(coros[1])
            and flow.is_active()
            and not consumer.suspend_flow.is_set()
            and not any(q.full() for q in queues())
        ):
            coros[1].close()  # suspend_flow.wait(): not needed, never started
            await coros[0]
            return None
        return await slow(*coros, timeout=timeout)

    consumer.wait_first = wait_first


# --- 6. batches from the topic's queue ----------------------------------------------------------


def subscribe(stream: faust.StreamT[Any]) -> Any:
    """The agent's topic channel registered with the conductor (what iterating the stream would
    do), whose `.queue` receives the topic's events. Its keys and values are raw bytes, so the
    per-message codec lookups of faust's schema decoding are skipped: the event is made directly."""
    channel: Any = stream.channel.__aiter__()
    if channel.key_serializer == "raw" and channel.value_serializer == "raw":
        app, make = channel.app, channel.app.conf.Event

        async def decode(message: Message, *, propagate: bool = False) -> Any:
            return make(app, message.key, message.value, message.headers, message)

        channel.decode = decode
    return channel


async def take(
    channel: Any, app: faust.App, max_events: int, within: float
) -> list[faust.EventT[Any]] | None:
    """Up to `max_events` events of the live generation: all the queue holds, else whatever arrives
    within `within` seconds of the first. Each is tracked as unacked; stale ones are released.

    None: the stream was stopped. faust stops an agent by throwing `StopAsyncIteration` into its
    channel's queue (`Actor.cancel`), which ends a stream's `async for` cleanly; a body that
    awaits the queue itself must end the same way, or faust's actor logs the stop as a crash. The
    events gathered for the batch so far were never tracked or acked, so their offsets are not
    committed and they are delivered again after the restart."""
    try:
        return _track(await _gather(channel.queue, max_events, within), app)
    except StopAsyncIteration:
        return None


async def _gather(queue: Any, max_events: int, within: float) -> list[faust.EventT[Any]]:
    events = [await queue.get()]
    deadline = time.monotonic() + within
    while len(events) < max_events:
        if queue.empty():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                events.append(await asyncio.wait_for(queue.get(), left))
            except TimeoutError:
                break
        else:
            events.append(queue.get_nowait())
    return events


def _track(events: list[faust.EventT[Any]], app: faust.App) -> list[faust.EventT[Any]]:
    """The events of the live generation, each tracked as faust's stream would (so a rebalance
    waits for the batch); the others released."""
    consumer: Any = app.consumer
    flow_on, generation = app.flow_control.is_active(), app.consumer_generation_id
    live: list[faust.EventT[Any]] = []
    for event in events:
        message = event.message
        if not flow_on or message.generation_id != generation:
            event.ack()  # released, never committed (fix 2): the event will be redelivered
            continue
        if not message.tracked:
            message.tracked = True
            consumer.track_message(message)
        live.append(event)
    return live


# --- 7. a table's RocksDB and changelog ---------------------------------------------------------


class TableStore:
    """Direct, per-partition access to a RocksDB-backed table that the hot path owns."""

    def __init__(self, table: faust.types.TableT[Any, Any]) -> None:
        self.table = table
        self.changelog_topic: str = table.changelog_topic.get_topic_name()

    @property
    def _store(self) -> Any:
        return self.table.data

    def _db(self, partition: int) -> Any:
        return self._store._db_for_partition(partition)

    def assigned(self) -> set[int]:
        """The table partitions open on this worker (actives, after their recovery)."""
        actives = self.table.app.assignor.assigned_actives()
        return {tp.partition for tp in actives if tp.topic == self.changelog_topic}

    def read(self, partition: int, keys: list[bytes]) -> list[bytes | None]:
        db = self._db(partition)
        return [db.get(key) for key in keys]

    def write(self, partition: int, puts: Mapping[bytes, bytes | None], changelog_offset: int | None) -> None:
        """One RocksDB write batch (None: delete), then faust's persisted changelog offset."""
        if partition not in self._store._dbs:  # revoked meanwhile: its next owner restores it
            return
        batch = rocksdict.WriteBatch(raw_mode=True)
        for key, value in puts.items():
            if value is None:
                batch.delete(key)
            else:
                batch.put(key, value)
        self._db(partition).write(batch)
        if changelog_offset is not None:
            self._store.set_persisted_offset(TP(self.changelog_topic, partition), changelog_offset)

    def items(self, partition: int) -> Iterable[tuple[bytes, bytes]]:
        """The partition's keys and values (without faust's own offset record)."""
        if partition not in self._store._dbs:
            return iter(())
        items: Iterable[tuple[bytes, bytes]] = self._store._visible_items(self._db(partition))
        return iter(items)


async def ensure_changelog_metadata(app: faust.App, table: faust.types.TableT[Any, Any]) -> None:
    """faust computes a `use_partitioner` table's changelog partition with its producer's
    partitioner, which needs the producer to know the topic's partitions; one that has not written
    there yet fails with `TypeError: 'NoneType' object is not iterable` on the first writes after
    a start. Asking for the metadata once, before the first write, avoids it."""
    topic = table.changelog_topic.get_topic_name()
    if topic in _METADATA_READY:
        return
    producer = app.producer._ensure_producer()  # type: ignore[attr-defined]
    await producer.partitions_for(topic)
    _METADATA_READY.add(topic)


_METADATA_READY: set[str] = set()


def recovering(app: faust.App) -> bool:
    """Tables are being restored from their changelogs (the worker is not ready)."""
    return bool(app.tables.recovery.in_recovery)  # type: ignore[attr-defined]  # on TableManager
