"""Bot detection by user agent, shared by ingest (vendors that promise to drop bots) and the
processors (which flag bots on every other event).

The crawler list is a maintained data package (crawlerdetect, synced with Crawler-Detect's
thousands of patterns), not a hand-written regex; an empty user agent and headless browsers are
bots too. Results are cached: real traffic repeats a small set of user agents.
"""

from __future__ import annotations

from functools import lru_cache

from crawlerdetect import CrawlerDetect

_DETECTOR = CrawlerDetect()
_HEADLESS = ("headlesschrome", "phantomjs", "slimerjs", "puppeteer", "playwright", "selenium", "webdriver")


@lru_cache(maxsize=65_536)
def classify_user_agent(user_agent: str | None) -> str | None:
    """The reason the visitor's user agent is a bot (`empty-ua`, `headless`, `crawler:<name>`), or
    None. None in means the request did not carry the visitor's user agent (a backend relayed the
    hit): nothing can be said, and a relay's own HTTP-library user agent is never judged."""
    if user_agent is None:
        return None
    if not user_agent.strip():
        return "empty-ua"
    lowered = user_agent.lower()
    if any(marker in lowered for marker in _HEADLESS):
        return "headless"
    if _DETECTOR.isCrawler(user_agent):
        match = _DETECTOR.getMatches()
        return f"crawler:{match}" if match else "crawler"
    return None
