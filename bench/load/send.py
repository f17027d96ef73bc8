"""Sending hits at a fixed rate over keep-alive connections, recording every answer.

Open loop: request i is due at start + i/rate whether or not earlier ones have returned, so a
slow server shows up as latency and backlog, not as a politely lower rate. Only loopback targets.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from bench.load.model import Hit


@dataclass(frozen=True)
class Answer:
    hit: Hit
    status: int  # 0: no answer (connection failed or timed out)
    latency_s: float
    sent_at: float


def assert_loopback(base_url: str) -> None:
    host = urlsplit(base_url).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        raise SystemExit(f"refusing to send load to {host}: loopback targets only")


async def send_all(
    base_url: str, next_hit: Callable[[], Hit], rate: float, duration_s: float, *, max_in_flight: int = 512
) -> list[Answer]:
    assert_loopback(base_url)
    answers: list[Answer] = []
    total = int(rate * duration_s)
    gate = asyncio.Semaphore(max_in_flight)
    connector = aiohttp.TCPConnector(limit=max_in_flight, ttl_dns_cache=None)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as session:

        async def one(hit: Hit) -> None:
            async with gate:
                t0 = time.monotonic()
                try:
                    async with session.post(
                        hit.path, data=hit.body, headers={"content-type": "application/json", **hit.headers}
                    ) as r:
                        await r.read()
                        status = r.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                answers.append(Answer(hit, status, time.monotonic() - t0, t0))

        start = time.monotonic()
        tasks: set[asyncio.Task[None]] = set()
        for i in range(total):
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(next_hit()))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks)
    return answers
