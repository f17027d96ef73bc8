"""Producer metadata for tables that partition by key (`use_partitioner=True`).

faust computes such a table's changelog partition with its producer's partitioner, which needs
the producer to know the changelog topic's partitions. A producer that has not written to that
topic yet does not, and faust then fails with `TypeError: 'NoneType' object is not iterable` on
the first writes after a start. Asking for the metadata once, before the first write, avoids it.
"""

from __future__ import annotations

from typing import Any

import faust

_READY: set[str] = set()


async def ensure_changelog_metadata(app: faust.App, table: faust.types.TableT[Any, Any]) -> None:
    topic = table.changelog_topic.get_topic_name()
    if topic in _READY:
        return
    # faust's aiokafka driver; `partitions_for` is aiokafka's public API for exactly this.
    producer = app.producer._ensure_producer()  # type: ignore[attr-defined]
    await producer.partitions_for(topic)
    _READY.add(topic)
