"""Why an event is a bot, from the user agent, the network and behaviour; None if it is not.

Reasons are `<family>` or `<family>:<detail>`: `empty-ua`, `headless`, `crawler:<pattern>` (the
crawlerdetect list, shared with ingest in `common.bots`), `spider:<name>` (ua-parser's Spider
device family), `datacenter:<asn>` (the geo database knows the network is a hosting provider),
`behaviour:rate` (too many events from one visitor in a short window; decided in `state`).
"""

from __future__ import annotations

from common.bots import classify_user_agent
from processors.rules.useragent import UaInfo

# Hosting and cloud networks that real visitors do not browse from.
DATACENTER_ASNS = frozenset(
    {
        16509,
        14618,
        8987,  # Amazon AWS
        15169,
        396982,
        19527,  # Google Cloud
        8075,
        8068,  # Microsoft Azure
        14061,  # DigitalOcean
        24940,
        213230,  # Hetzner
        16276,  # OVH
        63949,  # Akamai Linode
        20473,  # Vultr (Choopa)
        45102,
        37963,  # Alibaba Cloud
        31898,  # Oracle Cloud
        12876,  # Scaleway
        51167,  # Contabo
        132203,  # Tencent Cloud
        9009,  # M247
        36352,  # ColoCrossing
        40021,  # Contabo US / Nocix
        62567,  # DigitalOcean (legacy)
        202425,  # IP Volume
    }
)


def family(reason: str) -> str:
    """The reason without its detail, for metric labels with bounded cardinality."""
    return reason.split(":", 1)[0]


def bot_reason(user_agent: str | None, ua: UaInfo, asn: int | None) -> str | None:
    """Judged only on the visitor's own facts: `user_agent` is None when the request did not
    carry the visitor's (a relaying backend's HTTP library says nothing about the visitor), and
    `asn` is None without the visitor's IP."""
    reason = classify_user_agent(user_agent)
    if reason is not None:
        return reason
    if user_agent is not None and ua.is_spider:
        return f"spider:{ua.browser or 'unknown'}"
    if asn is not None and asn in DATACENTER_ASNS:
        return f"datacenter:{asn}"
    return None
