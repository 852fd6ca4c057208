"""format_time feeds the hashed bytes: a faster formatting must give exactly the text the chain was built with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from shotlee.lib.hashchain import format_time

ZONES = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))])


@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=ZONES))
def test_format_time_is_the_strftime_text_the_chain_was_built_with(value):
    """Years before 1000 included: there strftime's unpadded %Y is what was hashed, and must stay."""
    assert format_time(value) == value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_format_time_has_six_fractional_digits_even_on_the_second():
    assert format_time(datetime(2026, 3, 29, 1, 0, tzinfo=UTC)) == "2026-03-29T01:00:00.000000Z"
