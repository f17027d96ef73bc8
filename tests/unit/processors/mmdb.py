"""A tiny GeoIP2-City-style .mmdb for tests, written with mmdb-writer (nothing downloaded)."""

from __future__ import annotations

from pathlib import Path

from mmdb_writer import MMDBWriter
from netaddr import IPSet


def build(path: Path) -> Path:
    w = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoIP2-City")
    w.insert_network(
        IPSet(["203.0.113.0/24"]),
        {
            "country": {"iso_code": "NL", "names": {"en": "Netherlands"}},
            "subdivisions": [{"iso_code": "NH", "names": {"en": "North Holland"}}],
            "city": {"names": {"en": "Amsterdam"}},
            "autonomous_system_number": 64500,
            "autonomous_system_organization": "Example Net",
        },
    )
    w.insert_network(
        IPSet(["198.51.100.0/24"]),
        {
            "country": {"iso_code": "US"},
            "autonomous_system_number": 16509,
            "autonomous_system_organization": "AMAZON-02",
        },
    )
    w.to_db_file(str(path))
    return path
