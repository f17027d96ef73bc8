"""Processor workers as real `hitstream process` subprocesses, each with its own port and state."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from tests.conftest import PipelineEnv
from tests.support.services import Service, free_port


class Worker:
    def __init__(self, env: PipelineEnv, name: str, **extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        data_dir = env.state_dir / f"faust-{name}"
        full = {**env.env, "PROCESSOR_WEB_PORT": str(self.port), "PROCESSOR_DATA_DIR": str(data_dir), **extra}
        self.service = Service("process", full, env.state_dir)

    def start(self) -> Worker:
        self.service.start()
        return self

    def stop(self) -> None:
        self.service.stop()

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        req = urllib.request.Request(
            f"{self.url}{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def get(self, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(f"{self.url}{path}", timeout=10) as r:
                body = r.read()
                return r.status, json.loads(body) if body.startswith((b"{", b"[")) else body.decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def ready(self, probe: dict[str, Any]) -> bool:
        """The worker answers the Swetrix endpoint; a crashed worker fails the wait at once."""
        if not self.service.alive():
            raise AssertionError(f"worker exited:\n{self.service.output()[-3000:]}")
        try:
            return self.post("/swetrix/session/", probe)[0] == 200
        except OSError:
            return False


def read_topic(
    bootstrap: str, topic: str, until: int, timeout_s: float = 90.0
) -> list[tuple[bytes | None, bytes, dict[str, bytes]]]:
    """Read a topic from the start until `until` messages arrived (or the timeout)."""
    import time
    import uuid

    from confluent_kafka import Consumer

    c = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"read-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    c.subscribe([topic])
    out: list[tuple[bytes | None, bytes, dict[str, bytes]]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(out) < until and time.monotonic() < deadline:
            msg = c.poll(0.5)
            if msg is None or msg.error():
                continue
            out.append((msg.key(), msg.value() or b"", {k: v or b"" for k, v in (msg.headers() or [])}))
    finally:
        c.close()
    return out
