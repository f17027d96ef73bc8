"""Filters from URL parameters: closed dimensions, properties by key, caps."""

from __future__ import annotations

import pytest

from dashboard.errors import BadParameter
from dashboard.filters import DIMENSIONS, MAX_VALUE_CHARS, PROP, Filter, parse

CONTRACT = [
    "page",
    "entry_page",
    "exit_page",
    "hostname",
    "language",
    "event",
    "channel",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "country",
    "region",
    "city",
    "device",
    "browser",
    "os",
]


def test_the_dimensions_are_the_contracts() -> None:
    assert sorted(DIMENSIONS) == sorted(CONTRACT)


def test_reads_filters_in_order_and_ignores_everything_else() -> None:
    got = parse([("period", "7d"), ("f.country", "DE"), ("limit", "5"), ("f.page", "/pricing"), ("fx", "y")])
    assert got == (Filter("country", "DE"), Filter("page", "/pricing"))


def test_every_dimension_parses() -> None:
    assert parse([(f"f.{d}", "v") for d in DIMENSIONS]) == tuple(Filter(d, "v") for d in DIMENSIONS)


def test_property_filters_carry_their_key() -> None:
    (f,) = parse([("f.prop.plan", "pro")])
    assert (f.dimension, f.key, f.value, f.name) == (PROP, "plan", "pro", "prop.plan")
    (g,) = parse([("f.prop.a.b", "x")])
    assert g.key == "a.b"


def test_values_are_kept_verbatim_even_empty_or_hostile() -> None:
    hostile = "x' OR 1=1 --\\\n\t{p0:String} 🙂"
    got = parse([("f.referrer", ""), ("f.page", hostile)])
    assert got == (Filter("referrer", ""), Filter("page", hostile))


def test_repeats_are_kept_once() -> None:
    assert parse([("f.os", "iOS"), ("f.os", "iOS"), ("f.os", "Android")]) == (
        Filter("os", "iOS"),
        Filter("os", "Android"),
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("f.nope", "x"),
        ("f.", "x"),
        ("f.prop.", "x"),
        ("f.prop", "x"),
        ("f.page_path", "/"),
        ("f.country", "x" * (MAX_VALUE_CHARS + 1)),
        ("f.prop." + "k" * (MAX_VALUE_CHARS + 1), "x"),
        ("f.page", "a\x00b"),
    ],
)
def test_nonsense_is_refused_naming_the_parameter(name: str, value: str) -> None:
    with pytest.raises(BadParameter) as e:
        parse([(name, value)])
    assert e.value.parameter == name and e.value.message


def test_a_value_at_the_cap_is_fine() -> None:
    assert parse([("f.page", "x" * MAX_VALUE_CHARS)])[0].value == "x" * MAX_VALUE_CHARS


def test_too_many_filters_are_refused() -> None:
    with pytest.raises(BadParameter):
        parse([("f.page", str(n)) for n in range(100)])


def test_scope_of_each_dimension() -> None:
    event_scoped = {"page", "hostname", "language", "event"}
    for d in DIMENSIONS:
        assert Filter(d, "v").session_scoped == (d not in event_scoped)
    assert not Filter(PROP, "v", "k").session_scoped
