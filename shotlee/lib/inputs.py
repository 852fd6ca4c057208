"""The checks every input path shares before a value reaches the rules, the ledger or the database.

One place for each class of bad input an outside check found (issue 12), so that a new field gets the same check:

- numbers: read exactly, without a decimal context. `Decimal.normalize()` rounds to 28 digits and flushes
  tiny values to zero, so "9e-999999999" passed "greater than zero" and was then stored as 0; huge values
  overflowed the database's 64-bit integers or raised in `quantize`;
- times: they must carry a UTC offset and convert to UTC (0001-01-01T00:00:00+14:00 does not), and a recorded
  time must lie between 1900 and now (so the rules' windows around it stay inside what a datetime can hold);
- text: no NUL character (PostgreSQL cannot store one) and nothing that is not UTF-8 (a lone surrogate).

Each function raises ValueError with a message that completes "<field> ...", for the caller to name the field.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

MAX_NUMBER_TEXT = 40
# No input of ours is near 10**18; past it, arithmetic in the default 28-digit context would round or overflow.
MAX_MAGNITUDE = 18
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
OFFSET_EXAMPLE = "2026-01-31T08:00:00+01:00"


class TooLarge(ValueError):
    """A number far beyond any value of ours (the caller may say its own limit instead)."""


def read_decimal(raw: object, noun: str = "the value") -> Decimal:
    """A JSON number or a decimal string as an exact, finite Decimal (no rounding, no context)."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError(f"{noun} must be a number")
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise ValueError(f"{noun} must be a finite number")
        text = repr(raw)
    elif isinstance(raw, int | Decimal):
        text = str(raw)
    elif isinstance(raw, str):
        text = raw.strip()
    else:
        raise ValueError(f"{noun} must be a number")
    if len(text) > MAX_NUMBER_TEXT:
        raise ValueError(f"{noun} is too long")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{raw!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{noun} must be a finite number")
    if value and value.adjusted() > MAX_MAGNITUDE:  # adjusted(): the exponent of the first digit, exactly
        raise TooLarge(f"{noun} is too large")
    return value


def decimal_places(value: Decimal) -> int:
    """How many digits after the point the exact value needs (trailing zeros do not count); no rounding."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int), "finite values only"
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    if trailing == len(digits):  # zero
        return 0
    return max(0, -(exponent + trailing))


def utc_time(value: object) -> datetime:
    """An aware datetime converted to UTC; ValueError when it has no offset or does not convert."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"must be a date and time with a UTC offset, like {OFFSET_EXAMPLE}")
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("is out of range: use a date between the years 1900 and 9999") from None


def filter_time(value: object) -> datetime:
    """A time a query filters by, in UTC; one beyond what a datetime holds in UTC is clamped to its end.

    (since=9999-12-31T23:59:59-14:00 is a valid time after every record: it matches nothing, as it should.)
    """
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"must be a date and time with a UTC offset, like {OFFSET_EXAMPLE}")
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        offset = value.utcoffset()
        assert offset is not None
        return datetime.max.replace(tzinfo=UTC) if offset < timedelta(0) else datetime.min.replace(tzinfo=UTC)


def record_time(value: object, *, latest: datetime) -> datetime:
    """A time a record is about: converts to UTC, not before 1900, not after `latest` (now plus an allowance)."""
    at = utc_time(value)
    if at < EARLIEST:
        raise ValueError("is too far in the past")
    if at > latest:
        raise ValueError("is in the future")
    return at


def storable_text(value: str) -> str:
    """Text the database can store: no NUL character, nothing that is not UTF-8 (a lone surrogate)."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains characters that are not valid text") from None
    return value


def texts_in(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in texts_in(k) + texts_in(v)]
    if isinstance(value, list | tuple | set | frozenset):
        return [t for item in value for t in texts_in(item)]
    return []


def text_problems(values: dict[str, object]) -> dict[str, str]:
    """Field -> message for each field whose text (or any text inside its list or mapping) cannot be stored."""
    problems: dict[str, str] = {}
    for field, value in values.items():
        for text in texts_in(value):
            try:
                storable_text(text)
            except ValueError as exc:
                problems[field] = str(exc)
                break
    return problems
