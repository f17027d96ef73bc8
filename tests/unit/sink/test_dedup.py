from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sink.dedup import REPLAYED, DedupWindow, OffsetsWentBack, is_replayed, key_of, key_of_value

# A stream: (offset gap, key or None), keys drawn from a small set so they repeat.
STREAMS = st.lists(st.tuples(st.integers(1, 3), st.one_of(st.none(), st.integers(0, 30))), max_size=200)


def _offsets(stream: list[tuple[int, int | None]]) -> list[tuple[int, int | None]]:
    out, offset = [], -1
    for gap, key in stream:
        offset += gap
        out.append((offset, key))
    return out


@given(STREAMS, st.integers(1, 40))
def test_a_message_is_a_duplicate_exactly_when_its_key_lies_in_the_w_offsets_before_it(
    stream: list[tuple[int, int | None]], size: int
) -> None:
    msgs = _offsets(stream)
    window = DedupWindow(size)
    for offset, key in msgs:
        before = [o for o, k in msgs if k is not None and k == key and offset - size <= o < offset]
        assert window.seen(offset, key) == (max(before) if before else None)


@given(STREAMS, st.integers(1, 40), st.integers(0, 200))
def test_a_window_rebuilt_from_the_offsets_before_a_point_answers_like_the_live_one(
    stream: list[tuple[int, int | None]], size: int, cut: int
) -> None:
    """What a new owner of the partition reads back equals what the last owner held."""
    msgs = _offsets(stream)
    cut = min(cut, len(msgs))
    start = msgs[cut][0] if cut < len(msgs) else (msgs[-1][0] + 1 if msgs else 0)
    live = DedupWindow(size)
    for offset, key in msgs[:cut]:
        live.seen(offset, key)
    rebuilt = DedupWindow(size)
    for offset, key in msgs[:cut]:
        if offset >= start - size:
            rebuilt.seen(offset, key)
    for offset, key in msgs[cut:]:
        assert live.seen(offset, key) == rebuilt.seen(offset, key)


def test_a_copy_beyond_the_window_is_not_a_duplicate_and_memory_stays_bounded() -> None:
    window = DedupWindow(100)
    assert window.seen(0, 7) is None
    assert window.seen(100, 7) == 0
    assert window.seen(201, 7) is None
    for offset in range(1000, 2000):
        window.seen(offset, offset)
    assert len(window) <= 101  # the W offsets before the last one, and the last one


def test_offsets_never_go_back() -> None:
    window = DedupWindow(10)
    window.seen(5, 1)
    with pytest.raises(OffsetsWentBack):
        window.seen(5, 2)


def test_keys_of_an_event_id_and_of_its_message_agree() -> None:
    eid = str(uuid.uuid4())
    assert key_of(eid) == uuid.UUID(eid).int == key_of_value(f'{{"event_id": "{eid}", "x": 1}}'.encode())
    assert key_of(eid, replayed=True) == uuid.UUID(eid).int | REPLAYED


@pytest.mark.parametrize(
    "value", [b"", b"garbage", b"[1]", b'{"event_id": 5}', b'{"event_id": "nope"}', None]
)
def test_a_message_without_a_usable_event_id_has_no_key(value: bytes | None) -> None:
    assert key_of_value(value) is None


def test_replayed_letters_are_recognised_in_both_header_shapes() -> None:
    assert is_replayed([("replayed_from", b"0:5")]) and is_replayed({"replayed_from": "0:5"})
    assert not is_replayed(None) and not is_replayed([("other", b"x")])
