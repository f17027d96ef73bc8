"""The repair of ClickHouse's deduplication log, on files laid out as ClickHouse lays them out."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from sink.dedup_log import OnDisk, PartRange, repair, repair_embedded, repair_table


def _table(root: Path, parts: list[str], *logs: str) -> Path:
    table = root / "store" / "abc" / "abc12345-0000-0000-0000-000000000000"
    (table / "deduplication_logs").mkdir(parents=True)
    for part in parts:
        (table / part).mkdir()
    (table / "detached").mkdir()
    for n, text in enumerate(logs, 1):
        (table / "deduplication_logs" / f"deduplication_log_{n}.txt").write_text(text)
    return table


def _log(table: Path, n: int) -> str:
    return (table / "deduplication_logs" / f"deduplication_log_{n}.txt").read_text()


def test_a_part_range_covers_the_blocks_a_merge_or_mutation_kept() -> None:
    merged = PartRange.parse("202611_3_9_1_12")
    assert merged == PartRange("202611", 3, 9)
    on_disk = OnDisk([merged])
    assert on_disk.covers(PartRange("202611", 5, 5))
    assert not on_disk.covers(PartRange("202612", 5, 5))
    assert not on_disk.covers(PartRange("202611", 9, 10))
    assert PartRange.parse("tmp_insert_202611_4_4_0") is None


def test_only_the_block_ids_of_parts_gone_from_disk_get_a_drop_record(tmp_path: Path) -> None:
    table = _table(
        tmp_path,
        ["202611_1_3_1", "202612_2_2_0"],  # 1 and 3 merged; 4 was never renamed into place
        "1\t202611_1_1_0\tA\n1\t202612_2_2_0\tB\n",
        "1\t202611_3_3_0\tC\n1\t202611_4_4_0\tD\n",
    )
    assert repair_table(table) == 1
    assert _log(table, 2).endswith("1\t202611_4_4_0\tD\n2\t202611_4_4_0\tD\n")
    assert _log(table, 1) == "1\t202611_1_1_0\tA\n1\t202612_2_2_0\tB\n"
    assert repair_table(table) == 0, "a second start finds nothing to do"


def test_a_block_id_already_dropped_or_re_added_is_read_as_clickhouse_reads_it(tmp_path: Path) -> None:
    table = _table(
        tmp_path,
        ["202611_7_7_0"],
        "1\t202611_5_5_0\tA\n2\t202611_5_5_0\tA\n1\t202611_6_6_0\tB\n2\t202611_6_6_0\tB\n1\t202611_7_7_0\tB\n",
    )
    assert repair_table(table) == 0


def test_a_record_torn_by_the_crash_is_cut_off(tmp_path: Path) -> None:
    table = _table(tmp_path, ["202611_1_1_0"], "1\t202611_1_1_0\tA\n1\t202611_2_2_0\tB\n1\t2026")
    assert repair_table(table) == 1
    assert _log(table, 1) == "1\t202611_1_1_0\tA\n1\t202611_2_2_0\tB\n2\t202611_2_2_0\tB\n"


def test_repair_walks_every_table_once_even_through_the_data_links(tmp_path: Path) -> None:
    table = _table(tmp_path, [], "1\tall_1_1_0\tA\n")
    (tmp_path / "data" / "db").mkdir(parents=True)
    (tmp_path / "data" / "db" / "events").symlink_to(table)
    assert repair(tmp_path) == 1
    assert repair(tmp_path) == 0


def test_only_an_embedded_directory_that_exists_is_repaired(tmp_path: Path) -> None:
    _table(tmp_path / "clickhouse", [], "1\tall_1_1_0\tA\n")
    assert repair_embedded("http://127.0.0.1:8123") == 0
    assert repair_embedded(f"chdb://{tmp_path / 'nothing yet'}") == 0
    assert repair_embedded(f"chdb://{tmp_path / 'clickhouse'}") == 1


@given(
    st.lists(st.tuples(st.sampled_from("ab"), st.integers(0, 30), st.integers(0, 6)), max_size=25),
    st.tuples(st.sampled_from("ab"), st.integers(0, 30), st.integers(0, 6)),
)
def test_on_disk_answers_like_asking_every_part(
    parts: list[tuple[str, int, int]], want: tuple[str, int, int]
) -> None:
    ranges = [PartRange(p, low, low + span) for p, low, span in parts]
    asked = PartRange(want[0], want[1], want[1] + want[2])
    by_asking_each = any(
        r.partition == asked.partition and r.low <= asked.low and asked.high <= r.high for r in ranges
    )
    assert OnDisk(ranges).covers(asked) == by_asking_each
