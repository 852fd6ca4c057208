"""What every page form shares: times typed in the person's zone, errors named by their labels, and the one path
from a service's exceptions to what the page shows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from shotlee.ledger.guard import LedgerUnprotected
from shotlee.ledger.records import CorrectionRefused
from shotlee.ledger.services import LedgerBusy
from shotlee.lib import fields, rules
from shotlee.lib.errors import InvalidInput, WarningsNotAcknowledged
from shotlee.lib.inputs import utc_time
from shotlee.lib.localtime import parse_local

BUSY = "The server is busy; nothing was recorded. Please press the button again."
UNPROTECTED = (
    "Recording is switched off: this server's protection of your record against changes is missing. "
    "Nothing was recorded. Please tell whoever runs this server."
)
T = TypeVar("T")


class LocalDateTimeField(forms.Field):
    """A `datetime-local` input read in the person's time zone (set by the form); refuses times a clock skips."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz: tzinfo | None = None

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        assert self.tz is not None, "the form sets the person's time zone on its time fields"
        try:
            # The same check as the API's: the time must convert to UTC (lib.inputs).
            return utc_time(parse_local(str(value), self.tz))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class PageForm(forms.Form):
    """A form read in the person's time zone, whose `invalid()` takes a service's field errors."""

    def __init__(self, *args: Any, tz: tzinfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz = tz
        for field in self.fields.values():
            if isinstance(field, LocalDateTimeField):
                field.tz = tz

    def invalid(self, exc: InvalidInput) -> None:
        """Show a service's field errors by the fields they name (the rest above the form)."""
        for name, message in exc.errors.items():
            if name in self.fields:
                self.add_error(name, message)
            else:  # above the form, still named as a person reads it
                self.add_error(None, fields.message(name, message))

    @property
    def messages(self) -> FieldErrors:
        return FieldErrors.of(self)


class FieldErrors(dict[str, str]):
    """A form's errors by field name (for `aria-invalid`), and as (label, message) pairs for the list on the page."""

    labelled: list[tuple[str, str]]

    @classmethod
    def of(cls, form: forms.Form) -> FieldErrors:
        errors = cls()
        errors.labelled = []
        for name, messages in form.errors.items():
            text = " ".join(str(m) for m in messages)
            errors["__all__" if name == NON_FIELD_ERRORS else name] = text
            label = "" if name == NON_FIELD_ERRORS else str(form.fields[name].label or fields.label(name))
            errors.labelled.append((label, text))
        return errors

    @classmethod
    def merged(cls, *many: FieldErrors) -> FieldErrors:
        errors = cls()
        errors.labelled = []
        for each in many:
            errors.update(each)
            errors.labelled += each.labelled
        return errors


def warning_items(exc: WarningsNotAcknowledged) -> list[dict[str, str]]:
    return [{**w.as_dict(), "label": rules.LABELS.get(w.code, w.code)} for w in exc.warnings]


def submit(form: PageForm, call: Callable[[], T]) -> tuple[T | None, list[dict[str, str]]]:
    """Run a service for a valid form: its result, or None with the warnings to confirm or errors put on the form.

    The one place a page turns the services' exceptions into what it shows: bad input by its fields, unconfirmed
    warnings as the list to acknowledge, a refused correction or a busy ledger above the form.
    """
    try:
        return call(), []
    except InvalidInput as exc:
        form.invalid(exc)
    except WarningsNotAcknowledged as exc:
        return None, warning_items(exc)
    except CorrectionRefused as exc:
        form.add_error(None, str(exc))
    except LedgerBusy:
        form.add_error(None, BUSY)
    except LedgerUnprotected:
        form.add_error(None, UNPROTECTED)
    return None, []


def status(form: forms.Form, warnings: list[dict[str, str]]) -> int:
    """The page's status: 409 when it asks to confirm warnings, 422 when the form has errors, else 200."""
    return 409 if warnings else (422 if form.is_bound and form.errors else 200)
