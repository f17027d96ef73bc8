"""`hitstream rebuild-rollups`: the command line of `sink.rebuild`."""

from __future__ import annotations

import click

from common import logs


@click.command("rebuild-rollups")
def rebuild_rollups() -> None:
    """Refill sessions and every rollup from `events` (after migration 0008, or to resync them).

    Applies pending migrations first (with embedded chDB, after repairing what a crash left in
    ClickHouse's deduplication logs). Stop the sinks before running it (with embedded chDB the
    sink's lock on the data directory enforces that): an insert that lands during the refill of
    its month would be counted twice. Safe to run again: each month is replaced, not added to.
    """
    from common.clickhouse import connect
    from common.settings import SharedSettings
    from sink import dedup_log, migrate
    from sink.rebuild import rebuild

    logs.setup("INFO", "rebuild")
    shared = SharedSettings()
    dedup_log.repair_embedded(shared.clickhouse_dsn)
    migrate.apply(shared.clickhouse_dsn, shared.clickhouse_database)
    client = connect(shared.clickhouse_dsn, database=shared.clickhouse_database)
    for table, rows in sorted(rebuild(client).items()):
        click.echo(f"{table}\t{rows} rows")
