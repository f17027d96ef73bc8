"""The ClickHouse HTTP interface, served by the process that owns an embedded chDB.

chDB allows one process per data directory, and the sink is that process. So that analysts can
query while the pipeline runs, the sink answers the ClickHouse HTTP interface on 127.0.0.1:8123:
`GET/POST /?query=…` (query in the URL or the body), `database`, `default_format`, settings as
URL parameters, query parameters as `param_<name>` (bound to `{name:Type}` placeholders, as a server
does), and `/ping`. `hitstream query`, `curl` and clickhouse-connect then work exactly as
against a server. Queries run through the sink's own clickhouse-connect client (`raw_query`),
serialised with the sink's inserts by one lock; by default in readonly mode (`readonly=2`: reads
and setting changes only).
"""

from __future__ import annotations

import logging
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

log = logging.getLogger("hitstream.sink.http")

# Parameters of the HTTP protocol itself; `param_<name>` is a query parameter; every other URL
# parameter is a ClickHouse setting.
_PROTOCOL_PARAMS = {
    "query", "database", "default_format", "query_id", "session_id", "session_timeout",
    "session_check", "user", "password", "quota_key", "compress", "decompress", "buffer_size",
    "wait_end_of_query", "enable_http_compression", "http_zlib_compression_level",
}  # fmt: skip
_FORMAT_AT_END = re.compile(r"\bFORMAT\s+\w+\s*;?\s*$", re.IGNORECASE)
_RESULT_STATEMENT = re.compile(r"^\s*(\(|SELECT|WITH|SHOW|DESC|DESCRIBE|EXISTS|EXPLAIN)\b", re.IGNORECASE)
_CODE = re.compile(r"Code: (\d+)")
_STATUS_BY_CODE = {62: 400, 47: 400, 46: 400, 60: 404, 81: 404, 164: 403, 497: 403}
_PARAM_PREFIX = "param_"
_PLACEHOLDER = re.compile(r"\{\s*[A-Za-z_$0-9]+\s*:[^{}]+\}")


class WireValue:
    """A bound value exactly as the client sent it, in ClickHouse's escaped text form.

    clickhouse-connect formats every bound value into that form (`format_bind_value`: a
    top-level string with a backslash before each special character, an array as a literal
    whose strings are quoted), and hands anything it does not know as `str(value)`. So wrapping
    the text the client sent makes `raw_query` pass it to the engine unchanged, for every type:
    unescaping it and binding the plain string would be right for `String` but would re-escape
    an `Array(String)` literal as if it were one string.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"WireValue({self.text!r})"


def query_parameters(query: str, params: dict[str, str]) -> dict[str, WireValue]:
    """The `param_<name>` URL parameters, as the values of the query's `{name:Type}` placeholders.

    A query without a placeholder takes none (a server ignores them too; clickhouse-connect would
    otherwise substitute them client-side, `%`-style).
    """
    if not _PLACEHOLDER.search(query):
        return {}
    return {
        k[len(_PARAM_PREFIX) :]: WireValue(v)
        for k, v in params.items()
        if k.startswith(_PARAM_PREFIX) and len(k) > len(_PARAM_PREFIX)
    }


class QueryGateway:
    """Runs one HTTP-interface query on the shared client, under the shared lock."""

    def __init__(self, client: Client, lock: threading.Lock, *, readonly: bool) -> None:
        self._client = client
        self._lock = lock
        self._readonly = readonly

    def execute(self, query: str, params: dict[str, str]) -> tuple[int, bytes, str]:
        settings: dict[str, Any] = {
            k: v for k, v in params.items() if k not in _PROTOCOL_PARAMS and not k.startswith(_PARAM_PREFIX)
        }
        bound = query_parameters(query, params)
        if self._readonly:
            settings["readonly"] = 2
        fmt: str | None = None
        if _RESULT_STATEMENT.match(query) and not _FORMAT_AT_END.search(query):
            fmt = params.get("default_format", "TabSeparated")
        database = params.get("database")
        with self._lock:
            previous = self._client.database
            try:
                if database:
                    self._client.database = database
                body = self._client.raw_query(
                    query.strip().rstrip(";"), parameters=bound or None, settings=settings, fmt=fmt
                )
            except ClickHouseError as exc:
                text = str(exc)
                m = _CODE.search(text)
                code = int(m.group(1)) if m else 0
                return _STATUS_BY_CODE.get(code, 500), (text.strip() + "\n").encode(), str(code)
            finally:
                self._client.database = previous
        return 200, body, ""


def _handler(gateway: QueryGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "hitstream-chdb"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s " + format, self.address_string(), *args)

        def _reply(self, status: int, body: bytes, code: str = "") -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            if code:
                self.send_header("X-ClickHouse-Exception-Code", code)
            self.end_headers()
            self.wfile.write(body)

        def _serve(self, body: bytes) -> None:
            url = urlsplit(self.path)
            if url.path in ("/ping", "/replicas_status"):
                self._reply(200, b"Ok.\n")
                return
            if url.path not in ("/", ""):
                self._reply(404, b"There is no handle " + url.path.encode() + b"\n")
                return
            params = dict(parse_qsl(url.query, keep_blank_values=True))
            query = params.get("query", "")
            if body:
                query = (
                    f"{query}\n{body.decode('utf-8', errors='replace')}"
                    if query
                    else body.decode("utf-8", errors="replace")
                )
            if not query.strip():
                self._reply(200, b"Ok.\n")
                return
            status, payload, code = gateway.execute(query, params)
            self._reply(status, payload, code)

        def do_GET(self) -> None:
            self._serve(b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._serve(self.rfile.read(length) if length else b"")

    return Handler


class HttpInterface:
    def __init__(self, gateway: QueryGateway, host: str, port: int) -> None:
        self._server = ThreadingHTTPServer((host, port), _handler(gateway))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="ch-http", daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
