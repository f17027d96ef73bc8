"""Invariants: sessions of one key never overlap, enriching twice is a no-op, replay is deterministic."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from common.crypto import IpCipher
from processors import batch, state
from processors.batch import RawMessage
from processors.enrich import Enricher
from processors.rules import referrer, urls, utm
from processors.rules.locale import normalize_language
from processors.rules.sessions import Day, Limits, place
from schemas.events import CanonicalEvent, EnrichedEvent, EventType, Vendor

SECRET = b"p" * 32
T0 = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
KINDS = st.sampled_from(["pageview", "custom", "heartbeat", "engagement", "error"])
OFFSETS = st.lists(st.tuples(KINDS, st.integers(0, 6 * 3600)), max_size=40)


@given(OFFSETS)
def test_sessions_of_one_key_never_overlap(events: list[tuple[str, int]]) -> None:
    days: dict[int, Day] = {}
    spans: dict[str, list[float]] = {}
    for kind, off in events:
        t = T0.timestamp() + off
        p, changed = place(days, key=b"k", kind=kind, event_time=t, received_at=t + 10, limits=Limits())
        days.update(changed)
        if p.session_id and kind != "engagement":
            span = spans.setdefault(p.session_id, [t, t])
            span[0], span[1] = min(span[0], t), max(span[1], t)
    ordered = sorted(spans.values())
    assert all(a[1] < b[0] for a, b in itertools.pairwise(ordered))


@given(st.text(max_size=60))
def test_normalising_twice_is_a_no_op(text: str) -> None:
    once = normalize_language(text)
    assert normalize_language(once) == once
    url = urls.clean_url(f"https://a.com/{text}")
    assert urls.clean_url(url) == url
    path = urls.clean_path(f"/{text}")
    assert urls.clean_path(path) == path


@given(st.sampled_from(["utm_source", "ref", "token", "id"]), st.text(min_size=1, max_size=10))
def test_clean_url_keeps_campaign_values_only(param: str, value: str) -> None:
    from urllib.parse import parse_qsl, urlsplit

    cleaned = urls.clean_url(f"https://a.com/p?{param}={value}&other={value}")
    assert cleaned is not None
    assert {k for k, _ in parse_qsl(urlsplit(cleaned).query)} <= urls.KEPT_PARAMS


def _raw(i: int, kind: EventType, t: datetime, cipher: IpCipher) -> CanonicalEvent:
    return CanonicalEvent(
        event_id=f"00000000-0000-7000-8000-{i:012d}",
        vendor=Vendor.SWETRIX,
        site_id="a",
        event_type=kind,
        event_time=t,
        received_at=t,
        page_url="https://a.com/p?utm_source=x&id=1",
        hostname="a.com",
        referrer="https://www.google.com/",
        locale="en-gb",
        timezone="Europe/Berlin",
        user_agent="Mozilla/5.0 (Windows NT 10.0; rv:109.0) Gecko/20100101 Firefox/116.0",
        ip_encrypted=cipher.encrypt("192.0.2.1"),
    )


def _pipeline(raws: list[CanonicalEvent]) -> list[EnrichedEvent]:
    messages = [RawMessage(b"a|k", r.model_dump_json().encode(), 0, i) for i, r in enumerate(raws)]
    decoded = batch.decode(messages)
    result = batch.process(
        decoded, {}, batch.Rules(Enricher(SECRET), Limits(), {d: b"salt" for d in batch.salt_days(decoded)})
    )
    return [EnrichedEvent.model_validate_json(o.value) for o in result.outputs]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(EventType)), st.integers(0, 7200)), min_size=1, max_size=15))
def test_replay_is_deterministic(spec: list[tuple[EventType, int]]) -> None:
    cipher = IpCipher.from_secret(SECRET)
    raws = [_raw(i, k, T0 + timedelta(seconds=off), cipher) for i, (k, off) in enumerate(spec)]
    assert _pipeline(raws) == _pipeline(raws)


def test_enriched_event_carries_no_ip_and_cleans_urls() -> None:
    [e] = _pipeline([_raw(1, EventType.PAGEVIEW, T0, IpCipher.from_secret(SECRET))])
    assert "192.0.2.1" not in e.model_dump_json()
    assert e.page_url == "https://a.com/p?utm_source=x" and e.utm_source == "x"
    assert (e.language, e.country, e.referrer_host, e.channel) == ("en-GB", "DE", "google.com", "campaign")
    assert e.is_new_session and e.is_unique and e.session_seq == 1
    assert referrer.channel(e.referrer_host, e.hostname, utm.Campaign()) == "search"


def test_filtered_events_pass_through_untouched_by_state() -> None:
    raw = _raw(1, EventType.PAGEVIEW, T0, IpCipher.from_secret(SECRET)).model_copy(
        update={"filtered_reason": "bot"}
    )
    fields = Enricher(SECRET).fields(raw, b"salt")
    assert isinstance(fields, dict)
    assert state.apply(fields, b"a|k", None, Limits()) is None
    assert fields["session_id"] is None and not fields["is_unique"]


def test_undecryptable_ip_is_poison() -> None:
    raw = _raw(1, EventType.PAGEVIEW, T0, IpCipher.from_secret(b"o" * 32))
    assert not isinstance(Enricher(SECRET).enrich(raw, b"salt"), EnrichedEvent)
