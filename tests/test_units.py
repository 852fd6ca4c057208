"""Amounts and units: exact decimals, clear refusals, exact conversions only."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shotlee.lib.units import AmountError, Unit, convert_micro, from_micro, parse_amount, parse_unit, to_micro


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.25", Decimal("0.25")),
        (0.1, Decimal("0.1")),
        (2, Decimal(2)),
        (" 1.5 ", Decimal("1.5")),
        ("0.000001", Decimal("0.000001")),
    ],
)
def test_amounts_parse_exactly(raw, expected):
    assert parse_amount(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (float("-inf"), "finite"),
        ("NaN", "finite"),
        ("Infinity", "finite"),
        ("1e309", "at most"),
        (1e309, "finite"),
        ("-1", "greater than zero"),
        ("-0", "greater than zero"),
        (0, "greater than zero"),
        ("0.0000001", "decimal places"),
        ("abc", "not a number"),
        ("", "not a number"),
        (None, "must be a number"),
        (True, "must be a number"),
        ([], "must be a number"),
        ("1" * 50, "too long"),
        ("2000000", "at most"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason(raw, message):
    with pytest.raises(AmountError, match=message):
        parse_amount(raw)


def test_units_accept_common_spellings_and_refuse_others():
    assert parse_unit("µg") is Unit.MCG
    assert parse_unit("ML") is Unit.ML
    with pytest.raises(AmountError, match="unknown unit"):
        parse_unit("grains")


def test_mg_and_mcg_convert_exactly_and_nothing_else_converts():
    assert convert_micro(to_micro(Decimal("1")), Unit.MG, Unit.MCG) == to_micro(Decimal("1000"))
    assert convert_micro(to_micro(Decimal("250")), Unit.MCG, Unit.MG) == to_micro(Decimal("0.25"))
    assert convert_micro(1, Unit.MCG, Unit.MG) is None  # 0.000001 mcg -> mg would lose precision
    for src, dst in [(Unit.IU, Unit.MG), (Unit.ML, Unit.MG), (Unit.UNITS, Unit.IU), (Unit.MG, Unit.ML)]:
        assert convert_micro(1_000_000, src, dst) is None


@given(st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("1000"), places=6))
def test_mg_to_mcg_round_trip_is_exact(amount):
    micro = to_micro(amount)
    there = convert_micro(micro, Unit.MG, Unit.MCG)
    assert there is not None
    assert convert_micro(there, Unit.MCG, Unit.MG) == micro
    assert from_micro(micro) == amount
