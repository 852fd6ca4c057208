"""Record and correct doses; the safety rules run inside the chain lock, on bounded reads of the effective history."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.db.models import Q, Sum
from django.utils import timezone

from shotlee.doses.forms import DoseInput, build_dose, defaults_of
from shotlee.ledger import records, sql
from shotlee.ledger import services as ledger
from shotlee.ledger.models import Entry, LedgerHead
from shotlee.lib import audit, hashchain, rules, schedule
from shotlee.lib.classes import compound_key
from shotlee.lib.errors import WarningsNotAcknowledged
from shotlee.lib.units import Unit, convert_micro, convert_micro_up, from_micro, to_micro
from shotlee.protocols.models import DOSE, Protocol
from shotlee.protocols.services import class_of, rules_at
from shotlee.supplies import services as supplies
from shotlee.supplies.models import Supply


class DoseConflict(WarningsNotAcknowledged):
    """Rules fired that the request did not acknowledge: nothing was recorded (409)."""


# ---- the rules' reads: each an indexed window with a limit or an aggregate (bench row "dense doses")

_COLUMNS = ("occurred_at", "amount_micro", "unit", "seq")


def _doses(user_id: int, key: str | uuid.UUID) -> Any:
    """Effective doses of one protocol (a uid) or, for doses outside any protocol, one compound."""
    rows = Entry.objects.filter(user_id=user_id, kind=DOSE)
    rows = rows.filter(subject=key) if isinstance(key, uuid.UUID) else rows.filter(compound=key)
    return rows.effective()


def _reads(key_type: type) -> dict[str, sql.Compiled]:
    common = {"user_id": int, "key": key_type}
    window = {**common, "low": datetime, "high": datetime}
    return {
        "previous": sql.Compiled(
            lambda user_id, key, at: (
                _doses(user_id, key)
                .filter(occurred_at__lte=at)
                .order_by("-occurred_at", "-seq")
                .values_list(*_COLUMNS)[:2]
            ),
            **common,
            at=datetime,
        ),
        "following": sql.Compiled(
            lambda user_id, key, at: (
                _doses(user_id, key)
                .filter(occurred_at__gt=at)
                .order_by("occurred_at", "seq")
                .values_list(*_COLUMNS)[:2]
            ),
            **common,
            at=datetime,
        ),
        # Same amount nearby: the candidate's amount in each unit it converts to exactly (at most mg and mcg).
        "same_amount": sql.Compiled(
            lambda user_id, key, low, high, unit1, micro1, unit2, micro2: (
                _doses(user_id, key)
                .filter(occurred_at__gte=low, occurred_at__lte=high)
                .filter(Q(unit=unit1, amount_micro=micro1) | Q(unit=unit2, amount_micro=micro2))
                .values_list(*_COLUMNS, "payload")[:20]
            ),
            **window,
            unit1=str,
            micro1=int,
            unit2=str,
            micro2=int,
        ),
        "window_totals": sql.Compiled(
            lambda user_id, key, low, high: (
                _doses(user_id, key)
                .filter(occurred_at__gt=low, occurred_at__lt=high)
                .order_by()
                .values_list("unit")
                .annotate(total=Sum("amount_micro"))
            ),
            **window,
        ),
        "window": sql.Compiled(
            lambda user_id, key, low, high: (
                _doses(user_id, key).filter(occurred_at__gt=low, occurred_at__lt=high).values_list(*_COLUMNS)
            ),
            **window,
        ),
    }


BY_PROTOCOL = _reads(uuid.UUID)
BY_COMPOUND = _reads(str)

SAME_CLASS = sql.Compiled(
    lambda user_id, drug_class: (
        Protocol.objects.filter(user_id=user_id, stopped=False, drug_class=drug_class)
        .order_by("name", "pk")
        .values_list("name", "id")
    ),
    user_id=int,
    drug_class=str,
)


def _dose(row: tuple[Any, ...]) -> rules.Dose:
    return rules.Dose(row[0], row[1], Unit(row[2]))


def _first(rows: list[tuple[Any, ...]], exclude_seq: int | None) -> rules.Dose | None:
    return next((_dose(row) for row in rows if row[3] != exclude_seq), None)


def _neighbours(
    user: User,
    dose: DoseInput,
    limits: rules.Limits | None,
    exclude_seq: int | None,
    duplicate_window: timedelta,
) -> rules.Neighbours:
    """The doses the rules look at, of the same protocol or (outside any protocol) the same compound and route."""
    reads, key = (BY_PROTOCOL, dose.protocol.uid) if dose.protocol else (BY_COMPOUND, compound_key(dose.compound))
    t = dose.occurred_at.astimezone(UTC)
    unit = limits.unit if limits else dose.unit
    amount = convert_micro(to_micro(dose.amount), dose.unit, unit)

    previous = following = duplicate = None
    if limits is not None:  # too_soon and off_schedule: the doses on either side
        previous = _first(reads["previous"](user_id=user.pk, key=key, at=t), exclude_seq)
        following = _first(reads["following"](user_id=user.pk, key=key, at=t), exclude_seq)
    if amount is not None:
        pairs = [(u.value, m) for u in Unit if (m := convert_micro(amount, unit, u)) is not None][:2]
        pairs += pairs[:1] * (2 - len(pairs))
        rows = reads["same_amount"](
            user_id=user.pk,
            key=key,
            low=t - duplicate_window,
            high=t + duplicate_window,
            unit1=pairs[0][0],
            micro1=pairs[0][1],
            unit2=pairs[1][0],
            micro2=pairs[1][1],
        )
        found = [
            _dose(row)
            for row in rows
            if row[3] != exclude_seq
            and abs(row[0] - t) < duplicate_window
            and (dose.protocol is not None or json.loads(row[4]).get("route", "") == dose.route)
        ]
        duplicate = min(found, key=lambda d: abs(d.occurred_at - t), default=None)
    window: list[rules.Dose] = []
    if limits is not None and limits.window and limits.window_max_micro is not None and amount is not None:
        low, high = t - limits.window, t + limits.window
        totals = reads["window_totals"](user_id=user.pk, key=key, low=low, high=high)
        bound = amount + sum(convert_micro_up(total, Unit(u), unit) or 0 for u, total in totals)
        if bound > limits.window_max_micro:  # only then can a window exceed the cap: find it exactly
            rows = reads["window"](user_id=user.pk, key=key, low=low, high=high)
            window = [_dose(row) for row in rows if row[3] != exclude_seq]
    return rules.Neighbours(previous, following, duplicate, window)


def evaluate(
    user: User, dose: DoseInput, *, tz: tzinfo = UTC, exclude_seq: int | None = None
) -> tuple[list[rules.Warning], int | None]:
    """Run every rule for `dose` against the effective history; returns warnings and the protocol version seq."""
    limits = plan = version_seq = None
    if dose.protocol is not None:
        limits, plan, version_seq = rules_at(user, dose.protocol, dose.occurred_at)
    duplicate_window = timedelta(minutes=django_settings.DUPLICATE_WINDOW_MINUTES)
    near = _neighbours(user, dose, limits, exclude_seq, duplicate_window)
    cls = dose.protocol.drug_class if dose.protocol is not None else class_of(dose.compound)
    overlapping = []
    if cls:
        exclude = dose.protocol.pk if dose.protocol else None
        overlapping = [name for name, pk in SAME_CLASS(user_id=user.pk, drug_class=cls) if pk != exclude]
    due_at = schedule.advance(near.previous.occurred_at, plan, tz) if plan and near.previous else None
    case = rules.Case(
        candidate=rules.Dose(dose.occurred_at.astimezone(UTC), to_micro(dose.amount), dose.unit),
        limits=limits,
        neighbours=near,
        compound=dose.protocol.name if dose.protocol else dose.compound,
        overlapping=overlapping,
        due_at=due_at.astimezone(UTC) if due_at else None,
        duplicate_window=duplicate_window,
        tz=tz,
        supply=supplies.rule_supply(user, dose.supply, dose.drawn_micro) if dose.supply is not None else None,
        now=timezone.now(),
    )
    return rules.evaluate(case), version_seq


def _append_dose(
    head: LedgerHead,
    dose: DoseInput,
    warnings: list[rules.Warning],
    version_seq: int | None,
    *,
    target: Entry | None = None,
    reason: str = "",
) -> Entry:
    key = compound_key(dose.protocol.compound if dose.protocol else dose.compound)
    data: dict[str, Any] = {
        "amount": hashchain.format_decimal(dose.amount),
        "compound_name": dose.protocol.name if dose.protocol else dose.compound.strip(),
        "route": dose.route,
        "site": dose.site,
        **({"sites": dose.sites} if dose.sites else {}),
        "note": dose.note,
        "acknowledged": [w.as_dict() for w in warnings],
        "protocol_version_seq": version_seq,
    }
    if dose.supply is not None:
        data["supply"] = str(dose.supply.uid)
        data["entered_amount"] = hashchain.format_decimal(dose.entered_amount or dose.amount)
        data["entered_unit"] = dose.entered_unit or dose.unit.value
    if target is not None:
        data["reason"] = reason
    entry = ledger.append(
        head,
        kind=DOSE,
        occurred_at=dose.occurred_at,
        uid=dose.uid,
        subject=dose.protocol.uid if dose.protocol else None,
        compound=key,
        amount_micro=to_micro(dose.amount),
        unit=dose.unit.value,
        target_seq=target.seq if target is not None else None,
        data=data,
    )
    if dose.supply is not None and dose.drawn_micro:
        supplies.record_draw(entry, dose.supply, dose.drawn_micro)
    return entry


def append_dose(head: LedgerHead, dose: DoseInput, warnings: list[rules.Warning], version_seq: int | None) -> Entry:
    """Inside a write: append a dose whose rules were evaluated (`evaluate`), with those warnings as acknowledged.
    For callers that decide about the warnings themselves (an import lists them all before anything is kept)."""
    return _append_dose(head, dose, warnings, version_seq)


def _checked(user: User, dose: DoseInput, tz: tzinfo, exclude_seq: int | None = None) -> Any:
    warnings, version_seq = evaluate(user, dose, tz=tz, exclude_seq=exclude_seq)
    if {w.code for w in warnings} - dose.acknowledge:
        raise DoseConflict(warnings)
    return warnings, version_seq


def record_dose(user: User, dose: DoseInput, *, tz: tzinfo = UTC, **write_options: Any) -> ledger.Outcome:
    """Check the rules and append the dose, in one transaction on the locked chain."""

    def action(head: LedgerHead) -> ledger.Outcome:
        earlier = records.already_recorded(user, dose.uid)
        if earlier is not None:
            return earlier
        warnings, version_seq = _checked(user, dose, tz)
        return ledger.Outcome(201, records.entry_body(_append_dose(head, dose, warnings, version_seq)))

    return _overrides_logged(user, ledger.write(user, action, **write_options))


def _overrides_logged(user: User, outcome: ledger.Outcome) -> ledger.Outcome:
    """A dose recorded past warnings the person confirmed is a security event (the codes, never the dose)."""
    codes = [w["code"] for w in outcome.body.get("warnings") or [] if isinstance(w, dict) and "code" in w]
    if outcome.status == 201 and codes and not outcome.replayed:
        audit.event("rule.overridden", actor=user.pk, seq=outcome.body.get("seq"), codes=codes)
    return outcome


def correct_dose(
    user: User,
    target_uid: uuid.UUID,
    replacement: DoseInput,
    reason: str,
    *,
    tz: tzinfo = UTC,
    **write_options: Any,
) -> ledger.Outcome:
    """Supersede a dose with corrected values, checked by the rules as a new dose would be; the original stays."""

    def replace(head: LedgerHead, target: Entry) -> Entry:
        warnings, version_seq = _checked(user, replacement, tz, exclude_seq=target.seq)
        return _append_dose(head, replacement, warnings, version_seq, target=target, reason=reason)

    return _overrides_logged(user, records.supersede(user, target_uid, DOSE, replace, **write_options))


def correct_with(
    user: User,
    target_uid: uuid.UUID,
    changes: dict[str, Any],
    reason: str,
    *,
    tz: tzinfo = UTC,
    **write_options: Any,
) -> ledger.Outcome:
    """Correct a dose with the fields given (from the API or the page); the rest keep the original's values."""
    target = Entry.objects.for_user(user).of_kind(DOSE).get(uid=target_uid)
    protocol = Protocol.objects.for_user(user).filter(uid=target.subject).first() if target.subject else None
    defaults = defaults_of(target)
    # A dose drawn from a supply draws its corrected amount from the same supply (the original's draw no longer
    # counts once it is superseded).
    supply = Supply.objects.for_user(user).filter(uid=defaults["supply"]).first() if defaults.get("supply") else None
    # The original's time is the default and may lie in the past; only a new time is range-checked.
    replacement = build_dose(changes, protocol=protocol, defaults=defaults, supply=supply)
    return correct_dose(user, target_uid, replacement, reason, tz=tz, **write_options)


def dose_body(entry: Entry) -> dict[str, Any]:
    """The dose's own fields in its JSON (ledger.records.entry_body adds the common ones)."""
    data = entry.data
    return {
        "protocol": str(entry.subject) if entry.subject else None,
        "compound": data.get("compound_name") or entry.compound,
        "amount": hashchain.format_decimal(from_micro(entry.amount_micro or 0)),
        "unit": entry.unit,
        "route": data.get("route", ""),
        "site": data.get("site", ""),
        "sites": data.get("sites") or ([data["site"]] if data.get("site") else []),
        "note": data.get("note", ""),
        "warnings": data.get("acknowledged", []),
        "reason": data.get("reason", ""),
        # What was typed (mg, mL or syringe units) beside the amount in the protocol's unit, and the supply.
        "entered_amount": data.get("entered_amount") or hashchain.format_decimal(from_micro(entry.amount_micro or 0)),
        "entered_unit": data.get("entered_unit") or entry.unit,
        "supply": data.get("supply"),
    }


def dose_summary(entry: Entry, preferences: Mapping[str, str]) -> str:
    """One line of history: "0.25 mg Semaglutide · abdomen left"."""
    data = entry.data
    site = f" · {data['site']}" if data.get("site") else ""
    entered = ""
    if data.get("entered_unit") and data["entered_unit"] != entry.unit:
        unit = "syringe units" if data["entered_unit"] == "syringe_units" else data["entered_unit"]
        entered = f" (entered as {data['entered_amount']} {unit})"
    return f"{from_micro(entry.amount_micro or 0)} {entry.unit} {data.get('compound_name', '')}{entered}{site}"
