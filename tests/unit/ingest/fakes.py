"""In-memory stand-ins for Kafka and the processors' session service, plus a demo sites file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from common.crypto import IpCipher, RoutingHasher
from ingest.errors import Unavailable
from ingest.pipeline import EventPipeline
from ingest.ratelimit import RateLimiter
from ingest.routing import Services
from ingest.sites import SiteRegistry, hash_token
from schemas.events import CanonicalEvent
from schemas.swetrix_sessions import SessionTouch, SessionVerdict

SECRET = b"0" * 32
SUPALYTICS_KEY = "sly_test_0123456789abcdef"
HITKEEP_TOKEN = "hk_test_0123456789abcdef"
HITKEEP_READONLY = "hk_readonly_0123456789abcdef"
OTHER_SITE_TOKEN = "hk_other_0123456789abcdef"

SITES = {
    "sites": [
        {
            "id": "example",
            "domains": ["example.com"],
            "active": True,
            "swetrix_pid": "YOUR_PROJECT_ID",
            "zta_site_id": "site_abc123",
            "tokens": [
                {"id": "sly1", "kind": "supalytics", "sha256": hash_token(SUPALYTICS_KEY)},
                {
                    "id": "hk1",
                    "kind": "hitkeep",
                    "sha256": hash_token(HITKEEP_TOKEN),
                    "permissions": ["site.manage_data"],
                },
                {"id": "hk2", "kind": "hitkeep", "sha256": hash_token(HITKEEP_READONLY), "permissions": []},
            ],
        },
        {
            "id": "other",
            "domains": ["other.org"],
            "active": True,
            "tokens": [
                {
                    "id": "hk3",
                    "kind": "hitkeep",
                    "sha256": hash_token(OTHER_SITE_TOKEN),
                    "permissions": ["site.manage_data"],
                }
            ],
        },
        {
            "id": "off",
            "domains": ["disabled.example"],
            "active": False,
            "swetrix_pid": "DISABLED_PID",
            "zta_site_id": "site_off",
        },
    ]
}


@dataclass
class FakePublisher:
    sent: list[tuple[bytes, bytes]] = field(default_factory=list)
    down: bool = False
    capacity: int | None = None  # Kafka takes this many events, then is down

    async def publish(self, key: bytes, value: bytes) -> None:
        if self.down or (self.capacity is not None and len(self.sent) >= self.capacity):
            raise Unavailable("Kafka did not acknowledge the event in time", headers=[("retry-after", "5")])
        self.sent.append((key, value))

    @property
    def events(self) -> list[CanonicalEvent]:
        return [CanonicalEvent.model_validate_json(v) for _k, v in self.sent]


@dataclass
class FakeSessions:
    """Accepts everything unless told which touches to refuse; `down` simulates no worker."""

    touches: list[SessionTouch] = field(default_factory=list)
    refuse: bool = False
    down: bool = False

    async def touch(self, touch: SessionTouch) -> SessionVerdict:
        if self.down:
            raise Unavailable("The session service is unavailable", headers=[("retry-after", "5")])
        self.touches.append(touch)
        return SessionVerdict(accept=not self.refuse, reason="not unique" if self.refuse else None)

    async def close(self) -> None:
        return None


def make_services(tmp: Path, publisher: FakePublisher, sessions: FakeSessions, rate: int = 100) -> Services:
    path = tmp / "sites.json"
    path.write_text(json.dumps(SITES))
    return Services(
        pipeline=EventPipeline(
            publisher, IpCipher.from_secret(SECRET), RoutingHasher.from_secret(SECRET), sessions
        ),
        sites=SiteRegistry(path),
        trusted_proxies=(),
        supalytics_limits=RateLimiter(rate),
        hitkeep_limits=RateLimiter(rate),
    )


def body_json(raw: bytes) -> object:
    return orjson.loads(raw) if raw else None
