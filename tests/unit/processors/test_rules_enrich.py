"""Stateless rules: user agent, geo, time zone, language, URLs, UTM, referrer channel, bots."""

from __future__ import annotations

from pathlib import Path

import pytest

from processors.rules import bots, geo, referrer, urls, utm
from processors.rules.locale import normalize_language
from processors.rules.useragent import UserAgentParser
from tests.unit.processors import mmdb

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; rv:109.0) Gecko/20100101 Firefox/116.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) AppleWebKit/605.1.15 "
    "Version/16.0 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def test_user_agent_fields_and_device_types() -> None:
    p = UserAgentParser()
    ff = p.parse(FIREFOX)
    assert (ff.browser, ff.browser_version, ff.os, ff.device_type) == (
        "Firefox",
        "116.0",
        "Windows",
        "desktop",
    )
    assert p.parse(IPHONE).device_type == "mobile"
    assert p.parse(IPAD).device_type == "tablet"
    bot = p.parse(GOOGLEBOT)
    assert bot.device_type == "bot" and bot.is_spider
    assert p.parse("").device_type == "other"


def test_user_agent_parser_uses_the_rust_resolver_and_a_bounded_cache() -> None:
    p = UserAgentParser(cache_size=2)
    assert type(p._resolver).__module__ == "ua_parser.regex"
    for ua in (FIREFOX, IPHONE, FIREFOX, IPAD, GOOGLEBOT):
        p.parse(ua)
    assert (p.hits, p.misses) == (1, 4)
    assert len(p._cache) == 2


@pytest.fixture(scope="module")
def geodb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mmdb.build(tmp_path_factory.mktemp("geo") / "test.mmdb")


def test_geo_lookup_from_a_tiny_mmdb(geodb: Path) -> None:
    g = geo.GeoLookup(geodb)
    assert g.lookup("203.0.113.9") == geo.GeoInfo("NL", "NH", "Amsterdam", 64500, "Example Net")
    assert g.lookup("192.0.2.1") == geo.NO_GEO
    assert g.lookup("not an ip") == geo.NO_GEO
    assert geo.GeoLookup().lookup("203.0.113.9") == geo.NO_GEO and not geo.GeoLookup().enabled


def test_datacenter_asn_is_a_bot_reason(geodb: Path) -> None:
    where = geo.GeoLookup(geodb).lookup("198.51.100.7")
    ua = UserAgentParser().parse(FIREFOX)
    assert bots.bot_reason(FIREFOX, ua, where.asn) == "datacenter:16509"
    assert bots.bot_reason(FIREFOX, ua, 64500) is None


@pytest.mark.parametrize(
    ("ua", "family"),
    [
        ("", "empty-ua"),
        (GOOGLEBOT, "crawler"),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0.0.0 Safari/537.36",
            "headless",
        ),
        ("curl/8.4.0", "crawler"),
    ],
)
def test_user_agent_bot_reasons(ua: str | None, family: str) -> None:
    reason = bots.bot_reason(ua, UserAgentParser().parse(ua), None)
    assert reason is not None and bots.family(reason) == family


@pytest.mark.parametrize(
    ("tz", "country"),
    [
        ("Europe/Berlin", "DE"),
        ("America/New_York", "US"),
        ("Asia/Calcutta", "IN"),
        ("Asia/Kolkata", "IN"),
        ("UTC", None),
        ("Mars/Olympus", None),
        ("../../etc/passwd", None),
        (None, None),
        ("", None),
    ],
)
def test_country_from_timezone(tz: str | None, country: str | None) -> None:
    assert geo.country_from_timezone(tz) == country


@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ("en-gb", "en-GB"),
        ("en_US", "en-US"),
        ("EN", "en"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("de-DE,de;q=0.9", "de-DE"),
        ("english", None),
        ("123", None),
        ("", None),
        (None, None),
        ("x", None),
    ],
)
def test_language_normalisation(raw: str | None, tag: str | None) -> None:
    assert normalize_language(raw) == tag


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("https://a.com/p?utm_source=x&token=s3cret#frag", "https://a.com/p?utm_source=x"),
        ("https://user:pw@A.com:8443/p?ref=hn&email=a@b.c", "https://a.com:8443/p?ref=hn"),
        ("https://a.com/", "https://a.com/"),
        ("not a url", None),
        (None, None),
        ("https://[bad/", None),
    ],
)
def test_clean_url_keeps_only_campaign_parameters(raw: str | None, clean: str | None) -> None:
    assert urls.clean_url(raw) == clean


def test_clean_path() -> None:
    assert urls.clean_path("/p?id=5&utm_medium=cpc#x") == "/p?utm_medium=cpc"
    assert urls.clean_path("/p?id=5") == "/p"


def test_utm_from_url_and_vendor_fields_win() -> None:
    from_url = utm.from_url("https://a.com/?utm_source=news&utm_campaign=fall&ref=hn&x=1")
    assert from_url == utm.Campaign(utm_source="news", utm_campaign="fall", ref="hn")
    merged = utm.merge(utm.Campaign(utm_source="zta"), from_url)
    assert (merged.utm_source, merged.utm_campaign) == ("zta", "fall")
    assert utm.from_url("/docs?utm_medium=social") == utm.Campaign(utm_medium="social")


@pytest.mark.parametrize(
    ("ref", "page_host", "campaign", "channel"),
    [
        (None, "a.com", utm.Campaign(), "direct"),
        ("https://www.a.com/x", "a.com", utm.Campaign(), "direct"),
        ("https://www.google.de/", "a.com", utm.Campaign(), "search"),
        ("https://duckduckgo.com/?q=x", "a.com", utm.Campaign(), "search"),
        ("https://t.co/abc", "a.com", utm.Campaign(), "social"),
        ("https://old.reddit.com/r/x", "a.com", utm.Campaign(), "social"),
        ("https://mail.google.com/mail/u/0", "a.com", utm.Campaign(), "email"),
        ("https://blog.example.org/p", "a.com", utm.Campaign(), "referral"),
        ("https://t.co/abc", "a.com", utm.Campaign(utm_medium="email"), "email"),
        (None, "a.com", utm.Campaign(utm_campaign="fall"), "campaign"),
    ],
)
def test_referrer_channels(ref: str | None, page_host: str, campaign: utm.Campaign, channel: str) -> None:
    assert referrer.channel(referrer.referrer_host(ref), page_host, campaign) == channel


def test_referrer_host() -> None:
    assert referrer.referrer_host("https://WWW.Example.com/a?b=c") == "example.com"
    assert referrer.referrer_host("android-app://com.google.android.gm") == "com.google.android.gm"
    assert referrer.referrer_host("nonsense") is None


def test_without_the_visitors_user_agent_nothing_is_judged() -> None:
    """None: the request did not carry the visitor's UA (a backend's library is nobody's)."""
    assert bots.bot_reason(None, UserAgentParser().parse(None), None) is None
