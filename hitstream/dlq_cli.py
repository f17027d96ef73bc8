"""`hitstream dlq show|count|replay`: look into the dead-letter topic and replay it after a fix.

The DLQ is a log, never edited: `replay` republishes the selected letters to the topic they came
from (the envelope's `source_topic`, `schemas.dead_letter`; older letters without it go to the
input of their stage) and leaves them in place. Replaying the sink's letters is safe to repeat:
every event keeps its `event_id`, and the sink lands each event once. Reading uses a throw-away
consumer that commits nothing.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import click
from confluent_kafka import OFFSET_BEGINNING, KafkaException, TopicPartition

from common import kafka
from common.settings import SharedSettings
from schemas.dead_letter import REPLAYED_FROM, Envelope, decode_headers


@dataclass(frozen=True)
class Letter:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, str]

    @property
    def envelope(self) -> Envelope:
        return Envelope.read(self.headers)

    def target(self, shared: SharedSettings) -> str:
        """Where a replay sends it: its recorded source topic, else the input of its stage."""
        if self.envelope.source_topic:
            return self.envelope.source_topic
        return shared.topic_enriched if self.envelope.stage == "sink" else shared.topic_raw


def _require_kafka(shared: SharedSettings) -> None:
    """One clear line instead of a client retrying a dead broker for the whole timeout."""
    if not kafka.reachable(shared):
        hint = " Is the pipeline running (`./run up`)?" if shared.uses_local_kafka else ""
        raise click.ClickException(f"Kafka at {shared.bootstrap_servers} does not answer.{hint}")


def read_letters(shared: SharedSettings, timeout_s: float = 10.0) -> Iterator[Letter]:
    """Every message in the DLQ topic, from the beginning to the end as of now."""
    _require_kafka(shared)
    consumer = kafka.consumer(
        shared, "hitstream-dlq-cli", f"hitstream-dlq-cli-{uuid.uuid4().hex}", **{"enable.partition.eof": True}
    )
    topic = shared.topic_dlq
    try:
        meta = consumer.list_topics(topic, timeout=timeout_s).topics.get(topic)
        if meta is None or meta.error is not None:
            return
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout_s)[1]
                for p in meta.partitions}  # fmt: skip
        pending = {p for p, end in ends.items() if end > 0}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in pending])
        while pending:
            msg = consumer.poll(timeout_s)
            if msg is None:
                raise click.ClickException(f"timed out reading {topic}")
            p = msg.partition() or 0
            if msg.error() is None:
                yield Letter(p, msg.offset() or 0, msg.key(), msg.value(), decode_headers(msg.headers()))
            if msg.error() is not None or (msg.offset() or 0) + 1 >= ends[p]:
                pending.discard(p)
    except KafkaException as exc:
        raise click.ClickException(f"cannot read the DLQ: {exc}") from exc
    finally:
        consumer.close()


def _selected(shared: SharedSettings, stage: str | None, contains: str | None) -> Iterator[Letter]:
    for letter in read_letters(shared):
        env = letter.envelope
        if (stage is None or env.stage == stage) and (contains is None or contains in env.reason):
            yield letter


_stage = click.option(
    "--stage", type=click.Choice(["sink", "processors"]), help="Only letters from this stage."
)
_contains = click.option(
    "--reason-contains", "contains", help="Only letters whose reason contains this text."
)


@click.group()
def dlq() -> None:
    """Inspect the dead-letter topic (HITSTREAM_TOPIC_DLQ) and replay it after a fix."""


@dlq.command()
@_stage
@_contains
def count(stage: str | None, contains: str | None) -> None:
    """Count dead letters by stage and reason."""
    counts = Counter(
        (le.envelope.stage, le.envelope.reason) for le in _selected(SharedSettings(), stage, contains)
    )
    for (st, reason), n in counts.most_common():
        click.echo(f"{n}\t{st}\t{reason}")
    click.echo(f"{sum(counts.values())}\ttotal")


@dlq.command()
@_stage
@_contains
@click.option("--limit", default=20, show_default=True, help="Show at most this many letters.")
def show(stage: str | None, contains: str | None, limit: int) -> None:
    """Print dead letters as JSON lines: where they came from, why, and the message."""
    for i, le in enumerate(_selected(SharedSettings(), stage, contains)):
        if i >= limit:
            break
        value = (le.value or b"").decode("utf-8", errors="replace")
        click.echo(
            json.dumps({"dlq_offset": f"{le.partition}:{le.offset}", **le.headers, "value": value[:2000]})
        )


@dlq.command()
@_stage
@_contains
@click.option("--dry-run", is_flag=True, help="Only say what would be replayed.")
def replay(stage: str | None, contains: str | None, dry_run: bool) -> None:
    """Republish dead letters to their source topic (after fixing what refused them)."""
    shared = SharedSettings()
    producer = kafka.producer(shared, "hitstream-dlq-cli")
    sent: Counter[str] = Counter()
    for le in _selected(shared, stage, contains):
        sent[le.target(shared)] += 1
        if not dry_run:
            producer.produce(
                le.target(shared),
                key=le.key,
                value=le.value,
                headers=[(REPLAYED_FROM, f"{le.partition}:{le.offset}".encode())],
            )
            producer.poll(0)
    if producer.flush(30) > 0:
        raise click.ClickException("some replayed messages were not acknowledged; run replay again")
    verb = "would replay" if dry_run else "replayed"
    for topic, n in sorted(sent.items()):
        click.echo(f"{verb} {n} to {topic}")
    if not sent:
        click.echo("nothing to replay")
