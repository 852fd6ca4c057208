"""Protocol input: `services.clean_settings` validates it for the API and the pages; the page form reads what a
person types (the schedule as "every N units" or weekdays, the ladder as "0.25:4, 0.5:4, 1")."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from shotlee.lib import durations
from shotlee.lib.errors import InvalidInput
from shotlee.lib.schedule import UNITS, WEEKDAYS
from shotlee.lib.units import Unit
from shotlee.protocols.models import Route
from shotlee.web.forms import PageForm

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DURATION_CHOICES = [(u, u) for u in durations.UNITS]


class ProtocolForm(PageForm):
    compound = forms.CharField(label="Compound", required=False, max_length=200)
    name = forms.CharField(label="Name", required=False, max_length=200)
    dose = forms.CharField(label="Dose", required=False, max_length=40)
    unit = forms.CharField(label="Unit", required=False, max_length=20)
    route = forms.CharField(label="Route", required=False, max_length=20)
    every = forms.CharField(label="Every", required=False, max_length=10)
    every_unit = forms.CharField(label="Period", required=False, max_length=20)
    weekdays = forms.MultipleChoiceField(
        label="Weekdays", choices=list(zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)), required=False
    )
    min_interval = forms.CharField(label="Minimum gap", required=False, max_length=20)
    min_interval_unit = forms.ChoiceField(label="Minimum gap in", choices=DURATION_CHOICES, required=False)
    ladder = forms.CharField(label="Titration ladder", required=False, max_length=400)
    starts_on = forms.CharField(label="Start date", required=False, max_length=20)
    max_single_dose = forms.CharField(label="Maximum single dose", required=False, max_length=40)
    window = forms.CharField(label="Rolling window", required=False, max_length=20)
    window_unit = forms.ChoiceField(label="Rolling window in", choices=DURATION_CHOICES, required=False)
    window_max = forms.CharField(label="Maximum total in the window", required=False, max_length=40)
    sites = forms.CharField(label="Sites", required=False, max_length=2000)
    guide = forms.CharField(required=False, max_length=80)
    regimen = forms.CharField(required=False, max_length=80)

    # What clean_settings calls a field, where the form asks for it under another name.
    FIELD_OF = {
        "schedule": "every",
        "interval_hours": "every",
        "min_interval_hours": "min_interval",
        "window_hours": "window",
    }
    # The durations asked as a number and a unit, stored in hours: (number field, unit field, setting).
    DURATIONS = (("min_interval", "min_interval_unit", "min_interval_hours"), ("window", "window_unit", "window_hours"))

    def invalid(self, exc: InvalidInput) -> None:
        super().invalid(InvalidInput({self.FIELD_OF.get(k, k): v for k, v in exc.errors.items()}))

    def settings_input(self) -> dict[str, Any]:
        """The typed values as protocol input for clean_settings."""
        data: dict[str, Any] = {k: v.strip() if isinstance(v, str) else v for k, v in self.cleaned_data.items()}
        for number, unit, setting in self.DURATIONS:
            data[setting] = _hours(data.pop(number), data.pop(unit) or "hours")
        if data.pop("weekdays"):
            data["schedule"] = {"weekdays": self.cleaned_data["weekdays"]}
            data["every"] = ""
        steps = []
        for part in filter(None, (p.strip() for p in data["ladder"].split(","))):
            dose, _, weeks = part.partition(":")
            steps.append({"dose": dose.strip(), **({"weeks": int(weeks)} if weeks.strip().isdigit() else {})})
        data["ladder"] = steps
        return data


def _hours(typed: str, unit: str) -> str:
    """A duration typed as a number of `unit`s, in hours for clean_settings (which checks the number itself)."""
    if typed == "":
        return ""
    try:
        count = Decimal(typed)
    except InvalidOperation:
        return typed  # clean_settings says it is not a number, named by its label
    if not count.is_finite() or abs(count.adjusted()) > 6:
        return typed
    return str(durations.to_hours(count, unit).normalize())


def carry_over(data: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """What the form does not show, carried from `base` (the guide's regimen for a new protocol, the current version
    for a change): the course, the site mode, the confirmed step, and which ladder steps are optional — kept on each
    step the person left as it was (same dose and weeks at the same place)."""
    out = {**data}
    for key in ("course", "sites_mode", "confirmed_step"):
        if out.get(key) in (None, "") and base.get(key) not in (None, ""):
            out[key] = base[key]
    steps = []
    previous: list[dict[str, Any]] = base.get("ladder") or []
    for i, step in enumerate(out.get("ladder") or []):
        before = previous[i] if i < len(previous) else {}
        kept = {k: before[k] for k in ("optional", "label_text") if k in before} if _same_step(step, before) else {}
        steps.append({**step, **kept})
    out["ladder"] = steps
    return out


def _same_step(step: dict[str, Any], other: dict[str, Any]) -> bool:
    try:
        return Decimal(str(step["dose"])) == Decimal(str(other["dose"])) and step.get("weeks") == other.get("weeks")
    except (InvalidOperation, KeyError):
        return False


def to_form(settings: dict[str, Any]) -> dict[str, Any]:
    """Protocol settings as the strings the form shows."""
    values = {k: ("" if v is None else v) for k, v in settings.items()}
    schedule = settings.get("schedule") or {}
    if schedule.get("every"):
        values["every"], values["every_unit"] = schedule["every"], schedule.get("unit", "days")
    elif settings.get("interval_hours"):
        values["every"], values["every_unit"] = settings["interval_hours"], "hours"
    values["weekdays"] = schedule.get("weekdays") or []
    values["sites"] = ", ".join(settings.get("sites") or [])
    for number, unit, setting in ProtocolForm.DURATIONS:
        hours = settings.get(setting)
        values.pop(setting, None)
        if hours in (None, ""):
            values[number], values[unit] = "", values.get(unit) or "days"
        else:
            count, values[unit] = durations.split(Decimal(str(hours)))
            values[number] = format(count, "f")
    values["ladder"] = ", ".join(
        f"{step['dose']}:{step['weeks']}" if step.get("weeks") else str(step["dose"])
        for step in settings.get("ladder") or []
    )
    return values


def context(form: ProtocolForm, values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "values": values,
        "errors": form.messages,
        "units": [u.value for u in Unit],
        "routes": Route.choices,
        "every_units": UNITS,
        "duration_units": durations.UNITS,
        "weekday_choices": list(zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)),
        **extra,
    }
