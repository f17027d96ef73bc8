"""IP → country, region, city and ASN from a MaxMind-format `.mmdb`; time zone → country fallback.

`maxminddb` reads GeoLite2/GeoIP2 City, Country and ASN files and DB-IP's compatible ones; a
record may carry location, ASN, or both, so one or two files (`geoip_db`, `geoip_asn_db`) cover
every layout. The time zone fallback reads `zone.tab` from the IANA database as shipped in the
`tzdata` package (kept current with each tz release); link names that browsers still send
(`Asia/Calcutta`) resolve to their canonical zone by comparing the compiled zone files.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import maxminddb


@dataclass(frozen=True, slots=True)
class GeoInfo:
    country: str | None = None
    region: str | None = None
    city: str | None = None
    asn: int | None = None
    as_org: str | None = None


NO_GEO = GeoInfo()


def _name(node: Any) -> str | None:
    if not isinstance(node, dict):
        return None
    names = node.get("names")
    return names.get("en") if isinstance(names, dict) else None


def from_record(record: Any) -> GeoInfo:
    """Map one mmdb record (City, Country or ASN layout) onto GeoInfo."""
    if not isinstance(record, dict):
        return NO_GEO
    country = record.get("country") or record.get("registered_country") or {}
    subdivisions = record.get("subdivisions") or [{}]
    region = subdivisions[0].get("iso_code") or _name(subdivisions[0])
    asn = record.get("autonomous_system_number")
    return GeoInfo(
        country=country.get("iso_code") if isinstance(country, dict) else None,
        region=region,
        city=_name(record.get("city")),
        asn=int(asn) if isinstance(asn, int) else None,
        as_org=record.get("autonomous_system_organization"),
    )


def merge(a: GeoInfo, b: GeoInfo) -> GeoInfo:
    return GeoInfo(
        country=a.country or b.country,
        region=a.region or b.region,
        city=a.city or b.city,
        asn=a.asn or b.asn,
        as_org=a.as_org or b.as_org,
    )


class GeoLookup:
    """Reads zero, one or two mmdb files; unknown or private addresses give NO_GEO."""

    def __init__(self, *paths: Path | None) -> None:
        self._readers = [maxminddb.open_database(str(p)) for p in paths if p is not None]

    @property
    def enabled(self) -> bool:
        return bool(self._readers)

    def lookup(self, ip: str | None) -> GeoInfo:
        if ip is None or not self._readers:
            return NO_GEO
        info = NO_GEO
        for reader in self._readers:
            try:
                info = merge(info, from_record(reader.get(ip)))
            except ValueError:  # not an IP address
                return NO_GEO
        return info

    def close(self) -> None:
        for reader in self._readers:
            reader.close()


@cache
def _zone_countries() -> dict[str, str]:
    text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text()
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            cols = line.split("\t")
            out[cols[2]] = cols[0]
    return out


@cache
def _zone_by_content() -> dict[bytes, str]:
    root = resources.files("tzdata.zoneinfo")
    out: dict[bytes, str] = {}
    for zone in _zone_countries():
        try:
            out.setdefault(root.joinpath(zone).read_bytes(), zone)
        except (FileNotFoundError, IsADirectoryError):
            continue
    return out


@lru_cache(maxsize=1024)
def country_from_timezone(tz: str | None) -> str | None:
    """ISO country of an IANA zone (`Europe/Berlin` → `DE`); None for UTC, junk or shared zones."""
    if not tz or len(tz) > 64 or ".." in tz or tz.startswith("/"):
        return None
    countries = _zone_countries()
    if tz in countries:
        return countries[tz]
    try:
        data = resources.files("tzdata.zoneinfo").joinpath(tz).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, OSError, ValueError):
        return None
    canonical = _zone_by_content().get(data)
    return countries.get(canonical) if canonical else None
