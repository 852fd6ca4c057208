"""lib.inputs, the checks every input path shares: exact decimals, times that convert to UTC, storable text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shotlee.lib import inputs


@given(st.integers(-(10**12), 10**12), st.integers(0, 30))
def test_decimal_places_is_exact_for_any_scale(units, places):
    value = Decimal(units).scaleb(-places)
    expected = len(f"{value:f}".split(".")[1].rstrip("0")) if "." in f"{value:f}" else 0
    assert inputs.decimal_places(value) == expected


@pytest.mark.parametrize(
    "raw,places", [("9e-999999999", 999999999), ("1e-7", 7), ("1.500", 1), ("100", 0), ("1E+3", 0), ("0", 0)]
)
def test_decimal_places_never_rounds_a_tiny_value_to_zero(raw, places):
    assert inputs.decimal_places(inputs.read_decimal(raw)) == places


@pytest.mark.parametrize("raw", ["1e19", "1e999999999", "-1e100", 10**20])
def test_read_decimal_refuses_numbers_beyond_any_value_of_ours(raw):
    with pytest.raises(inputs.TooLarge):
        inputs.read_decimal(raw)


def test_read_decimal_keeps_every_digit():
    assert (
        str(inputs.read_decimal("1.0000000000000000000000000000000000001")) == "1.0000000000000000000000000000000000001"
    )


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_time_that_leaves_the_datetime_range_in_utc_is_refused_for_records(text):
    with pytest.raises(ValueError, match="out of range"):
        inputs.record_time(datetime.fromisoformat(text), latest=datetime.now(UTC))


def test_filter_times_are_clamped_to_the_ends_of_utc():
    assert inputs.filter_time(datetime.fromisoformat("9999-12-31T23:59:59-14:00")) == datetime.max.replace(tzinfo=UTC)
    assert inputs.filter_time(datetime.fromisoformat("0001-01-01T00:00:00+14:00")) == datetime.min.replace(tzinfo=UTC)


@pytest.mark.parametrize("value", [datetime(2026, 1, 1), "2026-01-01T00:00:00Z", 0.5])
def test_a_time_without_an_offset_is_refused(value):
    with pytest.raises(ValueError, match="UTC offset"):
        inputs.utc_time(value)


def test_record_times_before_1900_or_in_the_future_are_refused():
    now = datetime.now(UTC)
    with pytest.raises(ValueError, match="past"):
        inputs.record_time(datetime(1900, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=2))), latest=now)
    with pytest.raises(ValueError, match="future"):
        inputs.record_time(now + timedelta(seconds=1), latest=now)


@pytest.mark.parametrize("text", ["a\x00b", "\ud800", "ok\udfff"])
def test_text_a_database_cannot_store_is_refused(text):
    with pytest.raises(ValueError):
        inputs.storable_text(text)


def test_text_problems_look_inside_lists_and_mappings():
    problems = inputs.text_problems({"sites": ["ok", "a\x00"], "schedule": {"\x00": 1}, "note": "fine", "n": 3})
    assert set(problems) == {"sites", "schedule"}
