"""Fixtures shared by the whole suite.

Unit tests (tests/unit) need no infrastructure. Integration tests are marked `kafka` and/or
`clickhouse`; the fixtures that reach infrastructure refuse unmarked tests, so nothing touches a
broker by accident. One Kafka broker serves the whole session (started here unless
KAFKA_BOOTSTRAP_SERVERS points at one); every test gets its own topic, group and database names.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from common.kafka import ensure_topics
from common.local_kafka import LocalKafka
from common.settings import REPO_ROOT, SharedSettings
from tests.support.services import free_port

TEST_STATE = REPO_ROOT / ".hitstream" / "test"
SECRET = base64.b64encode(secrets.token_bytes(32)).decode()


def _require_marker(request: pytest.FixtureRequest, *names: str) -> None:
    marks = {m.name for m in request.node.iter_markers()}
    if not marks.intersection(names):
        pytest.fail(
            f"{request.node.nodeid} uses infrastructure but is not marked {' or '.join(names)}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def _broker() -> Iterator[str]:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        return
    _stop_orphaned_brokers()
    # One folder per pytest process, so concurrent sessions on one machine never share a broker.
    root = TEST_STATE / f"kafka-{os.getpid()}"
    broker = LocalKafka(root, port=free_port(), controller_port=free_port())
    yield broker.start(timeout_s=120)
    broker.stop()
    shutil.rmtree(root, ignore_errors=True)


def _stop_orphaned_brokers() -> None:
    """Brokers of test sessions that died without cleaning up (their pytest pid is gone)."""
    for root in TEST_STATE.glob("kafka-*"):
        owner = int(root.name.split("-", 1)[1]) if root.name.split("-", 1)[1].isdigit() else 0
        try:
            os.kill(owner, 0)
            continue
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        LocalKafka(root).stop(timeout_s=10)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def kafka_bootstrap(request: pytest.FixtureRequest, _broker: str) -> str:
    _require_marker(request, "kafka", "e2e")
    return _broker


@pytest.fixture
def unique() -> str:
    """A name no other test uses: for topics, groups, databases."""
    return f"t{uuid.uuid4().hex[:12]}"


@dataclass
class PipelineEnv:
    """Everything one test's pipeline needs, as environment variables for its services."""

    name: str
    bootstrap: str
    state_dir: Path
    partitions: int = 3
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def topics(self) -> dict[str, str]:
        return {"raw": f"{self.name}.raw", "enriched": f"{self.name}.enriched", "dlq": f"{self.name}.dlq"}

    @property
    def env(self) -> dict[str, str]:
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "CLICKHOUSE_URL": f"chdb://{self.state_dir / 'clickhouse'}",
            "HITSTREAM_CLICKHOUSE_DATABASE": self.name,
            "HITSTREAM_TOPIC_RAW": self.topics["raw"],
            "HITSTREAM_TOPIC_ENRICHED": self.topics["enriched"],
            "HITSTREAM_TOPIC_DLQ": self.topics["dlq"],
            "HITSTREAM_TOPIC_PARTITIONS": str(self.partitions),
            "HITSTREAM_STATE_DIR": str(self.state_dir),
            "HITSTREAM_SECRET_KEY": SECRET,
            "PROCESSOR_APP_ID": f"{self.name}-processors",
            "SINK_GROUP_ID": f"{self.name}-sink",
            **self.extra,
        }

    def shared(self) -> SharedSettings:
        return SharedSettings(**{k: v for k, v in self.env.items()})  # type: ignore[arg-type]


@pytest.fixture
def pipeline_env(kafka_bootstrap: str, unique: str) -> Iterator[PipelineEnv]:
    state = TEST_STATE / unique
    state.mkdir(parents=True)
    env = PipelineEnv(unique, kafka_bootstrap, state)
    ensure_topics(env.shared())
    yield env
    shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="session")
def _chdb_path() -> Iterator[Path]:
    # chDB allows one data directory per process: the whole session shares this one.
    path = TEST_STATE / f"chdb-{os.getpid()}"
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def ch_client(request: pytest.FixtureRequest, _chdb_path: Path, unique: str):  # type: ignore[no-untyped-def]
    """A clickhouse-connect client on a fresh, migrated database of its own (chDB unless CLICKHOUSE_URL)."""
    _require_marker(request, "clickhouse")
    from common.clickhouse import connect
    from sink import migrate

    dsn = os.environ.get("CLICKHOUSE_URL") or f"chdb://{_chdb_path}"
    migrate.apply(dsn, unique)
    client = connect(dsn, database=unique)
    yield client
    client.command(f"DROP DATABASE IF EXISTS `{unique}`")
