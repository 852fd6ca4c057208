"""The errors a service raises for the person to act on; pages and the API turn each into one kind of answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shotlee.lib.rules import Warning


class InvalidInput(ValueError):
    """Bad input, a message per field (the page shows them by the fields; the API answers 422)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


class WarningsNotAcknowledged(Exception):
    """Rules fired that the request did not acknowledge: nothing was recorded (the page asks; the API answers 409)."""

    def __init__(self, warnings: Sequence[Warning]) -> None:
        super().__init__([w.code for w in warnings])
        self.warnings = list(warnings)
