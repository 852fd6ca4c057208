"""Titration ladders and courses (shotlee/lib/schedule.py): a step lasts its doses actually taken, an optional step
is never reached by itself, and a finite course ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shotlee.lib.schedule import Schedule, Step, course_due, doses_per_step, doses_to_next_step, ladder_step

D = Decimal
# The Ozempic label ladder: 0.25 mg for 4 weeks, 0.5 mg, then 1 mg and 2 mg only if more control is needed.
OZEMPIC = Schedule(
    every=1,
    unit="weeks",
    ladder=(Step(D("0.25"), 4), Step(D("0.5"), 4), Step(D("1"), 4, True), Step(D("2"), None, True)),
)


@pytest.mark.parametrize("taken", [0, 3, 4, 7, 8, 12, 30, 500])
def test_an_optional_step_is_never_reached_by_doses_alone(taken):
    assert ladder_step(OZEMPIC, taken) == (0 if taken < 4 else 1)


def test_a_confirmed_step_is_in_force_at_once_and_the_next_optional_one_waits_for_its_own_confirmation():
    assert ladder_step(OZEMPIC, 9, confirmed=2) == 2
    assert ladder_step(OZEMPIC, 200, confirmed=2) == 2  # 2 mg is optional too
    assert ladder_step(OZEMPIC, 5, confirmed=2) == 2  # confirmed before its four weeks were up: the person's call
    assert ladder_step(OZEMPIC, 9, confirmed=3) == 3


def test_the_doses_to_the_next_step_stop_before_an_optional_step():
    assert doses_to_next_step(OZEMPIC, 0) == 4
    assert doses_to_next_step(OZEMPIC, 6) is None  # next is optional: it never comes by itself
    assert doses_to_next_step(OZEMPIC, 200, confirmed=3) is None  # the last step


@pytest.mark.parametrize(
    ("schedule", "weeks", "doses"),
    [
        (Schedule(every=1, unit="weeks"), 4, 4),
        (Schedule(every=1, unit="days"), 4, 28),
        (Schedule(every=2, unit="days"), 1, 4),
        (Schedule(every=12, unit="hours"), 1, 14),
        (Schedule(weekdays=(0, 3)), 4, 8),
        (Schedule(every=1, unit="months"), 4, 1),
        (Schedule(every=3, unit="months"), 52, 4),
    ],
)
def test_a_step_of_n_weeks_holds_the_schedule_s_doses_in_them(schedule, weeks, doses):
    assert doses_per_step(schedule, weeks) == doses


@given(st.integers(0, 400), st.integers(0, 3))
def test_more_doses_never_move_the_ladder_back(taken, confirmed):
    assert ladder_step(OZEMPIC, taken + 1, confirmed) >= ladder_step(OZEMPIC, taken, confirmed)


WEEK = timedelta(weeks=1)
START = datetime(2026, 1, 5, 9, tzinfo=UTC)
SEVEN = [0, 1, 2, 3, 5, 7, 11]


def test_a_course_follows_its_session_weeks_from_the_first_session_and_then_ends():
    first = START + timedelta(days=2)  # the first session came two days after the planned start
    assert course_due(None, SEVEN, 0, START) == START
    assert course_due(first, SEVEN, 1, START) == first + WEEK
    assert course_due(first, SEVEN, 4, START) == first + 5 * WEEK  # the spacing widens
    assert course_due(first, SEVEN, 6, START) == first + 11 * WEEK
    assert course_due(first, SEVEN, 7, START) is None  # the course is over
