"""User agent → browser, OS and device type, with ua-parser on its Rust resolver behind a cache.

ua-parser's default parser picks the fastest resolver it finds; we build ours explicitly from
`ua_parser.regex.Resolver` (the `ua-parser-rs` accelerator) so a missing accelerator fails at
start-up instead of silently falling back to the pure-Python matcher, which is ~50x slower.
Real traffic repeats a few thousand user agents, so results are cached in a bounded LRU.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from ua_parser import Domain, Result, load_lazy_builtins
from ua_parser.regex import Resolver as RustResolver

_DESKTOP_OS = {"Windows", "Mac OS X", "Linux", "Ubuntu", "Chrome OS", "Fedora", "FreeBSD", "Debian", "macOS"}
_MOBILE_OS = {"Android", "iOS", "Windows Phone", "BlackBerry OS", "KaiOS", "HarmonyOS", "Tizen"}
_TABLET_MARKERS = ("ipad", "tablet", "kindle", "silk/", "playbook", "sm-t", "nexus 7", "nexus 9")


@dataclass(frozen=True, slots=True)
class UaInfo:
    browser: str | None
    browser_version: str | None
    os: str | None
    os_version: str | None
    device_type: str
    is_spider: bool


def _version(major: str | None, minor: str | None) -> str | None:
    if not major:
        return None
    return f"{major}.{minor or '0'}"


def _family(name: str | None) -> str | None:
    return None if name in (None, "", "Other") else name


def device_type(ua: str, result: Result) -> str:
    """desktop / mobile / tablet / bot / other, from ua-parser's device and OS families."""
    if result.device is not None and result.device.family == "Spider":
        return "bot"
    lowered = ua.lower()
    os_family = result.os.family if result.os else None
    if any(m in lowered for m in _TABLET_MARKERS) or (os_family == "Android" and "mobile" not in lowered):
        return "tablet"
    if os_family in _MOBILE_OS or "mobile" in lowered:
        return "mobile"
    if os_family in _DESKTOP_OS:
        return "desktop"
    return "other"


class UserAgentParser:
    """Parses user agents with a bounded LRU in front; counts hits and misses for metrics."""

    def __init__(self, cache_size: int = 20_000) -> None:
        self._resolver = RustResolver(load_lazy_builtins())
        self._cache: OrderedDict[str, UaInfo] = OrderedDict()
        self._size = cache_size
        self.hits = 0
        self.misses = 0

    def parse(self, ua: str | None) -> UaInfo:
        ua = ua or ""
        info = self._cache.get(ua)
        if info is not None:
            self._cache.move_to_end(ua)
            self.hits += 1
            return info
        self.misses += 1
        info = self._parse(ua)
        self._cache[ua] = info
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return info

    def _parse(self, ua: str) -> UaInfo:
        result = self._resolver(ua, Domain.ALL).complete()
        agent, os_ = result.user_agent, result.os
        return UaInfo(
            browser=_family(agent.family) if agent else None,
            browser_version=_version(agent.major, agent.minor) if agent and _family(agent.family) else None,
            os=_family(os_.family) if os_ else None,
            os_version=_version(os_.major, os_.minor) if os_ and _family(os_.family) else None,
            device_type=device_type(ua, result),
            is_spider=result.device is not None and result.device.family == "Spider",
        )
