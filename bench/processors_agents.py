"""The two baselines of the processor benchmark, each a faust worker on the same topics:

- `passthrough`: forwards raw bytes through the worker's own batched machinery (the topic queue
  drained in batches, one confluent producer, acks after the batch is acknowledged), with no
  rules and no state: the floor of the hot path's framework cost.
- `per-event`: the previous design of the hot path, rebuilt from today's rules: faust's stream
  one message at a time (`stream.events()`), the same pure `batch.process` on a batch of one,
  each output sent with `Topic.send` and each state written through the faust table API (a
  changelog record through faust's producer buffer and a RocksDB put per write).

    python -m bench.processors_agents {passthrough|per-event}   (settings from the environment)
"""

from __future__ import annotations

import sys
from typing import Any

import faust
import orjson
from faust.worker import Worker

from processors import batch, faust_internals
from processors.app import build
from processors.batch import RawMessage, Rules
from processors.output import Output, Record
from processors.settings import get_settings
from processors.state import KeyState


def passthrough() -> faust.App:
    faust_internals.install()
    settings = get_settings()
    shared = settings.shared
    app = faust.App(settings.app_id, broker=f"kafka://{shared.bootstrap_servers}", store="rocksdb://",
                    datadir=str(settings.state_path), web_port=settings.web_port, web_host="127.0.0.1",
                    web_bind="127.0.0.1", producer_acks=-1, autodiscover=False)  # fmt: skip
    src = app.topic(
        shared.topic_raw, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )
    output = Output(shared, "bench-passthrough")

    async def forward(stream: faust.StreamT[Any]) -> None:
        channel = faust_internals.subscribe(stream)
        faust_internals.fast_drain(app, lambda: (channel.queue,))
        while True:
            events = await faust_internals.take(
                channel, app, settings.batch_events, settings.batch_wait_ms / 1000
            )
            await output.send([Record(shared.topic_enriched, e.key, e.value) for e in events])
            for e in events:
                e.ack()

    app.agent(src, name="forward")(forward)
    return app


def per_event() -> faust.App:
    processors = build(get_settings())
    app, hot, table = processors.app, processors.hot_path, processors.sessions_table
    # The per-event agent replaces the batched one on the same topic.
    app.agents.pop(next(iter(app.agents)))
    shared = get_settings().shared
    src = app.topic(
        shared.topic_raw, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )
    dst = app.topic(shared.topic_enriched, key_type=bytes, value_type=bytes, key_serializer="raw",
                    value_serializer="raw")  # fmt: skip

    async def enrich(stream: faust.StreamT[Any]) -> None:
        async for event in stream.events():
            message = event.message
            raw = RawMessage(event.key, event.value, message.partition, message.offset)
            decoded = batch.decode([raw])
            salts = {day: await hot._salt(day) for day in batch.salt_days(decoded)}
            key = event.key or b""
            before = table.get(key)
            states = {(message.partition, key): KeyState.from_json(before) if before is not None else None}
            result = batch.process(decoded, states, Rules(hot.enricher, hot.limits, salts))
            for out in result.outputs:
                await dst.send(key=out.key, value=out.value)
            for (_, k), state in result.changes.items():
                table[k] = orjson.loads(orjson.dumps(state.to_json()))

    app.agent(src, name="enrich-per-event")(enrich)
    return app


def main() -> None:
    mode = sys.argv[1]
    get_settings().state_path.mkdir(parents=True, exist_ok=True)
    app = passthrough() if mode == "passthrough" else per_event()
    sys.argv = [sys.argv[0]]
    Worker(app, loglevel="warning").execute_from_commandline()


if __name__ == "__main__":
    main()
