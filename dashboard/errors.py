"""The dashboard's exceptions, one root, so the app maps each kind to a status in one place.

DashboardError          anything the dashboard raises on purpose
├── BadParameter        the client sent a value it may not (400, naming the parameter)
└── QueryFailed         ClickHouse refused or could not answer a query (503: try again)
"""

from __future__ import annotations


class DashboardError(Exception):
    """Root of every error the dashboard raises on purpose."""


class BadParameter(DashboardError):
    """A request parameter that is out of range, unknown or malformed: the client's mistake (400)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


class QueryFailed(DashboardError):
    """ClickHouse could not answer (down, timed out, refused): wrapped where the client is called."""
