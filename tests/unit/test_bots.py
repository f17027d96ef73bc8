from __future__ import annotations

from common.bots import classify_user_agent

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; rv:109.0) Gecko/20100101 Firefox/116.0"


def test_browsers_are_not_bots() -> None:
    assert classify_user_agent(FIREFOX) is None


def test_crawlers_headless_and_empty_are_bots() -> None:
    assert classify_user_agent(
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    ) == ("crawler:Googlebot")
    assert classify_user_agent("Mozilla/5.0 (X11) HeadlessChrome/120.0 Safari/537.36") == "headless"
    assert classify_user_agent("") == "empty-ua"
    assert classify_user_agent(None) is None  # unknown: a relay's own UA is never judged
    assert (classify_user_agent("curl/8.4.0") or "").startswith("crawler")
