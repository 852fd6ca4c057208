"""The one error for bad input: a message per field, shown by the form or returned as 422."""

from __future__ import annotations


class InvalidInput(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors
