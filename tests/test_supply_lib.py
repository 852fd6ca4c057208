"""Supply arithmetic (shotlee/lib/supply.py): exact conversions, reconstitution, refusals, FIFO, what is left."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shotlee.lib import supply
from shotlee.lib.supply import Concentration, Stock, SupplyError

# ---- hand-computed cases


def test_five_mg_powder_in_two_ml_is_two_and_a_half_mg_per_ml():
    conc = supply.reconstitute("5", "2")
    assert conc.per_ml == Fraction(5, 2)
    assert conc.text() == "2.5 mg/mL"


def test_a_quarter_mg_is_a_tenth_of_a_ml_is_ten_units_on_u100():
    dose = supply.convert("0.25", "mg", supply.reconstitute("5", "2"))
    assert (dose.mg, dose.ml, dose.units) == (Fraction(1, 4), Fraction(1, 10), Fraction(10))
    assert dose.is_exact
    assert dose.steps == (
        "5 mg ÷ 2 mL = 2.5 mg/mL",
        "0.25 mg ÷ 2.5 mg/mL = 0.1 mL",
        "0.1 mL × 100 units/mL = 10 units",
    )


def test_ten_units_on_u40_is_a_quarter_ml():
    dose = supply.convert(10, "syringe_units", Concentration(Decimal(2)), "U-40")
    assert dose.ml == Fraction(1, 4) and dose.mg == Fraction(1, 2)
    assert dose.steps[0] == "10 units ÷ 40 units/mL (U-40 syringe) = 0.25 mL"


def test_a_concentration_that_does_not_terminate_converts_back_exactly_and_shows_that_it_is_rounded():
    conc = supply.reconstitute(5, 3)  # 1.666… mg/mL
    dose = supply.convert(20, "syringe_units", conc)
    assert dose.mg == Fraction(1, 3)
    assert not dose.is_exact
    assert supply.show(dose.mg) == "≈ 0.333333"
    assert supply.convert(supply.rounded(dose.ml), "mL", conc).units == 20


def test_ml_in_gives_mg_and_units():
    dose = supply.convert("0.5", "mL", Concentration(Decimal(250)))
    assert dose.mg == 125 and dose.units == 50


@pytest.mark.parametrize(
    ("call", "field", "words"),
    [
        (lambda: supply.reconstitute(0, 2), "powder", "greater than zero"),
        (lambda: supply.reconstitute(5, "-1"), "diluent", "greater than zero"),
        (lambda: supply.reconstitute("x", 2), "powder", "not a number"),
        (lambda: supply.reconstitute(5000, "0.001"), "diluent", "more than 1,000 mg/mL"),
        (lambda: supply.reconstitute(5, 5000), "diluent", "at most 1,000"),
        (lambda: supply.concentration("0"), "strength", "greater than zero"),
        (lambda: supply.concentration("1e30"), "strength", "at most"),
        (lambda: supply.concentration("0.0000001"), "strength", "6 decimal places"),
        (lambda: supply.convert(0, "mg", Concentration(Decimal(1))), "amount", "greater than zero"),
        (lambda: supply.convert(1, "cc", Concentration(Decimal(1))), "unit", "must be one of"),
        (lambda: supply.convert(1, "mg", Concentration(Decimal(1)), "U-50"), "syringe", "U-100, U-40"),
        (lambda: supply.convert(float("nan"), "mg", Concentration(Decimal(1))), "amount", "finite"),
    ],
)
def test_impossible_inputs_are_refused_naming_the_field(call, field, words):
    with pytest.raises(SupplyError) as refused:
        call()
    assert refused.value.field == field and words in refused.value.message


def test_the_smallest_syringe_that_holds_a_volume():
    assert supply.syringe_for(Fraction(1, 10)) == Decimal("0.3")
    assert supply.syringe_for(Fraction(4, 10)) == Decimal("0.5")
    assert supply.syringe_for(Fraction(1)) == Decimal(1)
    assert supply.syringe_for(Fraction(11, 10)) is None


# ---- properties: round trips in realistic ranges

concentrations = st.builds(
    Concentration,
    st.decimals(min_value=Decimal("0.1"), max_value=Decimal(100), places=2).filter(lambda d: d > 0),
    st.sampled_from([Decimal(1), Decimal("0.5"), Decimal(1), Decimal(2), Decimal(3), Decimal("2.5")]),
)
volumes = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1), places=3).filter(lambda d: d > 0)


@settings(max_examples=50, deadline=None)
@given(concentrations, volumes, st.sampled_from(["U-100", "U-40"]))
def test_ml_to_mg_to_units_and_back_is_exact(conc, ml, syringe):
    dose = supply.convert(ml, "mL", conc, syringe)
    assert supply.mg_to_ml(dose.mg, conc) == ml
    assert supply.units_to_ml(dose.units, syringe) == ml
    back = supply.convert(supply.rounded(dose.units), "syringe_units", conc, syringe)
    assert back.ml == ml and back.mg == dose.mg


@settings(max_examples=50, deadline=None)
@given(concentrations, st.integers(1, 100))
def test_whole_u100_units_round_trip_through_mg(conc, units):
    dose = supply.convert(units, "syringe_units", conc)
    assert supply.ml_to_units(supply.mg_to_ml(dose.mg, conc)) == units


@settings(max_examples=50, deadline=None)
@given(st.decimals(min_value=Decimal("-1000"), max_value=Decimal(0), places=3))
def test_zero_and_negative_are_always_refused(value):
    with pytest.raises(SupplyError):
        supply.convert(value, "mg", Concentration(Decimal(1)))
    with pytest.raises(SupplyError):
        supply.reconstitute(value, 1)


# ---- what is left; FIFO

TODAY = date(2026, 6, 1)


def test_remaining_counts_adjustments_and_draws_and_nothing_once_discarded():
    assert supply.remaining_micro(5_000_000, -500_000, 1_000_000) == 3_500_000
    assert supply.remaining_micro(5_000_000, 0, 6_000_000) == 0
    assert supply.remaining_micro(5_000_000, 0, 0, discarded=True) == 0
    assert supply.doses_left(3_500_000, 1_000_000) == 3


def test_usable_until_is_the_earlier_of_expiry_and_beyond_use():
    assert supply.usable_until(date(2026, 12, 1), date(2026, 6, 1), 28) == date(2026, 6, 29)
    assert supply.usable_until(date(2026, 6, 10), date(2026, 6, 1), 28) == date(2026, 6, 10)
    assert supply.usable_until(None, None, None) is None
    assert supply.expired(date(2026, 5, 31), TODAY) and not supply.expired(TODAY, TODAY)


def test_fifo_takes_the_open_one_expiring_first():
    a = Stock("a", 1, opened=True, until=date(2026, 9, 1), order=1)
    b = Stock("b", 1, opened=True, until=date(2026, 7, 1), order=2)
    c = Stock("c", 1, opened=False, until=date(2026, 6, 15), order=0)
    assert supply.fifo([a, b, c], TODAY).key == "b"


def test_fifo_skips_empty_and_prefers_unexpired_then_the_first_added():
    empty = Stock("empty", 0, opened=True, until=None, order=0)
    old = Stock("old", 5, opened=True, until=date(2026, 5, 1), order=1)
    one = Stock("one", 5, opened=False, until=None, order=3)
    two = Stock("two", 5, opened=False, until=None, order=2)
    assert supply.fifo([empty, old, one, two], TODAY).key == "two"
    assert supply.fifo([empty, old], TODAY).key == "old"  # only an expired one: drawn from, and warned about
    assert supply.fifo([empty], TODAY) is None


def test_runs_out_counts_schedule_steps_from_the_next_due_time():
    start = datetime(2026, 6, 1, 9, tzinfo=UTC)
    weekly = lambda at: at + timedelta(weeks=1)  # noqa: E731
    assert supply.runs_out(start, 0, weekly) == start
    assert supply.runs_out(start, 3, weekly) == start + timedelta(weeks=3)
    assert supply.runs_out(start, 5000, weekly) is None
