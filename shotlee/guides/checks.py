"""The field checks a guide file is validated with: each names the file and the field when it fails."""

from __future__ import annotations

import re
from collections.abc import Set
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn, cast

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class GuideFileError(ValueError):
    def __init__(self, filename: str, field: str, message: str):
        super().__init__(f"{filename}: {field}: {message}")
        self.filename, self.field, self.message = filename, field, message


class Check:
    def __init__(self, filename: str):
        self.filename = filename

    def fail(self, field: str, message: str) -> NoReturn:
        raise GuideFileError(self.filename, field, message)

    def keys(self, data: Any, field: str, allowed: set[str], optional: Set[str] = frozenset()) -> None:
        if not isinstance(data, dict):
            self.fail(field or "(top level)", "must be a mapping")
        unknown = set(data) - allowed
        if unknown:
            self.fail(f"{field}.{sorted(unknown)[0]}" if field else sorted(unknown)[0], "unknown key")
        missing = allowed - optional - set(data)
        if missing:
            self.fail(f"{field}.{sorted(missing)[0]}" if field else sorted(missing)[0], "is required")

    def text(self, value: Any, field: str, *, empty: bool = False) -> str:
        if not isinstance(value, str) or (not empty and not value.strip()):
            self.fail(field, "must be a non-empty string")
        return value

    def choice(self, value: Any, field: str, choices: tuple[str, ...]) -> str:
        if value not in choices:
            self.fail(field, f"must be one of {', '.join(choices)} (got {value!r})")
        return cast("str", value)

    def strings(self, value: Any, field: str, choices: tuple[str, ...] | None = None) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(field, "must be a list of strings")
        for item in value:
            if choices is not None:
                self.choice(item, field, choices)
        return cast("list[str]", value)

    def decimal(self, value: Any, field: str) -> str:
        if not isinstance(value, str):
            self.fail(field, 'must be a decimal written as a string, like "0.25"')
        try:
            number = Decimal(value)
        except InvalidOperation:
            self.fail(field, f"{value!r} is not a decimal")
        if not number.is_finite() or number <= 0:
            self.fail(field, "must be a positive decimal")
        return value

    def number(self, value: Any, field: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            self.fail(field, "must be a positive number")

    def whole(self, value: Any, field: str, *, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(field, f"must be a whole number of at least {minimum}")
        return value

    def day(self, value: Any, field: str) -> date:
        if not isinstance(value, str) or not ISO_DATE.match(value):
            self.fail(field, 'must be a date written as a quoted string, like "2026-05-01"')
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(field, f"{value!r} is not a real date")
        raise AssertionError  # unreachable: fail raises

    def source_key(self, value: Any, field: str, source_keys: set[str]) -> str:
        if value not in source_keys:
            self.fail(field, f"unknown source {value!r}")
        return cast("str", value)
