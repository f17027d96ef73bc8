"""The processors create their tables' changelog topics before joining the consumer group."""

from __future__ import annotations

from datetime import timedelta

import faust

from processors.app import build
from processors.settings import ProcessorSettings
from processors.worker import changelog_specs


def test_every_table_changelog_is_declared_as_faust_would() -> None:
    app = build(ProcessorSettings()).app
    specs = {s.topic: s for s in changelog_specs(app)}
    assert set(specs) == {t.changelog_topic.get_topic_name() for t in app.tables.values()}
    swetrix = next(s for name, s in specs.items() if name.endswith("swetrix-sessions-changelog"))
    assert swetrix.config == {"cleanup.policy": "compact"}
    assert swetrix.num_partitions == app.conf.topic_partitions
    state = next(s for name, s in specs.items() if name.endswith("-sessions-changelog") and s is not swetrix)
    assert state.config == {"cleanup.policy": "compact"}


def test_a_windowed_table_keeps_its_retention() -> None:
    other = faust.App("spec-test", store="memory://", topic_partitions=4, topic_replication_factor=1)
    other.Table("days", default=bool).tumbling(timedelta(days=1), expires=timedelta(days=2))
    [spec] = changelog_specs(other)
    assert spec.config == {"cleanup.policy": "compact,delete", "retention.ms": str(2 * 24 * 3600 * 1000)}
    assert spec.num_partitions == 4
