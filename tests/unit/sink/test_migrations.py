from __future__ import annotations

from sink.migrate import Migration, discover


def test_statements_split_on_line_ending_semicolons() -> None:
    m = Migration(
        1, "x", "-- comment\nCREATE TABLE a (x String DEFAULT ';')\nENGINE = Memory;\n\nSELECT 1;\n"
    )
    assert m.statements() == ["CREATE TABLE a (x String DEFAULT ';')\nENGINE = Memory", "SELECT 1"]


def test_shipped_migrations_are_numbered_uniquely_and_in_order() -> None:
    found = discover()
    assert found, "no migrations shipped"
    versions = [m.version for m in found]
    assert versions == sorted(set(versions))
