"""The session client against local aiohttp servers standing in for faust workers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from aiohttp import web

from ingest.errors import Unavailable
from ingest.swetrix_sessions import ProcessorSessions
from schemas.swetrix_sessions import SESSION_PATH, SessionTouch
from tests.support.services import free_port

TOUCH = SessionTouch(key="example|v1", kind="heartbeat", at=datetime(2026, 1, 1, tzinfo=UTC))
SEEN = web.AppKey("seen", list[bytes])


async def _worker(status: int, body: bytes) -> tuple[web.AppRunner, str]:
    seen: list[bytes] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(await request.read())
        return web.Response(status=status, body=body, content_type="application/json")

    app = web.Application()
    app.router.add_post(SESSION_PATH, handle)
    app[SEEN] = seen
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


def test_verdict_from_the_first_worker_that_answers() -> None:
    async def scenario() -> None:
        broken, broken_url = await _worker(503, b'{"error": "rebalancing"}')
        good, good_url = await _worker(200, b'{"accept": false, "reason": "no live session"}')
        dead_url = f"http://127.0.0.1:{free_port()}"
        client = ProcessorSessions([dead_url, broken_url, good_url], timeout_s=2)
        try:
            verdict = await client.touch(TOUCH)
            assert (verdict.accept, verdict.reason) == (False, "no live session")
            assert SessionTouch.model_validate_json(good.app[SEEN][0]) == TOUCH
        finally:
            await client.close()
            await broken.cleanup()
            await good.cleanup()

    asyncio.run(scenario())


def test_no_worker_answering_is_unavailable_with_retry_after() -> None:
    async def scenario() -> None:
        garbage, garbage_url = await _worker(200, b"not a verdict")
        client = ProcessorSessions([f"http://127.0.0.1:{free_port()}", garbage_url], timeout_s=1)
        try:
            with pytest.raises(Unavailable) as info:
                await client.touch(TOUCH)
            assert ("retry-after", "5") in info.value.headers
        finally:
            await client.close()
            await garbage.cleanup()

    asyncio.run(scenario())
