"""Four fixes to faust-streaming's start-up and rebalance handling: without them events are lost,
stall or are redelivered needlessly.

Found by logging every delivery, ack, seek and commit of the raw topic while workers started,
joined and were killed under load (docs/reliability.md has the trace). faust-streaming is pinned to
the version these patches were written against; `install()` refuses any other.

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
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from importlib.metadata import version
from typing import Any

import faust.streams
from faust.tables.recovery import Recovery
from faust.transport.consumer import Consumer
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
            f"processors/faust_fixes.py patches faust-streaming {PATCHED_VERSION}, found {found}: "
            "check that the rebalance bugs it works around are still there, then update the pin"
        )
    _defer_stream_resume(Recovery, "on_recovery_completed")
    _defer_stream_resume(Recovery, "_resume_streams")
    _deferred_resume_partitions(Consumer)
    _ack_only_live_messages(Consumer)
    faust.streams._CStreamIterator = None  # type: ignore[attr-defined]  # it inlines ack (fix 2)
    _seek_uncommitted_to_start(Consumer)
    _commit_before_revocation(Consumer)
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
