from __future__ import annotations

import logging

import orjson
import pytest

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


def test_the_sinks_own_address_is_not_masked() -> None:
    line = "ClickHouse HTTP interface on http://127.0.0.1:8123"
    assert redact(line) == line


@pytest.mark.parametrize(
    "text",
    ["127.0.0.1:9092", "127.1.2.3", "0.0.0.0:8000", "http://[::1]:8123", "bound to :: port 8000", "::1"],
)
def test_loopback_and_unspecified_addresses_are_kept(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("from 10.0.0.1:9092", "10.0.0.1"),
        ("visitor 198.51.100.7", "198.51.100.7"),
        ("visitor 128.0.0.1", "128.0.0.1"),
        ("visitor 0.0.0.1", "0.0.0.1"),
        ("visitor 2001:db8::1", "2001:db8::1"),
        ("ip:2001:DB8::a:b", "2001:DB8::a:b"),
        ("visitor http://[2001:db8::5]:80/", "2001:db8::5"),
        ("visitor fe80::1%eth0", "fe80::1"),
        ("visitor ::ffff:192.0.2.1", "192.0.2.1"),
        ("visitor ::2", "::2"),
        ("visitor 2001:db8:0:0:0:0:0:1:443", "2001:db8"),
    ],
)
def test_every_other_address_is_masked(text: str, address: str) -> None:
    out = redact(text)
    assert address not in out and "<ip>" in out


def test_words_with_double_colons_are_not_addresses() -> None:
    assert redact("std::vector and ns::func") == "std::vector and ns::func"
