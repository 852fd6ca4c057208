"""Metric conversions are exact and round-trip; ranges refuse the impossible and flag the unusual."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shotlee.lib import metrics as lib

D = Decimal


@pytest.mark.parametrize(
    ("key", "value", "unit", "canonical"),
    [
        ("weight", D("100"), "lb", D("45.359237")),
        ("waist", D("32"), "in", D("81.28")),
        ("glucose", D("90.08"), "mg/dL", D("5")),
        ("testosterone_total", D("576.84"), "ng/dL", D("20")),
        ("dht", D("58.088"), "ng/dL", D("2")),
        ("estradiol", D("10"), "pg/mL", D("36.713")),
        ("cholesterol_total", D("193.325"), "mg/dL", D("5")),
        ("triglycerides", D("177.14"), "mg/dL", D("2")),
        ("hba1c", D("53"), "mmol/mol", D("53") / D("10.929") + D("2.15")),
    ],
)
def test_conversions_use_the_published_factors(key, value, unit, canonical):
    assert lib.to_canonical(lib.BUILT_IN[key], value, unit) == canonical


@given(
    key=st.sampled_from([k for k, s in lib.BUILT_IN.items() if s.units]),
    value=st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2),
)
def test_every_conversion_round_trips(key, value):
    spec = lib.BUILT_IN[key]
    for unit in spec.units:
        back = lib.from_canonical(spec, lib.to_canonical(spec, value, unit), unit)
        assert abs(back - value) < D("1e-20")


@pytest.mark.parametrize(
    ("key", "value", "outcome"),
    [
        ("weight", D("70"), ""),
        ("weight", D("30"), "unusual"),
        ("weight", D("900"), "refused"),
        ("weight", D("-1"), "refused"),
        ("blood_pressure", D("20"), "refused"),
        ("blood_pressure", D("300"), "unusual"),
        ("hematocrit", D("56"), "unusual"),
        ("psa", D("0.5"), ""),
    ],
)
def test_ranges_refuse_impossible_values_and_flag_unusual_ones(key, value, outcome):
    spec = lib.BUILT_IN[key]
    if outcome == "refused":
        with pytest.raises(lib.MetricError, match="not possible"):
            lib.check_range(spec, value)
    else:
        assert (outcome in lib.check_range(spec, value)) if outcome else lib.check_range(spec, value) == ""


@pytest.mark.parametrize("raw", [float("nan"), "inf", True, None, "1.23456", "abc", []])
def test_bad_values_are_refused(raw):
    with pytest.raises(lib.MetricError):
        lib.parse_value(raw)
