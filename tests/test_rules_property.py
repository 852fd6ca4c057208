"""Property test: the rules agree with a brute-force reference model on random histories.

The reference model knows nothing about neighbours or window starts: it scans
every minute-aligned window and every dose. Times are on a minute grid, so the
scan is exhaustive.
"""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shotlee.lib import rules
from shotlee.lib.rules import Dose, Limits
from shotlee.lib.units import Unit

T0 = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # a DST weekend in Europe: UTC arithmetic must not care
MINUTE = timedelta(minutes=1)
DUPLICATE = timedelta(minutes=30)

minutes = st.integers(min_value=0, max_value=3 * 24 * 60)
amounts = st.sampled_from([250_000, 500_000, 1_000_000, 2_000_000])


def reference(candidate: Dose, limits: Limits, history: list[Dose]) -> set[str]:
    fired = set()
    t = candidate.occurred_at
    if limits.min_interval and any(abs(d.occurred_at - t) < limits.min_interval for d in history):
        fired.add("too_soon")
    if limits.max_single_micro is not None and candidate.amount_micro > limits.max_single_micro:
        fired.add("over_single_max")
    if limits.window and limits.window_max_micro is not None:
        everything = [*history, candidate]
        steps = int(limits.window / MINUTE)
        for back in range(steps):  # every window [s, s + W) with t - W < s <= t
            start = t - back * MINUTE
            total = sum(d.amount_micro for d in everything if start <= d.occurred_at < start + limits.window)
            if total > limits.window_max_micro:
                fired.add("over_window_max")
                break
    if any(d.amount_micro == candidate.amount_micro and abs(d.occurred_at - t) < DUPLICATE for d in history):
        fired.add("possible_duplicate")
    return fired


@settings(max_examples=300, deadline=None)
@given(
    history=st.lists(st.tuples(minutes, amounts), max_size=8),
    candidate=st.tuples(minutes, amounts),
    min_interval_h=st.sampled_from([None, 1, 6, 24]),
    max_single=st.sampled_from([None, 500_000, 1_000_000]),
    window=st.sampled_from([None, (6, 1_500_000), (24, 3_000_000)]),
)
def test_rules_match_the_reference_model(history, candidate, min_interval_h, max_single, window):
    limits = Limits(
        Unit.MG,
        min_interval=timedelta(hours=min_interval_h) if min_interval_h else None,
        max_single_micro=max_single,
        window=timedelta(hours=window[0]) if window else None,
        window_max_micro=window[1] if window else None,
    )
    past = [Dose(T0 + m * MINUTE, a, Unit.MG) for m, a in history]
    new = Dose(T0 + candidate[0] * MINUTE, candidate[1], Unit.MG)
    got = {w.code for w in rules.check(new, limits, past, compound="x", duplicate_window=DUPLICATE)}
    assert got == reference(new, limits, past)


@settings(max_examples=100, deadline=None)
@given(history=st.lists(st.tuples(minutes, amounts), max_size=6), candidate=st.tuples(minutes, amounts))
def test_the_decision_does_not_depend_on_the_unit_it_is_written_in(history, candidate):
    limits = Limits(
        Unit.MG,
        min_interval=timedelta(hours=6),
        max_single_micro=1_000_000,
        window=timedelta(hours=24),
        window_max_micro=3_000_000,
    )
    past = [Dose(T0 + m * MINUTE, a, Unit.MG) for m, a in history]
    in_mg = Dose(T0 + candidate[0] * MINUTE, candidate[1], Unit.MG)
    in_mcg = Dose(in_mg.occurred_at, candidate[1] * 1000, Unit.MCG)
    as_mg = {w.code for w in rules.check(in_mg, limits, past, compound="x")}
    as_mcg = {w.code for w in rules.check(in_mcg, limits, past, compound="x")}
    assert as_mg == as_mcg
