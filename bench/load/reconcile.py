"""Comparing what ClickHouse holds with what the generator knows it sent and was answered.

Every 2xx-answered hit whose fate is STORED must be in `events` exactly once; every rejected hit,
every filtered bot and every `dnt` hit must be absent. An unanswered hit (the connection died,
e.g. ingest was killed) may or may not have reached Kafka before that: either is correct, but at
most once. Heartbeats carry no marker and are reconciled by distinct count, within the same
bounds. Unique visitors and sessions per site must match the generator's ground truth for the
hits stored (one session per visitor). Simple Analytics sends no visitor IP, so its hits are
anonymous: no visitor, no session (they are not people the processors can tell apart). Every
derived table must say what `events` says, on every site and day, asked with distinct event ids
(bench/analytics_checks.py): a row counted twice or missed anywhere shows there.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.analytics_checks import mismatches
from bench.load.model import Fate
from bench.load.send import Answer

# Where a stored event carries the generator's marker: a custom property, or the page path.
MARKER = "if(properties['lg'] != '', properties['lg'], page_path)"


@dataclass
class Reconciliation:
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    unanswered: int = 0
    expected_stored: int = 0
    stored: int = 0
    lost: int = 0
    duplicates: int = 0  # distinct event_ids stored more than once for one hit
    raw_duplicate_rows: int = 0  # physical rows not yet folded by ReplacingMergeTree merges
    unexpected: int = 0
    heartbeats_expected: int = 0  # answered 2xx: must be stored
    heartbeats_unanswered: int = 0  # may be stored
    heartbeats_stored: int = 0
    visitor_mismatches: dict[str, tuple[int, int]] = field(default_factory=dict)
    session_mismatches: dict[str, tuple[int, int]] = field(default_factory=dict)
    derived_mismatches: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)  # table -> rows
    lost_by_path: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (self.lost == 0 and self.duplicates == 0 and self.unexpected == 0
                and self.heartbeats_ok and not self.derived_mismatches
                and not self.visitor_mismatches and not self.session_mismatches)  # fmt: skip

    @property
    def heartbeats_ok(self) -> bool:
        low = self.heartbeats_expected
        return low <= self.heartbeats_stored <= low + self.heartbeats_unanswered


def _identity(a: Answer) -> tuple[str, str] | None:
    if a.hit.vendor == "simple_analytics":
        return None  # anonymous by design
    return a.hit.site_id, a.hit.visitor


@dataclass
class Expected:
    must: set[str] = field(default_factory=set)  # markers that must be stored
    may: set[str] = field(default_factory=set)  # unanswered: stored or not, never twice
    heartbeats: int = 0
    heartbeats_unanswered: int = 0
    people: dict[str, tuple[str, str]] = field(default_factory=dict)  # marker -> visitor

    def visitors_per_site(self, stored: set[str]) -> Counter[str]:
        return Counter(site for site, _ in {self.people[m] for m in stored if m in self.people})


def expected(answers: list[Answer]) -> Expected:
    e = Expected()
    for a in answers:
        if a.hit.fate is not Fate.STORED:
            continue
        answered = 200 <= a.status < 300
        if not answered and a.status != 0:
            continue
        if a.hit.marker is None:
            if answered:
                e.heartbeats += 1
            else:
                e.heartbeats_unanswered += 1
            continue
        (e.must if answered else e.may).add(a.hit.marker)
        person = _identity(a)
        if person is not None and not a.hit.is_bot and a.hit.kind != "heartbeat":
            e.people[a.hit.marker] = person
    return e


def reconcile(answers: list[Answer], client: Any, run: str) -> Reconciliation:
    r = Reconciliation(sent=len(answers))
    r.accepted = sum(200 <= a.status < 300 for a in answers)
    r.unanswered = sum(a.status == 0 for a in answers)
    r.rejected = r.sent - r.accepted - r.unanswered
    e = expected(answers)
    r.heartbeats_expected, r.heartbeats_unanswered = e.heartbeats, e.heartbeats_unanswered
    r.expected_stored = len(e.must)
    rows = client.query(
        f"SELECT {MARKER} AS m, uniqExact(event_id), count() FROM events "
        "WHERE startsWith(m, %(p)s) GROUP BY m",
        parameters={"p": f"/lg/{run}/"},
    ).result_rows
    counts = {m: n for m, n, _ in rows}
    r.raw_duplicate_rows = sum(raw - n for _, n, raw in rows)
    r.stored = sum(1 for m in e.must if counts.get(m, 0) >= 1)
    r.lost = len(e.must) - r.stored
    paths = {a.hit.marker: a.hit.path for a in answers if a.hit.marker}
    r.lost_by_path = dict(Counter(paths[m] for m in e.must if counts.get(m, 0) == 0))
    r.duplicates = sum(n - 1 for m, n in counts.items() if n > 1)
    r.unexpected = sum(1 for m in counts if m not in e.must and m not in e.may)
    # Each run has a database of its own, so every heartbeat in it is this run's. Distinct ids:
    # a redelivered heartbeat is the same event until ReplacingMergeTree folds the copies.
    r.heartbeats_stored = client.query(
        "SELECT uniqExact(event_id) FROM events "
        "WHERE vendor = 'swetrix' AND event_type = 'heartbeat' AND NOT is_bot"
    ).result_rows[0][0]
    _check_people(r, client, run, e.visitors_per_site(set(counts)))
    r.derived_mismatches = mismatches(lambda sql: client.query(sql).result_rows)
    return r


def _check_people(r: Reconciliation, client: Any, run: str, people: Counter[str]) -> None:
    # The hot visitor is left out: it is a bot only by behaviour, so its first events (before it
    # exceeds the rate) are rightly counted as a person, which the generator cannot predict.
    rows = client.query(
        "SELECT site_id, uniqExactIf(visitor_key, visitor_key != ''), "
        "uniqExactIf(session_id, session_id != '') FROM events "
        "WHERE startsWith(site_id, 'lg') AND NOT is_bot AND event_type != 'heartbeat' "
        f"AND startsWith({MARKER}, %(p)s) AND NOT startsWith({MARKER}, %(h)s) GROUP BY site_id",
        parameters={"p": f"/lg/{run}/", "h": f"/lg/{run}/h"},
    ).result_rows
    got = {site: (v, s) for site, v, s in rows}
    for site, want in people.items():
        visitors, sessions = got.get(site, (0, 0))
        if visitors != want:
            r.visitor_mismatches[site] = (want, visitors)
        if sessions != want:
            r.session_mismatches[site] = (want, sessions)
