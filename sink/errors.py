"""The sink's exception tree and the classification of ClickHouse insert errors.

    SinkError                 root of everything the sink raises on purpose
    ├── TransientError        worth retrying: pause, back off, retry; no loss
    │   ├── TransientInsertError  ClickHouse busy or unreachable
    │   └── PlanNotRecorded       Kafka did not take the planned batch (sink.plan); nothing inserted
    ├── DataInsertError       the rows themselves were refused: find them, DLQ them, land the rest
    ├── FatalInsertError      schema or configuration problem: retrying cannot help, stop
    └── DeadLetterSpike       too many rows dead-lettered in a window: stop instead of draining

ClickHouse errors carry a numeric code (`Code: 252. DB::Exception: ...`); classification is by
code, never by message text. Failures to serialise a row on the client (a value that does not
fit its column type) are data errors too.
"""

from __future__ import annotations

import re
import struct

from clickhouse_connect.driver.exceptions import ClickHouseError, OperationalError, ProgrammingError

_CODE = re.compile(r"Code: (\d+)")
_NAME = re.compile(r"\(([A-Z_]+)\)")

# Server busy, overloaded or unreachable: the same insert will succeed later.
TRANSIENT_CODES = frozenset({
    3,    # UNEXPECTED_END_OF_FILE
    159,  # TIMEOUT_EXCEEDED
    164,  # READONLY (replica temporarily read-only)
    202,  # TOO_MANY_SIMULTANEOUS_QUERIES
    203,  # NO_FREE_CONNECTION
    209,  # SOCKET_TIMEOUT
    210,  # NETWORK_ERROR
    236,  # ABORTED
    241,  # MEMORY_LIMIT_EXCEEDED
    242,  # TABLE_IS_READ_ONLY
    252,  # TOO_MANY_PARTS
    285,  # TOO_FEW_LIVE_REPLICAS
    319,  # UNKNOWN_STATUS_OF_INSERT
    394,  # QUERY_WAS_CANCELLED
    425,  # SYSTEM_ERROR
    439,  # CANNOT_SCHEDULE_TASK
    999,  # KEEPER_EXCEPTION
})  # fmt: skip

# The rows are wrong: the same rows will be refused again, whatever the server's state.
DATA_CODES = frozenset({
    6,    # CANNOT_PARSE_TEXT
    27,   # CANNOT_PARSE_INPUT_ASSERTION_FAILED
    41,   # CANNOT_PARSE_DATETIME
    53,   # TYPE_MISMATCH
    69,   # ARGUMENT_OUT_OF_BOUND
    70,   # CANNOT_CONVERT_TYPE
    117,  # INCORRECT_DATA
    131,  # TOO_LARGE_STRING_SIZE
    321,  # VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
    407,  # DECIMAL_OVERFLOW
    469,  # VIOLATED_CONSTRAINT
})  # fmt: skip


class SinkError(RuntimeError):
    """Root of the sink's own exceptions."""


class TransientError(SinkError):
    """Something the sink waits out: it pauses consumption, backs off and tries again."""


class TransientInsertError(TransientError):
    """ClickHouse could not take the insert now; it will later."""


class PlanNotRecorded(TransientError):
    """Kafka did not accept the commit that records a planned batch; it must not be inserted yet."""


class DataInsertError(SinkError):
    """ClickHouse (or the client serialising for it) refused the rows themselves."""


class FatalInsertError(SinkError):
    """An insert error no retry and no DLQ can fix (unknown table, missing column, ...)."""


class DeadLetterSpike(SinkError):
    """Too many rows went to the DLQ in a short window; the sink stops to let a human look."""


def error_code(exc: BaseException) -> int | None:
    m = _CODE.search(str(exc))
    return int(m.group(1)) if m else None


def describe(exc: BaseException) -> str:
    """A short reason for a DLQ header: `code NAME: first line of the message`."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    code, name = error_code(exc), _NAME.search(str(exc))
    prefix = f"clickhouse {code} {name.group(1)}" if code is not None and name else type(exc).__name__
    return f"{prefix}: {text[:300]}"


def classify(exc: BaseException) -> SinkError:
    """Wrap an exception raised by an insert into the matching SinkError."""
    if isinstance(exc, SinkError):
        return exc
    if isinstance(exc, ProgrammingError):
        return FatalInsertError(describe(exc))
    if isinstance(exc, (TypeError, ValueError, OverflowError, struct.error, UnicodeError)):
        return DataInsertError(describe(exc))
    code = error_code(exc)
    if code in DATA_CODES:
        return DataInsertError(describe(exc))
    if code in TRANSIENT_CODES or isinstance(exc, (OperationalError, OSError, TimeoutError)):
        return TransientInsertError(describe(exc))
    if isinstance(exc, ClickHouseError) and code is None:
        return TransientInsertError(describe(exc))  # no server answer at all: connection trouble
    return FatalInsertError(describe(exc))
