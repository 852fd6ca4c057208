"""The level curve: hand-computed values, the recurrence against the direct sum, voided doses, zones, no data."""

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shotlee.lib.levels import Pk, curve, curve_at, direct, fit_half_life, fit_scale, ka_from_tmax

LN2 = math.log(2)


def test_one_dose_without_absorption_halves_every_half_life():
    pk = Pk(half_life_hours=10)
    assert curve([(0, 100)], [0, 10, 20, 30], pk) == pytest.approx([100, 50, 25, 12.5], rel=1e-12)


def test_one_dose_with_absorption_is_the_bateman_function():
    # ke = ln2/10, ka = 1: A(5) = 100 * 1 * (e^(-ke 5) - e^(-5)) / (1 - ke), worked out by hand below.
    ke = LN2 / 10
    pk = Pk(half_life_hours=10, ka_per_hour=1.0, bioavailability=0.5)
    expected = 0.5 * 100 * (math.exp(-ke * 5) - math.exp(-5)) / (1 - ke)
    assert expected == pytest.approx(37.6265, abs=1e-4)  # 50 * (0.707107 - 0.006738) / 0.930685
    assert curve([(0, 100)], [-1, 0, 5], pk) == pytest.approx([0, 0, expected], rel=1e-12)


def test_two_doses_add_up():
    pk = Pk(half_life_hours=24)
    # 100 at 0 and 50 at 24: at 48 h, 100/4 + 50/2 = 50; at 12 h only the first counts.
    assert curve([(24, 50), (0, 100)], [12, 48], pk) == pytest.approx([100 / math.sqrt(2), 50], rel=1e-12)


def test_equal_rates_use_the_limit():
    pk = Pk(half_life_hours=LN2, ka_per_hour=1.0)  # ke = ka = 1: A = D ka t e^(-t)
    assert curve([(0, 10)], [2], pk) == pytest.approx([10 * 2 * math.exp(-2)], rel=1e-12)


def test_a_voided_dose_leaves_the_curve():
    """The curve reads only effective doses: drawn without the voided one it equals the curve of the rest."""
    pk = Pk(half_life_hours=36, ka_per_hour=0.5)
    kept, voided = [(0.0, 100.0), (48.0, 100.0)], (24.0, 100.0)
    times = [float(t) for t in range(0, 96, 6)]
    with_void = curve([*kept, voided], times, pk)
    without = curve(kept, times, pk)
    assert without == pytest.approx(direct(kept, times, pk), rel=1e-12)
    assert with_void[5] > without[5]  # at 30 h the voided dose would show


def test_no_doses_or_no_times():
    pk = Pk(half_life_hours=5)
    assert curve([], [0, 1, 2], pk) == [0, 0, 0]
    assert curve([(0, 1)], [], pk) == []


def test_times_out_of_order_are_refused():
    with pytest.raises(ValueError, match="ascending"):
        curve([], [2, 1], Pk(half_life_hours=5))


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata"])
def test_zones_do_not_change_the_curve(zone):
    pk = Pk(half_life_hours=12, ka_per_hour=2)
    tz = ZoneInfo(zone)
    base = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)  # across London's clock change
    doses = [(base.astimezone(tz), 10.0), ((base + timedelta(hours=30)).astimezone(tz), 10.0)]
    times = [(base + timedelta(hours=h)).astimezone(tz) for h in range(0, 72, 3)]
    utc = curve_at([(a.astimezone(UTC), d) for a, d in doses], [t.astimezone(UTC) for t in times], pk)
    assert curve_at(doses, times, pk) == utc


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="zone"):
        curve_at([(datetime(2026, 1, 1), 1.0)], [], Pk(half_life_hours=5))


def test_ka_from_tmax_puts_the_peak_at_tmax():
    ke = LN2 / 24
    ka = ka_from_tmax(3, ke)
    assert math.log(ka / ke) / (ka - ke) == pytest.approx(3, rel=1e-9)
    pk = Pk.from_guide({"half_life_hours": 24, "tmax_hours": 3})
    values = curve([(0, 1)], [2.9, 3, 3.1], pk)
    assert values[1] > values[0] and values[1] > values[2]


def test_fit_scale_recovers_a_factor_and_says_how_sure():
    k, error = fit_scale([1, 2, 3, 4], [2.1, 3.9, 6.1, 7.9])
    assert k == pytest.approx(2.0, abs=0.02) and 0 < error < 0.05
    assert fit_scale([1], [2]) is None


doses_st = st.lists(
    st.tuples(st.floats(0, 2000, allow_nan=False), st.floats(0.001, 1000, allow_nan=False)), max_size=40
)


@settings(max_examples=50, deadline=None)
@given(
    doses=doses_st,
    half_life=st.floats(0.5, 2000),
    ka=st.one_of(st.none(), st.floats(0.001, 20)),
    f=st.floats(0.01, 1),
    times=st.lists(st.floats(-10, 3000, allow_nan=False), max_size=60),
)
def test_recurrence_matches_the_direct_sum(doses, half_life, ka, f, times):
    pk = Pk(half_life, ka, f)
    times = sorted(times)
    fast, slow = curve(doses, times, pk), direct(doses, times, pk)
    for a, b in zip(fast, slow, strict=True):
        assert abs(a - b) <= 1e-9 * max(abs(b), 1e-100)  # below 1e-100 of a unit both are nothing


def test_fit_half_life_recovers_a_half_life_from_exact_labs():
    true = Pk(half_life_hours=100)
    doses = [(0.0, 200.0), (168.0, 200.0), (336.0, 200.0)]
    labs = [24.0, 96.0, 200.0, 300.0, 400.0]
    measured = [0.05 * v for v in curve(doses, labs, true)]  # a lab unit per mg of 0.05
    fit = fit_half_life(doses, labs, measured, Pk(half_life_hours=150))
    assert fit.half_life_hours == pytest.approx(100, rel=1e-3) and fit.scale == pytest.approx(0.05, rel=1e-3)
    assert fit_half_life(doses, labs[:2], measured[:2], true) is None


def test_fit_half_life_gives_an_uncertainty_with_noisy_labs():
    true = Pk(half_life_hours=100)
    doses = [(0.0, 200.0), (168.0, 200.0)]
    labs = [24.0, 96.0, 200.0, 300.0]
    noise = [1.03, 0.97, 1.02, 0.98]
    measured = [n * v for n, v in zip(noise, curve(doses, labs, true), strict=True)]
    fit = fit_half_life(doses, labs, measured, true)
    assert 70 < fit.half_life_hours < 140 and fit.standard_error_hours is not None and fit.standard_error_hours > 0
