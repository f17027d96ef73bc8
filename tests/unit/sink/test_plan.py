from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sink.plan import Range, decode, encode


@given(st.lists(st.integers(0, 10**12), min_size=2, max_size=12, unique=True))
def test_ranges_survive_the_commit_metadata(bounds: list[int]) -> None:
    b = sorted(bounds)
    ranges = [Range(b[i], b[i + 1]) for i in range(0, len(b) - 1, 2)]
    assert decode(encode(ranges), ranges[0].first) == ranges


def test_ranges_the_committed_offset_has_passed_are_done() -> None:
    meta = encode([Range(10, 19), Range(20, 29)])
    assert decode(meta, 20) == [Range(20, 29)]
    assert decode(meta, 30) == []


def test_a_committed_offset_inside_a_range_voids_it() -> None:
    assert decode(encode([Range(10, 19)]), 15) == []


@pytest.mark.parametrize("meta", [None, "", "something else", "hs1:", "hs1:5-3", "hs1:1-5,4-9", "hs1:a-b"])
def test_foreign_or_broken_metadata_is_no_plan(meta: str | None) -> None:
    assert decode(meta, 0) == []


def test_a_range_is_ordered() -> None:
    with pytest.raises(ValueError):
        Range(5, 4)
