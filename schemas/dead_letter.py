"""The dead-letter envelope: what every stage writes to the DLQ topic beside the original message.

A dead letter is the original key and value, unchanged, plus Kafka headers that say why and where
it came from, so `hitstream dlq show` can explain it and `hitstream dlq replay` can put it back
where it was read from:

    reason         why the stage gave up (`invalid canonical event: …`, `clickhouse 469 …`)
    stage          which stage wrote it: `processors` or `sink`
    source_topic   the topic the message was read from (replay target)
    source         `<topic>:<partition>:<offset>` of the original message

Letters written before `source_topic` existed (the processors' older ones) replay to the input of
their stage. A replayed message carries `replayed_from` (`<dlq partition>:<dlq offset>`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Stage = Literal["processors", "sink"]
REPLAYED_FROM = "replayed_from"

HeaderValue = str | bytes | None
KafkaHeaders = list[tuple[str, HeaderValue]]


@dataclass(frozen=True, slots=True)
class Envelope:
    reason: str
    stage: str
    source_topic: str
    source: str = ""

    def headers(self) -> list[tuple[str, bytes]]:
        return [
            ("reason", self.reason.encode()),
            ("stage", self.stage.encode()),
            ("source_topic", self.source_topic.encode()),
            ("source", self.source.encode()),
        ]

    @classmethod
    def of(cls, reason: str, stage: Stage, topic: str, partition: int, offset: int) -> Envelope:
        return cls(reason, stage, topic, f"{topic}:{partition}:{offset}")

    @classmethod
    def read(cls, headers: Mapping[str, str]) -> Envelope:
        """The envelope of a consumed letter (headers decoded to text); tolerant of older letters."""
        return cls(
            reason=headers.get("reason", ""),
            stage=headers.get("stage", "unknown"),
            source_topic=headers.get("source_topic", ""),
            source=headers.get("source", ""),
        )


def decode_headers(raw: dict[str, HeaderValue] | KafkaHeaders | None) -> dict[str, str]:
    """confluent-kafka's header list (or a mapping) as text, last value per name."""
    pairs = raw.items() if isinstance(raw, dict) else raw or []
    out: dict[str, str] = {}
    for k, v in pairs:
        out[str(k)] = v.decode("utf-8", errors="replace") if isinstance(v, bytes) else str(v or "")
    return out
