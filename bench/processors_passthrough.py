"""The baseline for the processor benchmark: a faust agent that forwards raw bytes unchanged.

Same faust, aiokafka, topics and stream API as the real worker, no enrichment and no state, so
the difference between the two rates is what enrichment and state cost.

    python -m bench.processors_passthrough BOOTSTRAP IN_TOPIC OUT_TOPIC APP_ID DATA_DIR WEB_PORT
"""

from __future__ import annotations

import sys

import faust
from faust.worker import Worker

from processors import faust_internals


def build(bootstrap: str, source: str, sink: str, app_id: str, data_dir: str, port: int) -> faust.App:
    faust_internals.install()  # the faust the worker runs (patched, Python stream iterator)
    app = faust.App(app_id, broker=f"kafka://{bootstrap}", store="rocksdb://", datadir=data_dir,
                    web_port=port, web_host="127.0.0.1", producer_acks=-1, autodiscover=False)
    src = app.topic(source, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
    dst = app.topic(sink, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")

    @app.agent(src)
    async def forward(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            await dst.send(key=event.key, value=event.value)

    return app


def main() -> None:
    bootstrap, source, sink, app_id, data_dir, port = sys.argv[1:7]
    app = build(bootstrap, source, sink, app_id, data_dir, int(port))
    sys.argv = [sys.argv[0]]
    Worker(app, loglevel="warning").execute_from_commandline()


if __name__ == "__main__":
    main()
