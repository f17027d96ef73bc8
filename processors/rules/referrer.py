"""Referrer → host, and a channel: direct, search, social, email, referral or campaign.

The rules, first match wins: a `utm_medium` of e-mail → email; any utm parameter → campaign;
no referrer, or one from the page's own host → direct; a known search engine → search; a known
social network → social; a webmail host → email; anything else → referral. The host lists are
short, curated suffix lists of the networks that send real traffic (ordered by match, not by
size); an unknown host is a plain referral, which is the honest default.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from processors.rules.utm import Campaign

CHANNELS = ("direct", "search", "social", "email", "referral", "campaign")
_EMAIL_MEDIUMS = {"email", "e-mail", "newsletter", "mail"}
_SEARCH = (
    "google.",
    "bing.com",
    "duckduckgo.com",
    "yahoo.",
    "yandex.",
    "baidu.com",
    "ecosia.org",
    "search.brave.com",
    "startpage.com",
    "qwant.com",
    "naver.com",
    "seznam.cz",
    "kagi.com",
    "ask.com",
    "sogou.com",
    "so.com",
    "perplexity.ai",
    "you.com",
    "search.yahoo.co.jp",
)
_SOCIAL = (
    "facebook.com",
    "fb.com",
    "instagram.com",
    "t.co",
    "twitter.com",
    "x.com",
    "linkedin.com",
    "lnkd.in",
    "reddit.com",
    "pinterest.",
    "tiktok.com",
    "youtube.com",
    "youtu.be",
    "vk.com",
    "mastodon.social",
    "threads.net",
    "bsky.app",
    "news.ycombinator.com",
    "tumblr.com",
    "quora.com",
    "weibo.com",
    "t.me",
    "telegram.org",
    "whatsapp.com",
    "discord.com",
    "snapchat.com",
)
_WEBMAIL = (
    "mail.google.com",
    "outlook.live.com",
    "outlook.office.com",
    "mail.yahoo.com",
    "mail.proton.me",
    "webmail.",
    "mail.yandex.",
    "mail.aol.com",
    "fastmail.com",
)


@lru_cache(maxsize=16_384)
def referrer_host(referrer: str | None) -> str | None:
    """Lower-cased host without `www.`; None for no referrer or something that is not a URL."""
    if not referrer:
        return None
    try:
        host = urlsplit(referrer.strip() if "://" in referrer else f"//{referrer.strip()}").hostname
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    return host.removeprefix("www.")


def _matches(host: str, patterns: tuple[str, ...]) -> bool:
    for p in patterns:
        if p.endswith("."):
            if host.startswith(p) or f".{p}" in f".{host}":
                return True
        elif host == p or host.endswith(f".{p}"):
            return True
    return False


def channel(ref_host: str | None, page_host: str | None, campaign: Campaign) -> str:
    if (campaign.utm_medium or "").lower() in _EMAIL_MEDIUMS:
        return "email"
    if campaign.utm_source or campaign.utm_medium or campaign.utm_campaign:
        return "campaign"
    own = (page_host or "").removeprefix("www.")
    if ref_host is None or ref_host == own:
        return "direct"
    return _host_channel(ref_host)


@lru_cache(maxsize=16_384)
def _host_channel(ref_host: str) -> str:
    """The suffix lists are scanned once per referrer host: traffic repeats its referrers."""
    if _matches(ref_host, _WEBMAIL):
        return "email"
    if _matches(ref_host, _SEARCH):
        return "search"
    if _matches(ref_host, _SOCIAL):
        return "social"
    return "referral"
