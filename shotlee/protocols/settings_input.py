"""Protocol input checked into canonical settings: what the API and the pages send, each field named when wrong."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from shotlee.lib import hashchain
from shotlee.lib.errors import InvalidInput
from shotlee.lib.inputs import decimal_places, read_decimal, text_problems
from shotlee.lib.schedule import WEEKDAYS, Schedule
from shotlee.lib.units import AmountError, parse_amount, parse_unit
from shotlee.protocols.models import Route

ProtocolInvalid = InvalidInput

MAX_HOURS = Decimal(24 * 366)
MAX_SITES = 40
# A protocol starting further ahead than this is a typo in the year ("3000-01-01"), refused.
MAX_DAYS_AHEAD = 366


def _hours(raw: Any, field: str, errors: dict[str, str], *, allow_zero: bool = False) -> str | None:
    if raw in (None, ""):
        return None
    try:
        value = read_decimal(raw, "the number of hours")
    except ValueError:
        errors[field] = "must be a number of hours"
        return None
    if value < 0 or (value == 0 and not allow_zero):
        errors[field] = "must be a positive number of hours"
    elif value > MAX_HOURS:
        errors[field] = f"must be at most {MAX_HOURS} hours (a year)"
    elif decimal_places(value) > 3:
        errors[field] = "can have at most 3 decimal places"
    else:
        return hashchain.format_decimal(value)
    return None


def _amount(raw: Any, field: str, errors: dict[str, str], *, required: bool) -> str | None:
    if raw in (None, ""):
        if required:
            errors[field] = "is required"
        return None
    try:
        return hashchain.format_decimal(parse_amount(raw))
    except AmountError as exc:
        errors[field] = str(exc)
        return None


def _ladder(raw: Any, errors: dict[str, str]) -> list[dict[str, Any]]:
    if raw in (None, "", []):
        return []
    steps: list[dict[str, Any]] = []
    if not isinstance(raw, list) or len(raw) > 20:
        errors["ladder"] = 'must be a list of at most 20 steps like {"dose": "0.25", "weeks": 4}'
        return []
    for i, step in enumerate(raw):
        last = i == len(raw) - 1
        if not isinstance(step, dict) or set(step) - {"dose", "weeks", "optional", "label_text"}:
            errors["ladder"] = f"step {i + 1} must have a dose and (except the last) weeks"
            return []
        optional = step.get("optional", False)
        label_text = step.get("label_text", "")
        if not isinstance(optional, bool) or (optional and i == 0):
            errors["ladder"] = f"step {i + 1}: only a later step can be optional (true or false)"
            return []
        if not isinstance(label_text, str) or len(label_text) > 400:
            errors["ladder"] = f"step {i + 1}: the label's words can be at most 400 characters"
            return []
        dose = _amount(step.get("dose"), "ladder", errors, required=True)
        if dose is None:  # _amount said why; a step without a dose cannot build a schedule
            return []
        weeks = step.get("weeks")
        if (weeks is None and not last) or (
            weeks is not None and (isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= 520)
        ):
            errors["ladder"] = f"step {i + 1} needs a whole number of weeks (1 to 520)"
            return []
        extra = (
            {"optional": True, **({"label_text": label_text.strip()} if label_text.strip() else {})} if optional else {}
        )
        steps.append({"dose": dose, **({"weeks": weeks} if weeks is not None else {}), **extra})
    return steps


def _course(raw: Any, errors: dict[str, str]) -> dict[str, Any] | None:
    """A finite course: the number of sessions and the week of each, counted from the first (0, ...)."""
    if raw in (None, "", {}):
        return None
    offsets = raw.get("offsets_weeks") if isinstance(raw, dict) else None
    sessions = raw.get("sessions") if isinstance(raw, dict) else None
    if (
        not isinstance(offsets, list)
        or not all(isinstance(w, int) and not isinstance(w, bool) and 0 <= w <= 520 for w in offsets)
        or not offsets
        or offsets[0] != 0
        or any(b <= a for a, b in zip(offsets, offsets[1:], strict=False))
        or sessions != len(offsets)
    ):
        errors["course"] = "must list the week of each session from the first (0, then increasing), one per session"
        return None
    return {"sessions": sessions, "offsets_weeks": offsets}


def _confirmed_step(raw: Any, ladder: list[dict[str, Any]], errors: dict[str, str]) -> int:
    if raw in (None, "", 0):
        return 0
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw < max(1, len(ladder)):
        errors["confirmed_step"] = "must be a step of the titration ladder"
        return 0
    return raw


def _schedule(data: dict[str, Any], ladder: list[dict[str, Any]], errors: dict[str, str]) -> dict[str, Any] | None:
    """A schedule mapping ({every, unit} or {weekdays}) from the API, or `every` + `every_unit` from the form."""
    raw = data.get("schedule")
    if raw in (None, "", {}) and data.get("every") not in (None, ""):
        raw = {"every": data.get("every"), "unit": data.get("every_unit") or "days"}
    if raw in (None, "", {}):
        return None
    try:
        if not isinstance(raw, dict):
            raise ValueError
        if "weekdays" in raw:
            if set(raw) != {"weekdays"} or not isinstance(raw["weekdays"], list):
                raise ValueError
            days = sorted(set(raw["weekdays"]), key=WEEKDAYS.index)
            normal: dict[str, Any] = {"weekdays": days}
        else:
            every = raw.get("every")
            if isinstance(every, str) and every.strip().isdigit():
                every = int(every)
            if (
                set(raw) - {"every", "unit"}
                or isinstance(every, bool)
                or not isinstance(every, int)
                or not 1 <= every <= 1000
            ):
                raise ValueError
            normal = {"every": every, "unit": raw.get("unit", "days")}
        Schedule.from_dict({**normal, "ladder": ladder})
    except (ValueError, KeyError, TypeError):
        errors["schedule"] = (
            "must be every N hours, days, weeks or months (N a whole number), or a list of weekdays (mon … sun)"
        )
        return None
    return normal


def clean_settings(data: dict[str, Any], *, today: date) -> dict[str, Any]:
    """Validate protocol input into canonical settings, or raise ProtocolInvalid naming each field."""
    errors: dict[str, str] = text_problems(data)
    compound, name = _names(data, errors)
    dose = _amount(data.get("dose"), "dose", errors, required=True)
    unit = None
    try:
        unit = parse_unit(data.get("unit"))
    except AmountError as exc:
        errors["unit"] = str(exc)
    route = data.get("route")
    if route not in Route.values:
        errors["route"] = f"must be one of {', '.join(Route.values)}"
    interval = _hours(data.get("interval_hours"), "interval_hours", errors)
    min_interval = _hours(data.get("min_interval_hours"), "min_interval_hours", errors, allow_zero=True)
    max_single = _amount(data.get("max_single_dose"), "max_single_dose", errors, required=False)
    window_hours, window_max = _window(data, errors)
    if dose and max_single and Decimal(dose) > Decimal(max_single):
        errors["max_single_dose"] = "is below the protocol's own dose"
    sites = _sites(data.get("sites") or [], errors)
    starts_on = _starts_on(data.get("starts_on") or today.isoformat(), today, errors)
    ladder = _ladder(data.get("ladder"), errors)
    schedule = _schedule(data, ladder, errors)
    course = _course(data.get("course"), errors)
    confirmed_step = _confirmed_step(data.get("confirmed_step"), ladder, errors)
    sites_mode = data.get("sites_mode") or "rotate"
    if sites_mode not in ("rotate", "all"):
        errors["sites_mode"] = "must be rotate (one site per dose) or all (every site each session)"
    if schedule and schedule.get("unit") == "hours" and interval is None and "interval_hours" not in errors:
        interval = str(schedule["every"])
    if errors:
        raise ProtocolInvalid(errors)
    return {
        "schedule": schedule,
        "ladder": ladder,
        "guide": data.get("guide") or None,
        "guide_version": data.get("guide_version") or None,
        "regimen": data.get("regimen") or None,
        "name": name.strip(),
        "compound": compound.strip(),
        "dose": dose,
        "unit": unit.value if unit else None,
        "route": route,
        "interval_hours": interval,
        "min_interval_hours": min_interval,
        "max_single_dose": max_single,
        "window_hours": window_hours,
        "window_max": window_max,
        "sites": sites,
        "starts_on": starts_on,
        "confirmed_step": confirmed_step,
        "course": course,
        "sites_mode": sites_mode,
    }


def _names(data: dict[str, Any], errors: dict[str, str]) -> tuple[str, str]:
    """The compound (required) and the protocol's name (the compound when none is given)."""
    compound = data.get("compound")
    if "compound" in errors:
        compound = ""
    elif not isinstance(compound, str) or not compound.strip():
        errors["compound"] = "is required"
        compound = ""
    elif len(compound.strip()) > 120:
        errors["compound"] = "must be at most 120 characters"
    name = data.get("name") or compound
    if not isinstance(name, str) or len(name.strip()) > 120:
        errors["name"] = "must be at most 120 characters"
        name = compound
    return compound, name


def _window(data: dict[str, Any], errors: dict[str, str]) -> tuple[str | None, str | None]:
    """A rolling-window cap: its length in hours and the most in it, both or neither."""
    window_hours = _hours(data.get("window_hours"), "window_hours", errors)
    window_max = _amount(data.get("window_max"), "window_max", errors, required=False)
    if (window_hours is None) != (window_max is None) and "window_hours" not in errors and "window_max" not in errors:
        errors["window_max" if window_hours else "window_hours"] = (
            "a rolling-window cap needs both the window and the maximum total in it"
        )
    return window_hours, window_max


def _sites(sites: Any, errors: dict[str, str]) -> list[str]:
    """Site names, from a list or from text separated by commas or lines."""
    if isinstance(sites, str):
        sites = [s for s in (part.strip() for part in sites.replace("\n", ",").split(",")) if s]
    if not isinstance(sites, list) or not all(isinstance(s, str) and 0 < len(s.strip()) <= 60 for s in sites):
        errors["sites"] = "must be a list of site names of up to 60 characters"
        return []
    if len(sites) > MAX_SITES:
        errors["sites"] = f"can list at most {MAX_SITES} sites"
    return [s.strip() for s in sites]


def _starts_on(raw: Any, today: date, errors: dict[str, str]) -> Any:
    """The start date as ISO text; a start more than a year ahead is a typo in the year."""
    try:
        start = date.fromisoformat(str(raw))
    except ValueError:
        errors["starts_on"] = "must be a date like 2026-01-31"
        return raw
    if start > today + timedelta(days=MAX_DAYS_AHEAD):
        errors["starts_on"] = "is more than a year ahead; check the year"
    return start.isoformat()
