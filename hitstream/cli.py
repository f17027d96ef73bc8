"""The `hitstream` command line: run services and the dashboard, manage the local broker, migrate, query."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from common import logs

if TYPE_CHECKING:
    from common.local_kafka import LocalKafka


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hitstream")
def main() -> None:
    """hitstream: five analytics vendors' server-side calls in, one ClickHouse stream out.

    Settings come from environment variables (see docs/configuration.md).
    """


@main.command()
@click.option("--ingest-port", type=int, default=None, help="Override INGEST_PORT (default 8000).")
def up(ingest_port: int | None) -> None:
    """Run the whole pipeline locally, in the foreground.

    Starts the local Kafka broker (unless KAFKA_BOOTSTRAP_SERVERS is set), creates topics, and runs
    ingest, one processor worker, the sink (which applies migrations and, for embedded chDB,
    serves the ClickHouse HTTP interface on 127.0.0.1:8123) and the dashboard (127.0.0.1:8001).
    Ctrl-C stops everything it started.
    """
    from hitstream.runner import run_all

    sys.exit(run_all(ingest_port=ingest_port))


@main.command()
def ingest() -> None:
    """Run the ingest HTTP service (INGEST_HOST:INGEST_PORT, default 127.0.0.1:8000)."""
    from ingest.server.run import run
    from ingest.settings import get_settings

    logs.setup(get_settings().log_level, "ingest")
    run()


@main.command()
def process() -> None:
    """Run one faust processor worker (enrichment, uniques, sessions)."""
    from processors.settings import get_settings
    from processors.worker import run

    logs.setup(get_settings().log_level, "processors")
    run()


@main.command()
def sink() -> None:
    """Run the sink: enriched topic into ClickHouse, with migrations applied at start-up.

    With embedded chDB it first repairs what a kill -9 left in ClickHouse's deduplication logs
    (docs/operations.md)."""
    from sink.service import run
    from sink.settings import get_settings

    logs.setup(get_settings().log_level, "sink")
    run()


@main.command()
def migrate() -> None:
    """Apply pending ClickHouse migrations to CLICKHOUSE_URL (not while a sink owns the same chDB).

    With embedded chDB it first repairs what a crash left in ClickHouse's deduplication logs."""
    from common.settings import SharedSettings
    from sink import dedup_log
    from sink import migrate as m

    logs.setup("INFO", "migrate")
    shared = SharedSettings()
    dedup_log.repair_embedded(shared.clickhouse_dsn)
    applied = m.apply(shared.clickhouse_dsn, shared.clickhouse_database)
    click.echo(
        f"applied {len(applied)} migration(s)" + "".join(f"\n  {x.version:04d}_{x.name}" for x in applied)
    )


@main.command()
@click.argument("sql")
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["table", "csv", "json", "tsv"]), default="table",
    show_default=True, help="Output: a readable table, CSV with a header, JSON lines, or TSV.",
)  # fmt: skip
def query(sql: str, fmt: str) -> None:
    """Run one SQL query against ClickHouse and print the result.

    Reads from CLICKHOUSE_QUERY_URL (default: the local pipeline's http://127.0.0.1:8123, or
    CLICKHOUSE_URL when that is a server), in the hitstream database.

    \b
    An empty result still says so:
      table     the column header, then a line `0 rows`
      csv, tsv  the header line only
      json      nothing on stdout (still valid JSON lines); `0 rows` on stderr
    """
    from hitstream.query import QueryFailed, run_query

    try:
        out = run_query(sql, fmt)
    except QueryFailed as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(out, nl=False)
    if fmt == "json" and not out:
        click.echo("0 rows", err=True)


@main.command()
def openapi() -> None:
    """Print the OpenAPI document of every ingest route (docs/openapi.json is its output)."""
    from ingest.app import IngestApp
    from ingest.openapi import document_bytes
    from ingest.settings import IngestSettings

    click.echo(document_bytes(IngestApp(IngestSettings()).router).decode())


@main.command()
def settings() -> None:
    """Print every setting (environment variable), its default and meaning, as Markdown."""
    from hitstream.config_doc import render

    click.echo(render(), nl=False)


@main.group()
def kafka() -> None:
    """The local single-node Kafka broker (KRaft) on 127.0.0.1:9092."""


def _local() -> LocalKafka:
    from common.local_kafka import LocalKafka
    from common.settings import SharedSettings

    return LocalKafka(SharedSettings().state_dir / "kafka")


@kafka.command("fetch")
def kafka_fetch() -> None:
    """Resolve the broker's jars from Maven Central (once)."""
    from common.local_kafka import LocalKafkaError, fetch

    try:
        click.echo(f"Kafka jars in {fetch(_local().lib_dir)}")
    except LocalKafkaError as exc:
        raise click.ClickException(str(exc)) from exc


@kafka.command("start")
def kafka_start() -> None:
    """Start the broker in the background, or find it running."""
    from common.local_kafka import LocalKafkaError

    broker = _local()
    try:
        click.echo(f"Kafka running on {broker.start()} (logs: {broker.log_file})")
    except LocalKafkaError as exc:
        raise click.ClickException(str(exc)) from exc


@kafka.command("stop")
def kafka_stop() -> None:
    """Stop the broker if it is running."""
    click.echo("Kafka stopped" if _local().stop() else "Kafka was not running")


@kafka.command("status")
def kafka_status() -> None:
    """Say whether the broker is running (exit status 1 when it is not)."""
    broker = _local()
    pid = broker.pid()
    click.echo(f"Kafka running on {broker.bootstrap} (pid {pid})" if pid else "Kafka is not running")
    sys.exit(0 if pid else 1)


from ingest.sites_cli import sites as _sites  # noqa: E402  (the `hitstream sites …` group)

main.add_command(_sites)

from hitstream.dlq_cli import dlq as _dlq  # noqa: E402

main.add_command(_dlq)

from sink.rebuild_cli import rebuild_rollups as _rebuild_rollups  # noqa: E402

main.add_command(_rebuild_rollups)

from dashboard.cli import dashboard as _dashboard  # noqa: E402  (the `hitstream dashboard …` group)

main.add_command(_dashboard)

if __name__ == "__main__":
    main()
