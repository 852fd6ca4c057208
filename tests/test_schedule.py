"""Schedule math: intervals, weekdays, months, ladders, DST and month ends."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shotlee.lib.schedule import Schedule, Step, add_months, advance, ladder_step, missed, next_due, upcoming

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def at(tz, *args):
    return datetime(*args, tzinfo=tz)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 3, 31), 12, date(2027, 3, 31)),
    ],
)
def test_months_are_calendar_months_clamped_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_every_n_hours_is_absolute_time_across_a_clock_change():
    s = Schedule(every=24, unit="hours")
    last = at(LONDON, 2026, 3, 28, 8, 0)
    assert advance(last, s, LONDON).astimezone(UTC) - last.astimezone(UTC) == timedelta(hours=24)
    assert advance(last, s, LONDON).astimezone(LONDON).hour == 9  # the wall clock moved, the interval did not


@pytest.mark.parametrize("tz", [LONDON, NEW_YORK])
def test_weekly_keeps_the_wall_clock_time_across_clock_changes(tz):
    s = Schedule(every=1, unit="weeks")
    moment = at(tz, 2026, 3, 1, 8, 0)
    for _ in range(40):
        moment = advance(moment, s, tz)
        local = moment.astimezone(tz)
        assert (local.hour, local.minute, local.weekday()) == (8, 0, 6)


def test_a_due_time_inside_the_spring_gap_moves_forward():
    s = Schedule(every=1, unit="days")
    due = advance(at(LONDON, 2026, 3, 28, 1, 30), s, LONDON)
    assert due.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 3, 29, 2, 30)


def test_every_3_months_from_a_month_end():
    s = Schedule(every=3, unit="months")
    assert advance(at(UTC, 2026, 11, 30, 10), s, UTC) == at(UTC, 2027, 2, 28, 10)


def test_weekdays_pick_the_next_listed_day_at_the_same_time():
    s = Schedule.from_dict({"weekdays": ["mon", "thu"]})
    monday = at(LONDON, 2026, 3, 23, 7, 30)
    thursday = advance(monday, s, LONDON)
    assert thursday.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 3, 26, 7, 30)
    next_monday = advance(thursday, s, LONDON)  # across the clock change of 29 March
    assert next_monday.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 3, 30, 7, 30)


def test_next_due_follows_the_last_real_dose_not_the_plan():
    s = Schedule(every=7, unit="days")
    start = at(UTC, 2026, 1, 1, 9)
    assert next_due(s, None, start, UTC) == start
    late_dose = at(UTC, 2026, 1, 4, 20)
    assert next_due(s, late_dose, start, UTC) == at(UTC, 2026, 1, 11, 20)


def test_missed_doses_are_counted_not_invented():
    s = Schedule(every=7, unit="days")
    last = at(UTC, 2026, 1, 1, 9)
    assert missed(s, last, last, at(UTC, 2026, 1, 8, 8), UTC) == 0
    assert missed(s, last, last, at(UTC, 2026, 1, 22, 10), UTC) == 3


LADDER = Schedule(
    every=1,
    unit="weeks",
    ladder=(
        Step(Decimal("0.25"), 4),
        Step(Decimal("0.5"), 4),
        Step(Decimal("1"), 4),
        Step(Decimal("1.7"), 4),
        Step(Decimal("2.4")),
    ),
)


@pytest.mark.parametrize(
    ("weeks_in", "step"),
    [(0, 0), (3.9, 0), (4, 1), (7.9, 1), (8, 2), (12, 3), (16, 4), (100, 4)],
)
def test_the_ladder_steps_every_4_weekly_doses_and_stays_on_the_last(weeks_in, step):
    assert ladder_step(LADDER, int(weeks_in)) == step
    assert (
        LADDER.ladder[step].dose
        == [Decimal("0.25"), Decimal("0.5"), Decimal("1"), Decimal("1.7"), Decimal("2.4")][step]
    )


def test_no_ladder_means_no_step_and_before_the_first_dose_means_step_one():
    assert ladder_step(Schedule(every=1), 0) is None
    assert ladder_step(LADDER, 0) == 0


def test_upcoming_lists_the_plan_up_to_a_horizon():
    s = Schedule(every=1, unit="weeks")
    first = at(UTC, 2026, 1, 1, 9)
    plan = upcoming(s, first, first + timedelta(weeks=4), UTC)
    assert plan == [first + timedelta(weeks=i) for i in range(5)]


@pytest.mark.parametrize("bad", [{"every": 0}, {"every": 1, "unit": "fortnights"}, {"every": 1, "weekdays": (1,)}])
def test_invalid_schedules_are_refused(bad):
    with pytest.raises(ValueError):
        Schedule(**bad)


zones = st.sampled_from([UTC, LONDON, NEW_YORK, ZoneInfo("Australia/Lord_Howe"), ZoneInfo("Asia/Kolkata")])
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC))


@settings(max_examples=300, deadline=None)
@given(moment=moments, tz=zones, every=st.integers(1, 12), unit=st.sampled_from(["hours", "days", "weeks", "months"]))
def test_the_next_due_time_is_always_later_and_within_bounds(moment, tz, every, unit):
    due = advance(moment, Schedule(every=every, unit=unit), tz).astimezone(UTC)
    assert due > moment
    bound = {
        "hours": timedelta(hours=every),
        "days": timedelta(days=every, hours=3),
        "weeks": timedelta(weeks=every, hours=3),
        "months": timedelta(days=31 * every + 1),
    }[unit]
    assert due - moment <= bound


@settings(max_examples=200, deadline=None)
@given(moment=moments, tz=zones, days=st.sets(st.integers(0, 6), min_size=1))
def test_weekday_schedules_land_on_a_listed_weekday_within_a_week(moment, tz, days):
    due = advance(moment, Schedule(weekdays=tuple(sorted(days))), tz).astimezone(UTC)
    assert due > moment and due - moment <= timedelta(days=7, hours=3)
    assert due.astimezone(tz).weekday() in days


def test_an_interval_in_hours_is_said_in_days_or_weeks_when_it_is_whole_ones():
    from shotlee.lib.schedule import every_hours

    assert [every_hours(h) for h in (168, 336, 2184, 72, 24, 12, 1, "36.5")] == [
        "every week",
        "every 2 weeks",
        "every 13 weeks",
        "every 3 days",
        "every 24 hours",
        "every 12 hours",
        "every hour",
        "every 36.5 hours",
    ]
