"""Structured JSON logs shared by every service: one object per line, on stderr.

Every record carries `ts`, `level`, `service`, `logger` and `msg` (plus `exc` for tracebacks and
any `extra={...}` fields). As a last line of defence against a careless message, anything shaped
like an IP address or a bearer token is masked before it is written: logs must never hold raw
IPs, tokens or keys. Loopback and unspecified addresses (127.0.0.0/8, 0.0.0.0, ::1, ::) are left
as they are: they are never a visitor's, and the services' own listen addresses read better whole.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from datetime import UTC, datetime
from typing import Any

import orjson

_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
# Full and compressed (`::`) forms, with or without an IPv4 tail; checked with `ipaddress` below.
_IPV6 = re.compile(r"(?<![0-9A-Za-z])(?:[0-9A-Fa-f]{0,4}:){2,}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?")
_TOKEN = re.compile(r"(?i)\b(bearer\s+|sly_)[A-Za-z0-9._~+/=-]+")
_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def _own(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback or unspecified: this machine's, never a visitor's."""
    return address.is_loopback or address.is_unspecified


def _ipv4(m: re.Match[str]) -> str:
    try:
        return m.group() if _own(ipaddress.IPv4Address(m.group())) else "<ip>"
    except ValueError:
        return "<ip>"  # IP-shaped (e.g. an octet over 255): masked all the same


def _ipv6(m: re.Match[str]) -> str:
    try:
        return m.group() if _own(ipaddress.IPv6Address(m.group())) else "<ip>"
    except ValueError:
        # Not an address as written: masked when shaped like one without `::` (as a full address
        # with a port or a zone glued on), kept when it is just colons around words (`a::b::c`).
        return m.group() if "::" in m.group() else "<ip>"


def redact(text: str) -> str:
    text = _TOKEN.sub(lambda m: f"{m.group(1)}***", text)
    text = _IPV6.sub(_ipv6, text)
    return _IPV4.sub(_ipv4, text)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            out["exc"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(out, default=str).decode()


def setup(level: str = "INFO", service: str = "hitstream") -> None:
    """Route every logger (ours, uvicorn's, faust's) through one JSON handler on stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("urllib3", "aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "faust", "mode"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True


def dict_config(level: str, service: str) -> dict[str, object]:
    """The same JSON logging as a `logging.config.dictConfig` mapping, for frameworks that insist
    on configuring logging themselves (faust's worker)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter, "service": service}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {name: {"level": "WARNING"} for name in ("aiokafka", "kafka", "urllib3")},
    }
