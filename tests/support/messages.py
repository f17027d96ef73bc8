"""A consumed Kafka message built in tests: what the sink reads of one (`sink.batch.MessageLike`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FakeMessage:
    _value: bytes | None
    _partition: int = 0
    _offset: int = 0
    _topic: str = "hits.enriched"
    _headers: list[tuple[str, bytes | None]] = field(default_factory=list)
    _key: bytes | None = b"k"

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value

    def headers(self) -> list[tuple[str, bytes | None]]:
        return self._headers
