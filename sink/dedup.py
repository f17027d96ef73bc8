"""Upstream duplicates: the event ids of the last W offsets of each enriched partition.

A processor worker that crashes re-processes the raw events after its last committed offset and
emits them again, with the same `event_id`, at later offsets of the enriched topic. Why a bounded
window per partition catches them: the processors key every output like its input (`site|visitor`,
murmur2), so an event and its copy land on the same enriched partition, and only what the crashed
worker emitted after its last committed raw offset lies between them (docs/reliability.md has the
distances measured in kill -9 runs).

The window is a pure function of the partition's contents: the message at offset `o` is a
duplicate exactly when a message with the same key lies at an offset in `[o - W, o)`. So a
replayed batch drops exactly the messages its first attempt dropped (its rows, and so its
deduplication token, stay valid), and a window rebuilt from the W offsets before the committed
one (`sink.recovery`) is the window the partition's previous owner had.

A message republished from the DLQ (`hitstream dlq replay`, header `replayed_from`) is a new
delivery of an event that never landed: it is checked only against other replayed copies, so the
original it stands in for (which is in the window) does not hide it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence

import orjson

from schemas.dead_letter import REPLAYED_FROM

REPLAYED = 1 << 128  # set on the keys of replayed dead letters: a key space of their own
Headers = Mapping[str, str | bytes | None] | Sequence[tuple[str, str | bytes | None]] | None


def is_replayed(headers: Headers) -> bool:
    """Whether a message was republished from the DLQ (it carries `replayed_from`)."""
    if not headers:
        return False
    if isinstance(headers, Mapping):
        return REPLAYED_FROM in headers
    return any(name == REPLAYED_FROM for name, _ in headers)


def key_of(event_id: str, replayed: bool = False) -> int | None:
    """The window key of an event id (the UUID as an integer), or None when it is not a UUID."""
    digits = event_id.replace("-", "")
    if len(digits) != 32:
        return None
    try:
        key = int(digits, 16)
    except ValueError:
        return None
    return key | REPLAYED if replayed else key


def key_of_value(value: bytes | None, replayed: bool = False) -> int | None:
    """The key of a raw message value (a JSON object with a string `event_id`), else None.

    Used where a message is not decoded into an event (rebuilding a window, a message that fails
    the contract); for a valid event it gives the same key as `key_of(event.event_id)`.
    """
    try:
        event_id = orjson.loads(value or b"").get("event_id")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return key_of(event_id, replayed) if isinstance(event_id, str) else None


class OffsetsWentBack(RuntimeError):
    """A partition delivered an offset at or below one the window already holds."""


class DedupWindow:
    """The keys of one partition's messages within the last `size` offsets."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: deque[tuple[int, int]] = deque()  # (offset, key), oldest first
        self._latest: dict[int, int] = {}  # key -> the offset it was last seen at
        self._last = -1

    def __len__(self) -> int:
        return len(self._latest)

    def seen(self, offset: int, key: int | None) -> int | None:
        """Record the message at `offset`; if its key is in the window, the offset it was last
        seen at (the message is a duplicate), else None."""
        if offset <= self._last:
            raise OffsetsWentBack(f"offset {offset} after {self._last}")
        self._last = offset
        self._evict(offset - self.size)
        if key is None:
            return None
        before = self._latest.get(key)
        self._entries.append((offset, key))
        self._latest[key] = offset
        return before

    def _evict(self, lowest: int) -> None:
        entries, latest = self._entries, self._latest
        while entries and entries[0][0] < lowest:
            offset, key = entries.popleft()
            if latest[key] == offset:  # no later message with this key
                del latest[key]
