"""Series helpers: the pixel budget keeps peaks; adherence counts planned, taken, missed and on-time doses."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shotlee.lib.schedule import Schedule, advance
from shotlee.lib.series import adherence, downsample, grid
from shotlee.lib.when import duration_hours, relative

DAILY = Schedule(every=1, unit="days")


def test_grid_includes_both_ends():
    assert grid(0, 3, 1) == [0, 1, 2, 3]
    assert grid(5, 4, 1) == []


def test_small_series_are_kept_whole():
    assert downsample([1, 2, 3], [3, 2, 1], 10) == ([1, 2, 3], [3, 2, 1])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=5, max_size=5000), st.integers(4, 600))
def test_downsampling_keeps_the_budget_the_ends_and_the_extremes(ys, budget):
    xs = [float(i) for i in range(len(ys))]
    dx, dy = downsample(xs, ys, budget)
    assert len(dx) <= budget
    assert dx == sorted(dx) and dx[0] == 0 and dx[-1] == len(ys) - 1
    assert max(dy) == max(ys) and min(dy) == min(ys)


def test_a_saw_tooth_keeps_its_peaks_at_2000_points():
    xs = [float(h) for h in range(43800)]
    ys = [float(h % 24) for h in range(43800)]
    dx, dy = downsample(xs, ys)
    assert len(dx) <= 2000 and dy.count(23.0) > 900


def plan(start, tz):
    return lambda moment: advance(moment, DAILY, tz)


def test_adherence_counts_planned_taken_missed_and_on_time():
    tz = ZoneInfo("Europe/London")
    start = datetime(2026, 1, 1, 9, 0, tzinfo=tz)
    doses = [start, start + timedelta(days=1, hours=1), start + timedelta(days=3, hours=6)]  # day 3 missed
    found = adherence(
        start, plan(start, tz), doses, start + timedelta(days=3, hours=12), tz, interval=timedelta(days=1)
    )
    assert [(p[1] is not None, p[2]) for p in found.planned] == [
        (True, True),
        (True, True),
        (False, False),
        (True, False),
    ]
    day = found.days[datetime(2026, 1, 3).date()]
    assert (day.planned, day.taken, day.missed) == (1, 0, 1)
    assert found.shares[30] == pytest.approx(0.5)


def test_a_dose_due_minutes_ago_is_still_pending_not_missed():
    tz = ZoneInfo("Europe/London")
    start = datetime(2026, 1, 1, 9, 0, tzinfo=tz)
    doses = [start, start + timedelta(days=1)]
    day = timedelta(days=1)
    found = adherence(start, plan(start, tz), doses, start + timedelta(days=2, minutes=5), tz, interval=day)
    assert [p[1] is not None for p in found.planned] == [True, True]  # the third is pending: 5 min past due
    assert datetime(2026, 1, 3).date() not in found.days and found.shares[30] == 1.0
    late = adherence(start, plan(start, tz), doses, start + timedelta(days=2, hours=13), tz, interval=day)
    assert [p[1] is not None for p in late.planned] == [True, True, False]  # over half a day: missed
    assert late.days[datetime(2026, 1, 3).date()].missed == 1


def test_adherence_of_nothing_planned_is_none():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    found = adherence(now + timedelta(days=1), plan(now, UTC), [], now, UTC, interval=timedelta(days=1))
    assert found.planned == [] and found.shares == {30: None, 90: None}


def test_adherence_days_are_local_days():
    tz = ZoneInfo("America/New_York")
    start = datetime(2026, 1, 1, 22, 0, tzinfo=tz)  # 03:00 UTC the next day
    found = adherence(start, plan(start, tz), [start], start + timedelta(hours=1), tz, interval=timedelta(days=1))
    assert list(found.days) == [datetime(2026, 1, 1).date()]


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(days=3, hours=1), "in 3 days"),
        (timedelta(hours=-2, minutes=-10), "2 h overdue"),
        (timedelta(minutes=20), "in 20 min"),
        (timedelta(seconds=10), "due now"),
        (timedelta(days=-100), "3 months overdue"),
    ],
)
def test_relative_due_times_read_as_a_person_says_them(delta, words):
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert relative(now + delta, now) == words


@pytest.mark.parametrize(
    "plan",
    [
        Schedule(every=1, unit="days"),
        Schedule(every=2, unit="weeks"),
        Schedule(every=36, unit="hours"),
        Schedule(every=3, unit="months"),
        Schedule(weekdays=(0, 3)),
    ],
)
def test_skipping_missed_steps_lands_where_walking_them_does(plan):
    from shotlee.charts.data import _skip_to

    tz = ZoneInfo("Europe/London")
    moment = datetime(2020, 1, 1, 9, 0, tzinfo=tz)
    for until in (
        datetime(2020, 1, 1, 8, tzinfo=UTC),
        datetime(2024, 3, 31, 1, 30, tzinfo=UTC),
        datetime(2026, 10, 25, tzinfo=UTC),
    ):
        walked = moment
        while walked < until:
            walked = advance(walked, plan, tz)
        assert _skip_to(plan, moment, until, tz) == walked


@pytest.mark.parametrize(
    ("hours", "words"),
    [
        (192.0, "192 h (8 days)"),
        (8.5, "8.5 h"),
        (24.0, "24 h"),
        (48.0, "48 h (2 days)"),
        (129.24, "129.2 h (5.4 days)"),
    ],
)
def test_half_lives_read_in_hours_and_from_two_days_also_in_days(hours, words):
    assert duration_hours(hours) == words
