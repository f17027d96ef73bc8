"""The processors create their tables' changelog topics before joining the consumer group."""

from __future__ import annotations

from processors.app import app
from processors.service import changelog_specs


def test_every_table_changelog_is_declared_as_faust_would() -> None:
    specs = {s.topic: s for s in changelog_specs(app)}
    assert set(specs) == {t.changelog_topic.get_topic_name() for t in app.tables.values()}
    swetrix = next(s for name, s in specs.items() if name.endswith("swetrix-sessions-changelog"))
    assert swetrix.config == {"cleanup.policy": "compact"}
    assert swetrix.num_partitions == app.conf.topic_partitions
    days = next(s for name, s in specs.items() if name.endswith("visitor-days-changelog"))
    assert days.config == {"cleanup.policy": "compact,delete", "retention.ms": str(2 * 24 * 3600 * 1000)}
