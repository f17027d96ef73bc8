"""ClickHouse's own deduplication log after a crash between logging a block and renaming its part
into place, reproduced on the real engine: without the repair a replay drops the lost block as a
duplicate of itself; after it, the replay lands exactly the block that is missing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.clickhouse

_ENGINE = textwrap.dedent(
    """
    import sys
    from datetime import date
    from pathlib import Path
    import clickhouse_connect
    from sink.dedup_log import repair

    data, step = Path(sys.argv[1]), sys.argv[2]
    if step == "replay-repaired":
        repair(data)
    client = clickhouse_connect.get_client(dsn=f"chdb://{data}")
    client.command(
        "CREATE TABLE IF NOT EXISTS t (d Date, x UInt32) ENGINE = MergeTree PARTITION BY toYYYYMM(d) "
        "ORDER BY x SETTINGS non_replicated_deduplication_window = 100"
    )
    days = [date(2026, 11, 30)] * 3 + [date(2026, 12, 1)] * 2
    client.insert("t", [days, list(range(5))], column_names=["d", "x"], column_oriented=True,
                  settings={"insert_deduplication_token": "batch-1"})
    print(client.command("SELECT count() FROM t"))
    """
)


def _engine(data: Path, step: str) -> int:
    argv = [sys.executable, "-c", _ENGINE, str(data), step]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120)
    return int(out.stdout.split()[-1])


def _lose_the_december_part(data: Path) -> None:
    """What a kill -9 between the log append and the rename leaves: the record, no part."""
    (part,) = data.glob("store/*/*/202612_*")
    subprocess.run(["rm", "-r", str(part)], check=True)


@pytest.mark.parametrize("repaired", [False, True], ids=["clickhouse-alone", "repaired"])
def test_a_block_logged_but_never_renamed_into_place_lands_on_the_replay_only_after_the_repair(
    tmp_path: Path, repaired: bool
) -> None:
    data = tmp_path / "clickhouse"
    assert _engine(data, "first") == 5
    _lose_the_december_part(data)
    replayed = _engine(data, "replay-repaired" if repaired else "replay")
    assert replayed == (5 if repaired else 3)
    assert _engine(data, "replay-again") == replayed, "the November block stays one copy either way"
