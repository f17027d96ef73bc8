from __future__ import annotations

import logging

import orjson

from common.logs import JsonFormatter, redact


def test_ips_and_tokens_are_masked() -> None:
    text = redact("from 192.0.2.1 and 2001:db8:0:0:0:0:0:1 with Bearer abc.def and key sly_XYZ123")
    assert "192.0.2.1" not in text and "2001:db8" not in text
    assert "abc.def" not in text and "XYZ123" not in text


def test_records_are_single_line_json_with_service_and_extras() -> None:
    record = logging.makeLogRecord(
        {"name": "hitstream.sink", "levelname": "INFO", "msg": "stored %d rows", "args": (3,), "topic": "t"}
    )
    line = JsonFormatter("sink").format(record)
    data = orjson.loads(line)
    assert "\n" not in line
    assert data["service"] == "sink" and data["msg"] == "stored 3 rows" and data["topic"] == "t"
