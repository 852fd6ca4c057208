"""Create and change protocols: each version is a ledger record."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from shotlee.guides.models import Guide
from shotlee.ledger import services as ledger
from shotlee.ledger import sql
from shotlee.ledger.models import Entry, LedgerHead
from shotlee.lib import hashchain, rules
from shotlee.lib.classes import compound_key, drug_class
from shotlee.lib.errors import InvalidInput
from shotlee.lib.inputs import decimal_places, read_decimal, text_problems
from shotlee.lib.schedule import WEEKDAYS, Schedule
from shotlee.lib.units import AmountError, parse_amount, parse_unit
from shotlee.protocols.models import DOSE, PROTOCOL, Protocol, ProtocolSettings, Route

MAX_HOURS = Decimal(24 * 366)
MAX_SITES = 40
# A protocol starting further ahead than this is a typo in the year ("3000-01-01"), refused.
MAX_DAYS_AHEAD = 366


ProtocolInvalid = InvalidInput


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


def settings_from_guide(guide: Any, regimen_key: str) -> dict[str, Any]:
    """Protocol input prefilled from a published regimen; the person may change any of it before saving."""
    regimen = guide.regimen(regimen_key) if regimen_key else None
    if regimen is None:
        raise ProtocolInvalid({"regimen": f"{guide.title} has no regimen {regimen_key!r}"})
    window = regimen.get("window") or {}
    return {
        "name": guide.title,
        "compound": guide.data["compounds"][0],
        "dose": regimen["ladder"][0]["dose"] if regimen["ladder"] else regimen["dose"],
        "unit": regimen["unit"],
        "route": regimen["route"],
        "schedule": regimen["schedule"],
        # Optional steps stay optional in the protocol (they never advance by themselves), with the label's words.
        "ladder": [
            {k: step[k] for k in ("dose", "weeks", "optional", "label_text") if k in step} for step in regimen["ladder"]
        ],
        "min_interval_hours": regimen["min_interval_hours"],
        "max_single_dose": regimen["max_single_dose"],
        "window_hours": window.get("hours"),
        "window_max": window.get("max"),
        "sites": regimen["sites"],
        "sites_mode": regimen.get("sites_mode", "rotate"),
        "course": {k: regimen["course"][k] for k in ("sessions", "offsets_weeks")} if regimen["course"] else None,
        "guide": guide.slug,
        "guide_version": guide.content_hash,
        "regimen": regimen["key"],
    }


def class_of(compound: str) -> str:
    """The drug class from the guide library, or the built-in table for compounds no guide covers."""
    key = compound_key(compound)
    for compounds, cls in Guide.objects.values_list("compounds", "drug_class"):
        if key in compounds.split(","):
            return cls
    return drug_class(compound)


def clean_settings(data: dict[str, Any], *, today: date) -> dict[str, Any]:
    """Validate protocol input into canonical settings, or raise ProtocolInvalid naming each field."""
    errors: dict[str, str] = text_problems(data)
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
    window_hours = _hours(data.get("window_hours"), "window_hours", errors)
    window_max = _amount(data.get("window_max"), "window_max", errors, required=False)
    if (window_hours is None) != (window_max is None) and "window_hours" not in errors and "window_max" not in errors:
        errors["window_max" if window_hours else "window_hours"] = (
            "a rolling-window cap needs both the window and the maximum total in it"
        )
    if dose and max_single and Decimal(dose) > Decimal(max_single):
        errors["max_single_dose"] = "is below the protocol's own dose"
    sites = data.get("sites") or []
    if isinstance(sites, str):
        sites = [s for s in (part.strip() for part in sites.replace("\n", ",").split(",")) if s]
    if not isinstance(sites, list) or not all(isinstance(s, str) and 0 < len(s.strip()) <= 60 for s in sites):
        errors["sites"] = "must be a list of site names of up to 60 characters"
        sites = []
    elif len(sites) > MAX_SITES:
        errors["sites"] = f"can list at most {MAX_SITES} sites"
    starts_on = data.get("starts_on") or today.isoformat()
    try:
        start = date.fromisoformat(str(starts_on))
    except ValueError:
        errors["starts_on"] = "must be a date like 2026-01-31"
    else:
        starts_on = start.isoformat()
        if start > today + timedelta(days=MAX_DAYS_AHEAD):
            errors["starts_on"] = "is more than a year ahead; check the year"
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
        "sites": [s.strip() for s in sites],
        "starts_on": starts_on,
        "confirmed_step": confirmed_step,
        "course": course,
        "sites_mode": sites_mode,
    }


def start_protocol(
    head: LedgerHead, user: User, settings: dict[str, Any], uid: uuid.UUID | None = None, stopped: bool = False
) -> Protocol:
    """Inside a write: record a protocol's first version and its projection (`stopped`: an imported, ended one)."""
    protocol = Protocol(user=user, name=settings["name"], compound=compound_key(settings["compound"]))
    if uid is not None:
        protocol.uid = uid
    protocol.drug_class = class_of(settings["compound"])
    entry = ledger.append(
        head,
        kind=PROTOCOL,
        occurred_at=timezone.now(),
        subject=protocol.uid,
        compound=protocol.compound,
        data={"action": "stop" if stopped else "start", "settings": settings},
    )
    protocol.settings = hashchain.canonical_text(settings)
    protocol.version_seq = entry.seq
    protocol.stopped = stopped
    protocol.save()
    return protocol


def create_protocol(user: User, settings: dict[str, Any], **write_options: Any) -> ledger.Outcome:
    def action(head: LedgerHead) -> ledger.Outcome:
        return ledger.Outcome(201, protocol_body(start_protocol(head, user, settings)))

    return ledger.write(user, action, **write_options)


def change_protocol(
    user: User,
    protocol: Protocol,
    settings: dict[str, Any],
    *,
    stop: bool = False,
    what: str = "change",
    **write_options: Any,
) -> ledger.Outcome:
    """Record a new version; doses before it keep being checked against the old one."""

    def action(head: LedgerHead) -> ledger.Outcome:
        current = Protocol.objects.for_user(user).get(pk=protocol.pk)
        entry = ledger.append(
            head,
            kind=PROTOCOL,
            occurred_at=timezone.now(),
            subject=current.uid,
            compound=compound_key(settings["compound"]),
            data={"action": "stop" if stop else what, "settings": settings},
        )
        current.name = settings["name"]
        current.compound = compound_key(settings["compound"])
        current.drug_class = class_of(settings["compound"])
        current.settings = hashchain.canonical_text(settings)
        current.version_seq = entry.seq
        current.stopped = stop
        # Scoped by the user like every query on a per-user table (docs/deploy.md, "Scaling out"); save() would
        # update by primary key alone.
        Protocol.objects.for_user(user).filter(pk=current.pk).update(
            name=current.name,
            compound=current.compound,
            drug_class=current.drug_class,
            settings=current.settings,
            version_seq=current.version_seq,
            stopped=current.stopped,
        )
        return ledger.Outcome(200, protocol_body(current))

    return ledger.write(user, action, **write_options)


class ProtocolInUse(InvalidInput):
    """A protocol with doses cannot be deleted (stop it instead): its doses would lose what they were checked by."""


def has_doses(user: User, protocol: Protocol) -> bool:
    """Whether any dose that stands (not voided) belongs to the protocol."""
    return Entry.objects.for_user(user).of_kind(DOSE).filter(subject=protocol.uid).effective().exists()


def delete_protocol(user: User, protocol: Protocol, **write_options: Any) -> ledger.Outcome:
    """Delete a protocol that has no doses: a ledger record (action "delete", with the settings it had), and the
    protocol leaves the lists. One with doses is refused: stop it instead, so its doses keep their protocol."""

    def action(head: LedgerHead) -> ledger.Outcome:
        current = Protocol.objects.for_user(user).get(pk=protocol.pk)
        if has_doses(user, current):
            raise ProtocolInUse({"protocol": "has doses recorded; stop it instead, so they keep their protocol"})
        ledger.append(
            head,
            kind=PROTOCOL,
            occurred_at=timezone.now(),
            subject=current.uid,
            compound=current.compound,
            data={"action": "delete", "settings": json.loads(current.settings)},
        )
        Protocol.objects.for_user(user).filter(pk=current.pk).delete()
        return ledger.Outcome(204, {"id": str(current.uid), "deleted": True})

    return ledger.write(user, action, **write_options)


# Every version of a protocol, oldest first: read inside the chain lock on every dose (see ledger/sql.py).
VERSIONS = sql.Compiled(
    lambda user_id, subject: (
        Entry.objects.filter(user_id=user_id, subject=subject, kind=PROTOCOL)
        .order_by("occurred_at", "seq")
        .values_list("occurred_at", "seq", "payload")
    ),
    user_id=int,
    subject=uuid.UUID,
)


def rules_at(user: User, protocol: Protocol, when: datetime) -> tuple[rules.Limits, Schedule | None, int]:
    """The rule limits and the schedule of the version in force at `when`, and its seq (what a dose is checked
    against). A dose back-dated before the protocol was created is checked against its first version."""
    versions = VERSIONS(user_id=user.pk, subject=protocol.uid)
    chosen = versions[0]
    for version in versions:
        if version[0] <= when:
            chosen = version
    limits, plan = _parsed(chosen[2])
    return limits, plan, chosen[1]


@functools.lru_cache(maxsize=1024)
def _parsed(payload: str) -> tuple[rules.Limits, Schedule | None]:
    # A version's payload never changes (it is a ledger entry) and both values are immutable: parse each once.
    settings = ProtocolSettings.from_dict(json.loads(payload)["settings"])
    return settings.limits(), settings.plan()


def protocol_body(protocol: Protocol, next_due_at: datetime | None = None) -> dict[str, Any]:
    current = json.loads(protocol.settings)
    return {
        "id": str(protocol.uid),
        **current,
        "drug_class": protocol.drug_class,
        "active": not protocol.stopped,
        "version_seq": protocol.version_seq,
        "next_due_at": hashchain.format_time(next_due_at) if next_due_at else None,
    }


def confirm_step(user: User, protocol: Protocol, step: int, *, today: date, **write_options: Any) -> ledger.Outcome:
    """The person moves to titration step `step` (0-based) themselves: a new protocol version, recorded."""
    settings = json.loads(protocol.settings)
    ladder = settings.get("ladder") or []
    if not 0 < step < len(ladder):
        raise InvalidInput({"step": "is not a step of this protocol's titration ladder"})
    if step <= int(settings.get("confirmed_step") or 0):
        raise InvalidInput({"step": "is already confirmed"})
    return change_protocol(
        user,
        protocol,
        clean_settings({**settings, "confirmed_step": step}, today=today),
        what="step",
        **write_options,
    )


def version_body(entry: Entry) -> dict[str, Any]:
    data = entry.data
    return {"protocol": str(entry.subject), "action": data.get("action"), "settings": data.get("settings")}


def version_summary(entry: Entry, preferences: Mapping[str, str]) -> str:
    data = entry.data
    settings = data.get("settings") or {}
    if data.get("action") == "delete":
        return f"Protocol deleted: {settings.get('name', '')}"
    if data.get("action") == "step":
        step = int(settings.get("confirmed_step") or 0)
        dose = (settings.get("ladder") or [{}] * (step + 1))[step].get("dose", "")
        return f"Moved to step {step + 1} of {settings.get('name', '')}: {dose} {settings.get('unit', '')}"
    return (
        f"Protocol {data.get('action', '')}: {settings.get('name', '')} — "
        f"{settings.get('dose', '')} {settings.get('unit', '')}"
    )
