"""The one way hitstream reaches ClickHouse: clickhouse-connect, from a URL.

`http(s)://…` is a ClickHouse server; `chdb:///path` is the real ClickHouse engine embedded in
this process through chDB's clickhouse-connect backend. Callers get the same `Client` either way
and never branch on which it is. chDB allows one data directory per process, and one process per
data directory: the sink owns it and serves reads to everyone else (`sink.http_interface`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ClickHouseUnavailable(RuntimeError):
    """ClickHouse could not be reached at the configured URL."""


def quote_ident(name: str) -> str:
    """Database and table names come from settings; refuse anything that is not a plain identifier."""
    if not _IDENT.match(name):
        raise ValueError(f"not a valid ClickHouse identifier: {name!r}")
    return f"`{name}`"


def connect(dsn: str, database: str | None = None, **kwargs: Any) -> Client:
    try:
        if database is not None:
            return clickhouse_connect.get_client(dsn=dsn, database=database, **kwargs)
        return clickhouse_connect.get_client(dsn=dsn, **kwargs)
    except ClickHouseError as exc:
        raise ClickHouseUnavailable(f"cannot reach ClickHouse at {redact(dsn)}: {exc}") from exc


def embedded_path(dsn: str) -> Path | None:
    """The data directory of a `chdb://` URL; None for a server."""
    parts = urlsplit(dsn)
    return Path(parts.netloc + parts.path) if parts.scheme == "chdb" else None


def redact(dsn: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(dsn)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return dsn
