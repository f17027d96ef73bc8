from __future__ import annotations

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError, ProgrammingError

from sink.errors import DataInsertError, FatalInsertError, TransientInsertError, classify, describe


def _ch(code: int, name: str) -> DatabaseError:
    return DatabaseError(f"Code: {code}. DB::Exception: something went wrong. ({name})")


@pytest.mark.parametrize(
    "code,name", [(252, "TOO_MANY_PARTS"), (159, "TIMEOUT_EXCEEDED"), (210, "NETWORK_ERROR")]
)
def test_busy_or_unreachable_server_is_transient(code: int, name: str) -> None:
    assert isinstance(classify(_ch(code, name)), TransientInsertError)


@pytest.mark.parametrize(
    "code,name", [(469, "VIOLATED_CONSTRAINT"), (53, "TYPE_MISMATCH"), (6, "CANNOT_PARSE_TEXT")]
)
def test_refused_rows_are_data_errors(code: int, name: str) -> None:
    assert isinstance(classify(_ch(code, name)), DataInsertError)


def test_client_side_serialisation_failures_are_data_errors() -> None:
    assert isinstance(classify(OverflowError("int too big")), DataInsertError)


def test_connection_failures_without_a_code_are_transient() -> None:
    assert isinstance(classify(OperationalError("Connection refused")), TransientInsertError)
    assert isinstance(classify(ConnectionRefusedError()), TransientInsertError)


def test_schema_problems_are_fatal() -> None:
    assert isinstance(classify(_ch(60, "UNKNOWN_TABLE")), FatalInsertError)
    assert isinstance(classify(ProgrammingError("bad column count")), FatalInsertError)


def test_reason_names_code_and_error() -> None:
    assert describe(_ch(469, "VIOLATED_CONSTRAINT")).startswith(
        "clickhouse 469 VIOLATED_CONSTRAINT: Code: 469."
    )
