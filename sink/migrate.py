"""Versioned ClickHouse migrations: `sink/migrations/NNNN_name.sql`, each applied once, recorded.

The same files run on chDB and on a server. A file holds one or more statements, each ending with
`;` at the end of a line. Applied versions are kept in `schema_migrations` with the file's SHA-256;
a changed file that was already applied is reported, never re-run.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from clickhouse_connect.driver.client import Client

from common.clickhouse import connect, quote_ident

log = logging.getLogger("hitstream.migrate")

MIGRATIONS_DIR = Path(str(resources.files("sink") / "migrations"))


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    def statements(self) -> list[str]:
        out: list[str] = []
        current: list[str] = []
        for line in self.sql.splitlines():
            if line.strip().startswith("--") and not current:
                continue
            current.append(line)
            if line.rstrip().endswith(";"):
                stmt = "\n".join(current).strip().rstrip(";").strip()
                if stmt:
                    out.append(stmt)
                current = []
        tail = "\n".join(current).strip()
        if tail:
            out.append(tail)
        return out


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        version, _, name = path.stem.partition("_")
        found.append(Migration(int(version), name, path.read_text()))
    versions = [m.version for m in found]
    if len(versions) != len(set(versions)):
        raise ValueError(f"duplicate migration versions in {directory}")
    return found


def apply(dsn: str, database: str, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Create the database if needed and apply every pending migration; returns those applied."""
    connect(dsn).command(f"CREATE DATABASE IF NOT EXISTS {quote_ident(database)}")
    client = connect(dsn, database=database)
    return apply_with(client, directory)


def apply_with(client: Client, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    client.command(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version UInt32, name String, checksum String,"
        " applied_at DateTime64(3, 'UTC') DEFAULT now64(3)"
        ") ENGINE = ReplacingMergeTree ORDER BY version"
    )
    result = client.query("SELECT version, checksum FROM schema_migrations FINAL").result_rows
    applied: dict[int, str] = {int(v): str(c) for v, c in result}
    done: list[Migration] = []
    for m in discover(directory):
        if m.version in applied:
            if applied[m.version] != m.checksum:
                log.warning("migration %04d_%s changed after it was applied; not re-run", m.version, m.name)
            continue
        for stmt in m.statements():
            client.command(stmt)
        client.insert(
            "schema_migrations",
            [[m.version, m.name, m.checksum]],
            column_names=["version", "name", "checksum"],
        )
        log.info("applied migration %04d_%s", m.version, m.name)
        done.append(m)
    drop_empty_legacy(client)
    return done


def drop_empty_legacy(client: Client) -> list[str]:
    """Drop the `legacy_*` tables migration 0007 kept if they hold no rows.

    0007 renames the old state-based rollups instead of dropping them, because with a retention
    TTL on `events` they may be the only record of old days. A database that never held data
    (every fresh one) has nothing to keep, and an empty legacy table never fills again."""
    rows = client.query(
        "SELECT name FROM system.tables WHERE database = currentDatabase() "
        "AND startsWith(name, 'legacy_') AND total_rows = 0"
    ).result_rows
    for (name,) in rows:
        client.command(f"DROP TABLE IF EXISTS {quote_ident(name)}")
        log.info("dropped %s (empty)", name)
    return [name for (name,) in rows]


def apply_retention(client: Client, days: int) -> None:
    """Set (or remove) the TTL of raw events from a setting, so migration files stay identical.

    Only a metadata change: existing parts are trimmed by background merges, not rewritten now.
    """
    has_ttl = " TTL " in str(
        client.command(
            "SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'events'"
        )
    )
    if days > 0:
        client.command(
            f"ALTER TABLE events MODIFY TTL toDateTime(event_time) + INTERVAL {int(days)} DAY",
            settings={"materialize_ttl_after_modify": 0},
        )
        log.info("events keep %d days", days)
    elif has_ttl:
        client.command("ALTER TABLE events REMOVE TTL")
        log.info("events kept forever (TTL removed)")
