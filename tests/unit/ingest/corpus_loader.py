"""The wire-level request corpus (tests/unit/ingest/corpus/<vendor>.json): the vendor docs' own
examples (`source: doc`), what the vendors' real clients and trackers send (`source: client`:
Swetrix's Node client and browser tracker, ZTA's tracker batches, relaying backends' HTTP
libraries), then edge cases (`source: edge`), each with its expected answer.

Expectations: `status`; the body (`response`, `raw_response`, `response_subset`, `response_keys`,
`response_contains`); `response_headers`; `stored`/`filtered` events; `published`, a subset of
each published canonical event (`published_ip`: the visitor's IP travelled, encrypted); `rows`,
a subset of each stored ClickHouse row, checked end to end through the real pipeline
(tests/integration/test_real_traffic.py); `touches`, Swetrix session verdicts asked."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from tests.unit.ingest import fakes

CORPUS_DIR = Path(__file__).parent / "corpus"
VENDORS = ("simple_analytics", "zero_trust", "swetrix", "supalytics", "hitkeep")
_SUBST = {
    "$SUPALYTICS_KEY": fakes.SUPALYTICS_KEY,
    "$HITKEEP_TOKEN": fakes.HITKEEP_TOKEN,
    "$HITKEEP_READONLY": fakes.HITKEEP_READONLY,
    "$OTHER_SITE_TOKEN": fakes.OTHER_SITE_TOKEN,
    "$LONG256": "x" * 256,
    "$LONG255": "x" * 255,
    "$LONG2001": "x" * 2001,
}


def _subst(text: str) -> str:
    for k, v in _SUBST.items():
        text = text.replace(k, v)
    return text


@dataclass(frozen=True)
class Case:
    vendor: str
    spec: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.vendor}: {self.spec['name']}"

    @property
    def method(self) -> str:
        return str(self.spec["method"])

    @property
    def path(self) -> str:
        return str(self.spec["path"])

    @property
    def headers(self) -> dict[str, str]:
        return {k: _subst(v) for k, v in self.spec.get("headers", {}).items()}

    @property
    def body(self) -> bytes:
        if "raw" in self.spec:
            return _subst(self.spec["raw"]).encode()
        # As JavaScript's JSON.stringify writes it (compact, UTF-8): a Content-Length that a case
        # sets by hand, as the docs' Node.js example does, then matches the body sent.
        return _subst(json.dumps(self.spec["body"], separators=(",", ":"), ensure_ascii=False)).encode()


def load(vendors: tuple[str, ...] = VENDORS) -> list[Case]:
    return [Case(v, spec) for v in vendors for spec in json.loads((CORPUS_DIR / f"{v}.json").read_text())]


def check_answer(case: Case, status: int, headers: dict[str, str], body: bytes) -> None:
    """The answer matches the case's expectations (`headers` with lower-case names)."""
    spec = case.spec
    assert status == spec["status"], (case.id, status, body)
    if "response" in spec:
        assert orjson.loads(body) == spec["response"], (case.id, body)
    if "raw_response" in spec:
        assert body == spec["raw_response"].encode(), (case.id, body)
    if "response_subset" in spec:
        got = orjson.loads(body)
        assert {k: got.get(k) for k in spec["response_subset"]} == spec["response_subset"], case.id
    if "response_keys" in spec:
        assert sorted(orjson.loads(body)) == sorted(spec["response_keys"]), case.id
    if "response_contains" in spec:
        assert spec["response_contains"] in body.decode(), (case.id, body)
    for name, value in spec.get("response_headers", {}).items():
        assert headers.get(name) == value, (case.id, name, headers)
