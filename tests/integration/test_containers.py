"""The deployments CI's embedded chDB and local broker stand in for: a ClickHouse server over HTTP
(`CLICKHOUSE_URL=http://…`) and an external Kafka (`KAFKA_BOOTSTRAP_SERVERS`), each in a container
started by testcontainers. They need a Docker daemon; where none answers (as on the project's CI
machines) they are skipped, saying so. Same DDL, same code: nothing branches on which it is.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import clickhouse_connect
import pytest

from common.kafka import ensure_topics
from sink import migrate
from tests.conftest import TEST_STATE, PipelineEnv
from tests.integration.pipeline import running_pipeline
from tests.support.services import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.clickhouse]
CLICKHOUSE_IMAGE = "clickhouse/clickhouse-server:25.8"
KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.0"


def _docker_unavailable() -> str | None:
    try:
        import docker

        docker.from_env().ping()
    except Exception as exc:  # no daemon, no socket, no permission: all mean "cannot run here"
        return f"no Docker daemon answers ({type(exc).__name__}); testcontainers needs one"
    return None


@pytest.fixture(scope="module")
def clickhouse_server() -> Iterator[str]:
    reason = _docker_unavailable()
    if reason:
        pytest.skip(reason)
    from testcontainers.community.clickhouse import ClickHouseContainer

    with ClickHouseContainer(CLICKHOUSE_IMAGE, username="hitstream", password="hitstream") as ch:
        host, port = ch.get_container_host_ip(), ch.get_exposed_port(8123)
        yield f"http://hitstream:hitstream@{host}:{port}"


@pytest.fixture(scope="module")
def external_kafka() -> Iterator[str]:
    reason = _docker_unavailable()
    if reason:
        pytest.skip(reason)
    from testcontainers.community.kafka import KafkaContainer

    with KafkaContainer(KAFKA_IMAGE).with_kraft() as kafka:
        yield kafka.get_bootstrap_server()


def test_migrations_are_the_same_on_a_clickhouse_server(clickhouse_server: str) -> None:
    database = f"t{uuid.uuid4().hex[:10]}"
    applied = migrate.apply(clickhouse_server, database)
    assert applied and not migrate.apply(clickhouse_server, database)  # once, then nothing pending
    client = clickhouse_connect.get_client(dsn=clickhouse_server, database=database)
    tables = {r[0] for r in client.query("SHOW TABLES").result_rows}
    assert "events" in tables and "schema_migrations" in tables


def test_the_pipeline_on_external_kafka_and_a_clickhouse_server(
    external_kafka: str, clickhouse_server: str
) -> None:
    name = f"t{uuid.uuid4().hex[:12]}"
    state = TEST_STATE / name
    state.mkdir(parents=True)
    env = PipelineEnv(name, external_kafka, state)
    ensure_topics(env.shared())
    try:
        with running_pipeline(env, clickhouse_server=clickhouse_server) as p:
            status, _ = p.post(
                "/log",
                {"pid": "YOUR_PROJECT_ID", "lc": "en-US", "pg": "/containers"},
                {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
                 "X-Client-IP-Address": "192.0.2.1"},
            )  # fmt: skip
            assert status == 201
            client = clickhouse_connect.get_client(dsn=clickhouse_server, database=name)

            def stored() -> list[Any]:
                return client.query("SELECT page_path FROM events").result_rows

            assert wait_for(stored, 90, "the event in the ClickHouse server") == [("/containers",)]
    finally:
        shutil.rmtree(state, ignore_errors=True)
