"""Asks the processors whether a Swetrix hit may be stored (unique repeats, dead heartbeats).

The session state lives in a changelog-backed faust table keyed like the raw topic
(`site|visitor`), see `schemas/swetrix_sessions.py`. Any worker accepts the request and faust routes
it to the worker that owns the key's partition, so every ingest process gets the same answer.
This client keeps one aiohttp connection pool per event loop, waits a bounded time, and tries
the next configured worker when one cannot be reached; when none answers, the hit is refused
with 503 + Retry-After rather than stored without its rule.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

import aiohttp
from pydantic import ValidationError

from ingest.errors import Unavailable
from schemas.swetrix_sessions import SESSION_PATH, SessionTouch, SessionVerdict

log = logging.getLogger("hitstream.ingest")
RETRY_AFTER_S = 5
ROUNDS = 2
POOL_SIZE = 512
ROUND_PAUSE_S = 0.2


class SessionOracle(Protocol):
    async def touch(self, touch: SessionTouch) -> SessionVerdict: ...

    async def close(self) -> None: ...


class ProcessorSessions:
    """`SessionOracle` over the faust workers' web servers."""

    def __init__(self, urls: Sequence[str], *, timeout_s: float) -> None:
        self._urls = [u.rstrip("/") + SESSION_PATH for u in urls]
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._http: aiohttp.ClientSession | None = None
        self._next = 0

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            # aiohttp's default pool (100 connections) would queue verdicts behind each other at
            # the hundreds of concurrent requests one ingest process serves.
            connector = aiohttp.TCPConnector(limit=POOL_SIZE, keepalive_timeout=30)
            self._http = aiohttp.ClientSession(
                timeout=self._timeout, raise_for_status=False, connector=connector
            )
        return self._http

    async def touch(self, touch: SessionTouch) -> SessionVerdict:
        body = touch.model_dump_json().encode()
        start = self._next
        self._next = (self._next + 1) % len(self._urls)
        for attempt in range(ROUNDS):
            if attempt:
                await asyncio.sleep(ROUND_PAUSE_S)  # a rebalance moves partitions within moments
            for i in range(len(self._urls)):
                verdict = await self._ask(self._urls[(start + i) % len(self._urls)], body)
                if verdict is not None:
                    return verdict
        raise Unavailable(
            "The session service is unavailable, please retry later",
            headers=[("retry-after", str(RETRY_AFTER_S))],
        )

    async def _ask(self, url: str, body: bytes) -> SessionVerdict | None:
        try:
            async with self._client().post(
                url, data=body, headers={"content-type": "application/json"}
            ) as resp:
                payload = await resp.read()
                if resp.status != 200:
                    log.warning("session service %s answered %d", url, resp.status)
                    return None
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("session service %s unreachable: %s", url, type(exc).__name__)
            return None
        try:
            return SessionVerdict.model_validate_json(payload)
        except ValidationError:
            log.warning("session service %s sent an answer that is not a SessionVerdict", url)
            return None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
