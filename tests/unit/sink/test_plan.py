from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sink.plan import Plan, Range, decode

RANGES = st.dictionaries(
    st.integers(0, 200),
    st.tuples(st.integers(0, 10**12), st.integers(0, 10**6)).map(lambda t: Range(t[0], t[0] + t[1])),
    min_size=1,
    max_size=40,
)


@given(RANGES)
def test_a_plan_survives_the_commit_metadata_of_each_of_its_partitions(ranges: dict[int, Range]) -> None:
    plan = Plan.of("hits.enriched", ranges)
    for partition, r in ranges.items():
        assert decode("hits.enriched", partition, plan.encode(), r.first) == plan


def test_a_plan_the_committed_offset_has_moved_past_is_done() -> None:
    meta = Plan.of("t", {0: Range(10, 19), 1: Range(5, 8)}).encode()
    assert decode("t", 0, meta, 20) is None
    assert decode("t", 0, meta, 12) is None


def test_a_plan_that_does_not_name_the_partition_is_not_its_plan() -> None:
    assert decode("t", 3, Plan.of("t", {0: Range(10, 19)}).encode(), 10) is None


@pytest.mark.parametrize("meta", [None, "", "something else", "hs1:", "hs1:0:5-3", "hs1:0:a-b", "hs1:0-5"])
def test_foreign_or_broken_metadata_is_no_plan(meta: str | None) -> None:
    assert decode("t", 0, meta, 0) is None


def test_the_token_names_topic_and_ranges_and_nothing_else() -> None:
    a = Plan.of("t", {0: Range(1, 5), 1: Range(7, 9)})
    assert a.token == Plan.of("t", {1: Range(7, 9), 0: Range(1, 5)}).token
    assert a.token != Plan.of("u", {0: Range(1, 5), 1: Range(7, 9)}).token
    assert a.token != Plan.of("t", {0: Range(1, 5), 1: Range(7, 10)}).token


def test_a_range_is_ordered() -> None:
    with pytest.raises(ValueError):
        Range(5, 4)
