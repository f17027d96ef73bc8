"""The pure batch function: what it emits is the enriched contract exactly, a batch answers as one
event at a time would, and every failure is a dead letter with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.processors_workload import visits
from common.crypto import IpCipher
from processors import batch, state
from processors.batch import BatchResult, RawMessage, Rules
from processors.enrich import Enricher
from processors.rules.sessions import Limits
from processors.state import KeyState
from schemas.events import CanonicalEvent, EnrichedEvent, EventType, Vendor

SECRET = b"b" * 32
ENRICHER = Enricher(SECRET)
T0 = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)


def _rules(decoded: list[batch.Decoded | batch.DeadLetter]) -> Rules:
    return Rules(ENRICHER, Limits(), {d: b"salt-" + d.isoformat().encode() for d in batch.salt_days(decoded)})


def _run(messages: list[RawMessage], states: dict[tuple[int, bytes], KeyState | None]) -> BatchResult:
    decoded = batch.decode(messages)
    return batch.process(decoded, states, _rules(decoded))


def _workload(n_visitors: int = 40) -> list[RawMessage]:
    hits = list(visits(n_visitors, 6, SECRET, n_user_agents=30))
    return [RawMessage(h.key, h.value, hash(h.key) % 3, i) for i, h in enumerate(hits)]


def test_the_output_is_exactly_what_the_models_would_make() -> None:
    """orjson-encoded dicts on the hot path; the same event through the pydantic models here."""
    messages = _workload()
    result = _run(messages, {})
    states: dict[bytes, KeyState | None] = {}
    by_id = {}
    for m in messages:
        canonical = CanonicalEvent.model_validate_json(m.value)
        salt = b"salt-" + canonical.event_time.astimezone(UTC).date().isoformat().encode()
        model = ENRICHER.enrich(canonical, salt)
        assert isinstance(model, EnrichedEvent)
        fields = model.model_dump()
        after = state.apply(fields, m.key or b"", states.get(m.key or b""), Limits(), m.offset)
        states[m.key or b""] = after or states.get(m.key or b"")
        by_id[model.event_id] = EnrichedEvent.model_validate(fields)
    assert len(result.outputs) == len(messages) and not result.dead
    for out in result.outputs:
        got = EnrichedEvent.model_validate_json(out.value)
        assert got == by_id[got.event_id]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=8))
def test_a_batch_answers_as_one_event_at_a_time(cuts: list[int]) -> None:
    messages = _workload(12)
    whole = _run(messages, {})
    states: dict[tuple[int, bytes], KeyState | None] = {}
    outputs, i = [], 0
    for size in [*cuts, len(messages)]:
        if i >= len(messages):
            break
        part = _run(messages[i : i + size], states)
        states.update(part.changes)
        outputs += part.outputs
        i += size
    assert outputs == whole.outputs and states == whole.changes


def test_failures_are_dead_letters_with_reasons() -> None:
    good = _workload(1)[0]
    foreign = CanonicalEvent.model_validate_json(good.value).model_copy(
        update={"ip_encrypted": IpCipher.from_secret(b"o" * 32).encrypt("192.0.2.1")}
    )
    messages = [
        RawMessage(b"k", b"{not json", 0, 1),
        RawMessage(b"k", b'{"event_id": "x"}', 0, 2),
        RawMessage(good.key, foreign.model_dump_json().encode(), 0, 3),
        good,
    ]
    result = _run(messages, {})
    reasons = [d.reason for d in result.dead]
    assert reasons[0].startswith("invalid canonical event") and reasons[1].startswith(
        "invalid canonical event"
    )
    assert reasons[2].startswith("undecryptable") and len(result.outputs) == 1


def test_redelivered_events_are_acked_but_not_emitted() -> None:
    messages = _workload(2)
    first = _run(messages, {})
    again = _run(messages, dict(first.changes))
    stateful = [m for m in messages if (m.partition, m.key) in first.changes]
    assert again.redelivered == len(stateful) and len(again.outputs) == len(messages) - len(stateful)


def test_anonymous_hits_have_no_state() -> None:
    at = datetime(2026, 11, 23, 12, tzinfo=UTC)
    event = CanonicalEvent(
        event_id="00000000-0000-7000-8000-000000000001", vendor=Vendor.SIMPLE_ANALYTICS, site_id="a",
        event_type=EventType.PAGEVIEW, event_time=at, received_at=at, user_agent="Mozilla/5.0",
        client_unique=True,
    )  # fmt: skip
    result = _run([RawMessage(b"a|a:1", event.model_dump_json().encode(), 0, 0)], {})
    (out,) = result.outputs
    got = EnrichedEvent.model_validate_json(out.value)
    assert got.visitor_key == "" and got.is_unique and got.session_id is None and not result.changes


def test_the_batch_notes_arrival_times_and_live_sessions() -> None:
    messages = _workload(3)
    result = _run(messages, {})
    assert set(result.received) <= {0, 1, 2} and result.live
    latest = max(CanonicalEvent.model_validate_json(m.value).received_at for m in messages)
    assert max(result.received.values()) == latest.timestamp()
