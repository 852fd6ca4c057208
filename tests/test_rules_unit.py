"""The safety rules as pure functions: each code fires exactly when DESIGN.md section 4 says."""

from datetime import UTC, datetime, timedelta

import pytest

from shotlee.lib import rules
from shotlee.lib.rules import Dose, Limits
from shotlee.lib.units import Unit

T = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
MG = Unit.MG
DAY = timedelta(days=1)


def codes(candidate, limits, history, **kw):
    kw.setdefault("compound", "finasteride")
    return [w.code for w in rules.check(candidate, limits, history, **kw)]


def mg(amount: float) -> int:
    return int(round(amount * 1_000_000))


def test_nothing_fires_on_a_first_dose_within_limits():
    limits = Limits(MG, min_interval=DAY, max_single_micro=mg(1), window=7 * DAY, window_max_micro=mg(7))
    assert codes(Dose(T, mg(1), MG), limits, []) == []


@pytest.mark.parametrize(
    ("gap", "fires"),
    [
        (DAY - timedelta(microseconds=1), True),
        (DAY, False),  # the boundary is allowed: a gap equal to the minimum is fine
        (DAY + timedelta(microseconds=1), False),
        (timedelta(0), True),
    ],
)
def test_too_soon_boundary_is_inclusive(gap, fires):
    limits = Limits(MG, min_interval=DAY)
    history = [Dose(T, mg(1), MG)]
    assert ("too_soon" in codes(Dose(T + gap, mg(2), MG), limits, history)) is fires


def test_backdated_dose_is_checked_against_the_next_dose_too():
    limits = Limits(MG, min_interval=DAY)
    history = [Dose(T - 3 * DAY, mg(1), MG), Dose(T + timedelta(hours=2), mg(1), MG)]
    warnings = rules.check(Dose(T, mg(2), MG), limits, history, compound="finasteride")
    assert [w.code for w in warnings] == ["too_soon"]
    assert "before your finasteride dose" in warnings[0].message


def test_backdated_dose_between_two_far_doses_is_fine():
    limits = Limits(MG, min_interval=DAY)
    history = [Dose(T - 2 * DAY, mg(1), MG), Dose(T + 2 * DAY, mg(1), MG)]
    assert codes(Dose(T, mg(2), MG), limits, history) == []


def test_over_single_max_compares_exactly_after_unit_conversion():
    limits = Limits(MG, max_single_micro=mg(1))
    assert codes(Dose(T, 1000 * 1_000_000, Unit.MCG), limits, []) == []  # 1000 mcg == 1 mg
    assert codes(Dose(T, 1001 * 1_000_000, Unit.MCG), limits, []) == ["over_single_max"]
    assert codes(Dose(T, mg(10), MG), limits, []) == ["over_single_max"]  # a 10x slip


def test_unit_mismatch_when_no_exact_conversion_exists():
    limits = Limits(MG, max_single_micro=mg(1))
    warnings = rules.check(Dose(T, mg(1), Unit.ML), limits, [], compound="dutasteride")
    assert [w.code for w in warnings] == ["unit_mismatch"]
    assert "cannot be converted" in warnings[0].message
    assert codes(Dose(T, mg(1), Unit.IU), Limits(Unit.ML), []) == ["unit_mismatch"]


def test_window_max_checks_every_window_containing_the_dose_not_only_the_one_ending_at_it():
    # Cap 2 mg per 24 h. Doses at 00:00 and 20:00; a new one at 10:00 (back-dated) puts 3 mg into [00:00, 24:00).
    limits = Limits(MG, window=DAY, window_max_micro=mg(2))
    history = [Dose(T, mg(1), MG), Dose(T + timedelta(hours=20), mg(1), MG)]
    assert codes(Dose(T + timedelta(hours=10), mg(1), MG), limits, history) == ["over_window_max"]
    # A window that only the later doses share: 02:00 and 20:00 with the new one at 25:00 -> [02:00, 26:00) holds 3.
    history = [Dose(T + timedelta(hours=2), mg(1), MG), Dose(T + timedelta(hours=20), mg(1), MG)]
    assert codes(Dose(T + timedelta(hours=25), mg(1), MG), limits, history) == ["over_window_max"]
    # Doses exactly 24 h apart never share a half-open window, so a dose between them meets only one.
    history = [Dose(T, mg(1), MG), Dose(T + DAY, mg(1), MG)]
    assert codes(Dose(T + timedelta(hours=12), mg(0.5), MG), limits, history) == []
    assert codes(Dose(T + timedelta(hours=12), mg(1.5), MG), limits, history) == ["over_window_max"]


def test_window_peak_is_the_maximum_over_windows():
    window = timedelta(hours=10)
    others = [Dose(T, 1, MG), Dose(T + timedelta(hours=9), 1, MG), Dose(T + timedelta(hours=15), 1, MG)]
    assert rules.window_peak(Dose(T + timedelta(hours=5), 1, MG), others, window) == 3
    assert rules.window_peak(Dose(T + timedelta(hours=12), 1, MG), others, window) == 3
    assert rules.window_peak(Dose(T + timedelta(hours=30), 1, MG), others, window) == 1


def test_possible_duplicate_needs_same_amount_within_the_window():
    history = [Dose(T, mg(1), MG)]
    assert codes(Dose(T + timedelta(minutes=5), mg(1), MG), None, history) == ["possible_duplicate"]
    assert codes(Dose(T + timedelta(minutes=5), 1000 * 1_000_000, Unit.MCG), None, history) == ["possible_duplicate"]
    assert codes(Dose(T + timedelta(minutes=5), mg(2), MG), None, history) == []
    assert codes(Dose(T + timedelta(minutes=31), mg(1), MG), None, history) == []


def test_class_overlap_names_the_other_protocol():
    warnings = rules.check(Dose(T, mg(1), MG), None, [], compound="dutasteride", overlapping=["Finasteride 1 mg"])
    assert [w.code for w in warnings] == ["class_overlap"]
    assert "Finasteride 1 mg" in warnings[0].message


def test_messages_show_times_in_the_person_s_time_zone():
    from zoneinfo import ZoneInfo

    limits = Limits(MG, min_interval=DAY)
    warnings = rules.check(
        Dose(T + timedelta(hours=1), mg(1), MG), limits, [Dose(T, mg(1), MG)], compound="x", tz=ZoneInfo("Asia/Tokyo")
    )
    assert "17:00 JST" in warnings[0].message


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=30), "less than a minute"),
        (timedelta(minutes=5), "5 min"),
        (timedelta(hours=3, minutes=20), "3 h 20 min"),
        (timedelta(days=2, hours=4, minutes=9), "2 days 4 h"),
        (timedelta(days=1), "1 day"),
    ],
)
def test_durations_read_like_a_person_writes_them(delta, text):
    assert rules.human_duration(delta) == text


def test_rules_count_real_hours_even_when_times_share_a_dst_zone():
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    limits = Limits(MG, min_interval=DAY)
    first = datetime(2026, 3, 28, 12, 0, tzinfo=london)
    second = datetime(2026, 3, 29, 12, 0, tzinfo=london)  # 24 wall-clock hours, 23 real hours
    assert codes(Dose(second, mg(1), MG), limits, [Dose(first, mg(2), MG)]) == ["too_soon"]
