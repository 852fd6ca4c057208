"""Each safety rule on its own (shotlee/lib/rules.py): a function per warning code, given a Case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shotlee.lib import rules
from shotlee.lib.rules import Case, Dose, Limits, Neighbours
from shotlee.lib.units import Unit

T = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
MG, MCG, ML = Unit.MG, Unit.MCG, Unit.ML
DAY = timedelta(days=1)
WEEK = timedelta(weeks=1)


def mg(amount: float) -> int:
    return int(round(amount * 1_000_000))


def case(candidate: Dose | None = None, limits: Limits | None = None, **kw) -> Case:
    return Case(
        candidate=candidate or Dose(T, mg(1), MG),
        limits=limits,
        neighbours=kw.pop("neighbours", Neighbours()),
        compound=kw.pop("compound", "semaglutide"),
        **kw,
    )


# ---- too_soon


def test_too_soon_names_the_dose_before_and_the_protocol_s_minimum():
    c = case(limits=Limits(MG, min_interval=5 * DAY), neighbours=Neighbours(previous=Dose(T - 2 * DAY, mg(1), MG)))
    warning = rules.too_soon(c)
    assert warning is not None and warning.code == "too_soon"
    assert "Only 2 days after" in warning.message and "5 days" in warning.message


def test_too_soon_looks_at_the_dose_after_a_back_dated_one():
    c = case(limits=Limits(MG, min_interval=DAY), neighbours=Neighbours(following=Dose(T + timedelta(hours=3), 1, MG)))
    assert "before your semaglutide dose" in rules.too_soon(c).message


def test_too_soon_is_silent_without_a_minimum_or_with_enough_gap():
    far = Neighbours(previous=Dose(T - DAY, mg(1), MG))
    assert rules.too_soon(case(limits=Limits(MG), neighbours=far)) is None
    assert rules.too_soon(case(limits=Limits(MG, min_interval=DAY), neighbours=far)) is None  # exactly the minimum
    assert rules.too_soon(case(limits=None, neighbours=far)) is None


# ---- over_single_max


def test_over_single_max_converts_before_comparing():
    limits = Limits(MG, max_single_micro=mg(1))
    assert rules.over_single_max(case(Dose(T, 1000 * 1_000_000, MCG), limits)) is None
    warning = rules.over_single_max(case(Dose(T, 1001 * 1_000_000, MCG), limits))
    assert warning.code == "over_single_max" and "1.001 mg" in warning.message


def test_over_single_max_leaves_an_unconvertible_unit_to_unit_mismatch():
    assert rules.over_single_max(case(Dose(T, mg(50), ML), Limits(MG, max_single_micro=mg(1)))) is None


# ---- over_window_max


def test_over_window_max_sums_the_window_holding_the_dose():
    limits = Limits(MG, window=DAY, window_max_micro=mg(2))
    near = Neighbours(window=[Dose(T - timedelta(hours=3), mg(1), MG), Dose(T + timedelta(hours=3), mg(1), MG)])
    warning = rules.over_window_max(case(Dose(T, mg(0.5), MG), limits, neighbours=near))
    assert warning.code == "over_window_max" and "2.5 mg" in warning.message


def test_over_window_max_is_silent_when_the_caller_found_no_window_can_exceed_the_cap():
    limits = Limits(MG, window=DAY, window_max_micro=mg(2))
    assert rules.over_window_max(case(Dose(T, mg(1), MG), limits, neighbours=Neighbours(window=[]))) is None


def brute_peak(candidate: Dose, others: list[Dose], window: timedelta) -> int:
    t = candidate.occurred_at
    everything = [*others, candidate]
    starts = {d.occurred_at for d in everything if t - window < d.occurred_at <= t}
    return max(sum(d.amount_micro for d in everything if s <= d.occurred_at < s + window) for s in starts)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-600, 600), st.integers(1, 5)), max_size=30),
    st.integers(1, 300),
)
def test_the_window_sweep_finds_the_same_peak_as_checking_every_start(others, window_minutes):
    candidate = Dose(T, 3, MG)
    doses = [Dose(T + timedelta(minutes=m), amount, MG) for m, amount in others]
    window = timedelta(minutes=window_minutes)
    assert rules.window_peak(candidate, doses, window) == brute_peak(candidate, doses, window)


# ---- possible_duplicate, unit_mismatch, class_overlap


def test_possible_duplicate_fires_on_the_neighbour_the_caller_found():
    near = Neighbours(duplicate=Dose(T - timedelta(minutes=4), mg(1), MG))
    warning = rules.possible_duplicate(case(neighbours=near))
    assert warning.code == "possible_duplicate" and "another device" in warning.message
    assert rules.possible_duplicate(case()) is None


def test_unit_mismatch_only_with_a_protocol_unit_it_cannot_convert_to():
    assert rules.unit_mismatch(case(Dose(T, mg(1), ML), Limits(MG))).code == "unit_mismatch"
    assert rules.unit_mismatch(case(Dose(T, mg(1), MCG), Limits(MG))) is None
    assert rules.unit_mismatch(case(Dose(T, mg(1), ML), None)) is None


def test_class_overlap_names_the_other_protocols():
    warning = rules.class_overlap(case(overlapping=["Finasteride 1 mg", "Dutasteride"]))
    assert warning.code == "class_overlap" and "Finasteride 1 mg, Dutasteride" in warning.message
    assert rules.class_overlap(case()) is None


# ---- off_schedule


@pytest.mark.parametrize(
    ("days_after_previous", "fires"),
    [(1, True), (3, True), (3.5, False), (4, False), (7, False), (30, False)],
)
def test_off_schedule_fires_on_a_dose_more_than_half_a_step_early(days_after_previous, fires):
    previous = Dose(T - WEEK, mg(1), MG)
    at = previous.occurred_at + timedelta(days=days_after_previous)
    c = case(Dose(at, mg(1), MG), Limits(MG), neighbours=Neighbours(previous=previous), due_at=T)
    warning = rules.off_schedule(c)
    assert (warning is not None) is fires
    if fires:
        assert warning.code == "off_schedule" and "before it was due" in warning.message


def test_off_schedule_leaves_early_doses_to_too_soon_when_the_protocol_has_a_minimum_interval():
    previous = Dose(T - WEEK, mg(1), MG)
    c = case(
        Dose(T - 5 * DAY, mg(1), MG),
        Limits(MG, min_interval=5 * DAY),
        neighbours=Neighbours(previous=previous),
        due_at=T,
    )
    assert rules.off_schedule(c) is None
    assert [w.code for w in rules.evaluate(c)] == ["too_soon"]


def test_off_schedule_needs_a_schedule_and_a_dose_before():
    assert rules.off_schedule(case(limits=Limits(MG), due_at=T + WEEK)) is None  # no dose before
    near = Neighbours(previous=Dose(T - DAY, mg(1), MG))
    assert rules.off_schedule(case(limits=Limits(MG), neighbours=near)) is None  # no schedule: no due time


# ---- composition


def test_evaluate_lists_warnings_in_the_order_of_the_design():
    limits = Limits(MG, min_interval=DAY, max_single_micro=mg(1))
    near = Neighbours(
        previous=Dose(T - timedelta(minutes=5), mg(2), MG), duplicate=Dose(T - timedelta(minutes=5), mg(2), MG)
    )
    codes = [w.code for w in rules.evaluate(case(Dose(T, mg(2), MG), limits, neighbours=near, overlapping=["x"]))]
    assert codes == ["too_soon", "over_single_max", "possible_duplicate", "class_overlap"]


def test_neighbours_from_a_list_pick_the_nearest_on_each_side():
    history = [Dose(T - 3 * DAY, 1, MG), Dose(T - DAY, 1, MG), Dose(T + DAY, 1, MG), Dose(T + 3 * DAY, 1, MG)]
    near = rules.neighbours(Dose(T, 2, MG), history, MG)
    assert near.previous.occurred_at == T - DAY and near.following.occurred_at == T + DAY
    assert near.duplicate is None


# ---- long_ago


def test_long_ago_asks_to_check_the_year_of_a_dose_more_than_a_year_back():
    warning = rules.long_ago(case(candidate=Dose(datetime(1900, 1, 1, 8, tzinfo=UTC), mg(1), MG), now=T))
    assert warning is not None and warning.code == "long_ago"
    assert "1 January 1900" in warning.message and "Check the year" in warning.message
    assert "long_ago" in rules.CODES and rules.LABELS["long_ago"] == "More than a year ago"


def test_long_ago_is_silent_within_a_year_and_without_a_clock():
    assert rules.long_ago(case(candidate=Dose(T - timedelta(days=365), mg(1), MG), now=T)) is None
    assert rules.long_ago(case(candidate=Dose(T - timedelta(days=366), mg(1), MG), now=T)) is not None
    assert rules.long_ago(case(candidate=Dose(T - timedelta(days=3000), mg(1), MG))) is None  # now=None
