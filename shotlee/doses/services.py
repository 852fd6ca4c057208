"""Record, void and correct doses; the safety rules run inside the chain lock."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django.conf import settings as django_settings
from django.utils import timezone

from shotlee.ledger import services as ledger
from shotlee.ledger import sql
from shotlee.ledger.models import Entry, Kind
from shotlee.ledger.services import CorrectionRefused
from shotlee.lib import hashchain, rules, schedule
from shotlee.lib.classes import compound_key
from shotlee.lib.units import Unit, convert_micro, from_micro, to_micro
from shotlee.protocols.models import Protocol
from shotlee.protocols.services import class_of, limits_at


class DoseConflict(Exception):
    """Rules fired that the request did not acknowledge: nothing was recorded (409)."""

    def __init__(self, warnings: list[rules.Warning]):
        super().__init__([w.code for w in warnings])
        self.warnings = warnings


@dataclass
class DoseInput:
    amount: Decimal
    unit: Unit
    occurred_at: datetime
    protocol: Protocol | None = None
    compound: str = ""
    route: str = ""
    site: str = ""
    note: str = ""
    acknowledge: frozenset[str] = field(default_factory=frozenset)
    uid: uuid.UUID | None = None


# The rules' two reads, prepared once (see ledger/sql.py): they run inside the chain lock on every dose.
SAME_COMPOUND_SQL = """
    SELECT e.occurred_at, e.amount_micro, e.unit, e.seq FROM ledger_entry e
    WHERE e.user_id = %s AND e.kind = 'dose' AND e.compound = %s AND e.occurred_at >= %s AND e.occurred_at <= %s
      AND NOT EXISTS (SELECT 1 FROM ledger_entry c WHERE c.user_id = e.user_id AND c.target_seq = e.seq)
"""
SAME_CLASS_SQL = "SELECT name, id FROM protocols_protocol WHERE user_id = %s AND stopped = %s AND drug_class = %s"


def _same_compound(user: Any, key: str, around: datetime, span: timedelta, exclude_seq: int | None) -> list[rules.Dose]:
    """Effective doses of the compound within `span` of `around`: an indexed window, never the whole history."""
    low = sql.db_value(Entry, "occurred_at", around - span)
    high = sql.db_value(Entry, "occurred_at", around + span)
    with sql.cursor() as cursor:
        cursor.execute(SAME_COMPOUND_SQL, [user.pk, key, low, high])
        rows = cursor.fetchall()
    return [rules.Dose(sql.py_time(at), micro, Unit(unit)) for at, micro, unit, seq in rows if seq != exclude_seq]


def _same_class(user: Any, drug_class: str, exclude_pk: int | None) -> list[str]:
    """Names of the user's other active protocols in the drug class."""
    with sql.cursor() as cursor:
        cursor.execute(SAME_CLASS_SQL, [user.pk, False, drug_class])
        return [name for name, pk in cursor.fetchall() if pk != exclude_pk]


def evaluate(
    user: Any, dose: DoseInput, *, tz: tzinfo = UTC, exclude_seq: int | None = None
) -> tuple[list[rules.Warning], int | None]:
    """Run every rule for `dose` against the effective history; returns warnings and the protocol version seq."""
    key = compound_key(dose.protocol.compound if dose.protocol else dose.compound)
    limits = None
    version_seq = None
    if dose.protocol is not None:
        limits, version_seq = limits_at(user, dose.protocol, dose.occurred_at)
    duplicate_window = timedelta(minutes=django_settings.DUPLICATE_WINDOW_MINUTES)
    span = max(
        duplicate_window,
        (limits.min_interval or timedelta(0)) if limits else timedelta(0),
        (limits.window or timedelta(0)) if limits else timedelta(0),
    )
    history = _same_compound(user, key, dose.occurred_at, span, exclude_seq)
    cls = dose.protocol.drug_class if dose.protocol is not None else class_of(key)
    overlapping = _same_class(user, cls, dose.protocol.pk if dose.protocol else None) if cls else []
    name = dose.protocol.name if dose.protocol else dose.compound
    warnings = rules.check(
        rules.Dose(dose.occurred_at, to_micro(dose.amount), dose.unit),
        limits,
        history,
        compound=name,
        overlapping=overlapping,
        duplicate_window=duplicate_window,
        tz=tz,
    )
    return warnings, version_seq


def _append_dose(
    head: Any,
    user: Any,
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
        "note": dose.note,
        "acknowledged": [w.as_dict() for w in warnings],
        "protocol_version_seq": version_seq,
    }
    if target is not None:
        data["reason"] = reason
    return ledger.append(
        head,
        kind=Kind.DOSE,
        occurred_at=dose.occurred_at,
        uid=dose.uid,
        subject=dose.protocol.uid if dose.protocol else None,
        compound=key,
        amount_micro=to_micro(dose.amount),
        unit=dose.unit.value,
        target_seq=target.seq if target is not None else None,
        data=data,
    )


def record_dose(user: Any, dose: DoseInput, *, tz: tzinfo = UTC, **write_options: Any) -> ledger.Outcome:
    """Check the rules and append the dose, in one transaction on the locked chain."""

    def action(head: Any) -> ledger.Outcome:
        earlier = already_recorded(user, dose.uid)
        if earlier is not None:
            return earlier
        warnings, version_seq = evaluate(user, dose, tz=tz)
        if {w.code for w in warnings} - dose.acknowledge:
            raise DoseConflict(warnings)
        entry = _append_dose(head, user, dose, warnings, version_seq)
        return ledger.Outcome(201, entry_body(entry))

    return ledger.write(user, action, **write_options)


def record_entry(
    user: Any, uid: uuid.UUID | None, build: Callable[[Any], Entry], **write_options: Any
) -> ledger.Outcome:
    """Append the record `build(head)` makes, unless this client entry id was recorded already (a retry).

    For records no rule checks (side effects, metrics); a dose goes through `record_dose`.
    """

    def action(head: Any) -> ledger.Outcome:
        earlier = already_recorded(user, uid)
        if earlier is not None:
            return earlier
        return ledger.Outcome(201, entry_body(build(head)))

    return ledger.write(user, action, **write_options)


def already_recorded(user: Any, uid: uuid.UUID | None) -> ledger.Outcome | None:
    """The same client entry id again: the device retried, so answer with what was recorded."""
    if uid is None:
        return None
    existing = Entry.objects.for_user(user).filter(uid=uid).first()
    return None if existing is None else ledger.Outcome(201, entry_body(existing), replayed=True)


def correct_entry(
    user: Any,
    target_uid: uuid.UUID,
    *,
    action: str,
    reason: str,
    replacement: DoseInput | None = None,
    tz: tzinfo = UTC,
    **write_options: Any,
) -> ledger.Outcome:
    """Void a dose ("entered in error") or supersede it with corrected values; the original stays."""

    def run(head: Any) -> ledger.Outcome:
        target = ledger.correctable(user, target_uid)
        if action == "void":
            return ledger.Outcome(201, entry_body(ledger.void(head, target, reason)))
        if target.kind != Kind.DOSE:
            raise CorrectionRefused(f"entry #{target.seq} is not a dose")
        assert replacement is not None
        warnings, version_seq = evaluate(user, replacement, tz=tz, exclude_seq=target.seq)
        if {w.code for w in warnings} - replacement.acknowledge:
            raise DoseConflict(warnings)
        entry = _append_dose(head, user, replacement, warnings, version_seq, target=target, reason=reason)
        return ledger.Outcome(201, entry_body(entry))

    return ledger.write(user, run, **write_options)


def entry_body(entry: Entry, *, superseded_by: Entry | None = None) -> dict[str, Any]:
    """The JSON shape of a ledger entry, shared by the dose, correction and ledger endpoints."""
    data = entry.data
    body: dict[str, Any] = {
        "id": str(entry.uid),
        "seq": entry.seq,
        "kind": entry.kind,
        "occurred_at": hashchain.format_time(entry.occurred_at),
        "recorded_at": hashchain.format_time(entry.recorded_at),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "corrects_seq": entry.target_seq,
    }
    if entry.kind == Kind.DOSE:
        body.update(
            {
                "protocol": str(entry.subject) if entry.subject else None,
                "compound": data.get("compound_name") or entry.compound,
                "amount": hashchain.format_decimal(from_micro(entry.amount_micro or 0)),
                "unit": entry.unit,
                "route": data.get("route", ""),
                "site": data.get("site", ""),
                "note": data.get("note", ""),
                "warnings": data.get("acknowledged", []),
                "reason": data.get("reason", ""),
            }
        )
    elif entry.kind in (Kind.SIDE_EFFECT, Kind.METRIC):
        body.update({"protocol": str(entry.subject) if entry.subject else None, **data})
    elif entry.kind == Kind.VOID:
        body["reason"] = data.get("reason", "")
    elif entry.kind == Kind.PROTOCOL:
        body["protocol"] = str(entry.subject)
        body["action"] = data.get("action")
        body["settings"] = data.get("settings")
    if superseded_by is not None:
        body["status"] = "entered-in-error" if superseded_by.kind == Kind.VOID else "corrected"
        body["superseded_by_seq"] = superseded_by.seq
    elif entry.kind in (Kind.DOSE, Kind.SIDE_EFFECT, Kind.METRIC):
        body["status"] = "effective"
    return body


def superseding(user: Any, entries: list[Entry]) -> dict[int, Entry]:
    """For a page of entries: seq -> the void or correction that replaced it (one query)."""
    return {e.target_seq: e for e in sql.replacements(user.pk, [e.seq for e in entries])}


def last_dose(user: Any, protocol: Protocol) -> Entry | None:
    return (
        Entry.objects.for_user(user)
        .doses()
        .filter(subject=protocol.uid)
        .effective()
        .order_by("-occurred_at", "-seq")
        .first()
    )


def first_dose(user: Any, protocol: Protocol) -> Entry | None:
    return (
        Entry.objects.for_user(user)
        .doses()
        .filter(subject=protocol.uid)
        .effective()
        .order_by("occurred_at", "seq")
        .first()
    )


@dataclass
class Status:
    """Where a protocol stands now: last real dose, next due time, missed doses, ladder step."""

    last: Entry | None
    next_due: datetime | None
    missed: int
    step: int | None
    steps: int
    dose: Decimal

    @property
    def overdue(self) -> bool:
        return self.next_due is not None and self.next_due < timezone.now()


def protocol_status(user: Any, protocol: Protocol, tz: tzinfo = UTC, now: datetime | None = None) -> Status:
    current = protocol.current
    now = now or timezone.now()
    last = last_dose(user, protocol)
    plan = current.plan()
    if protocol.stopped or (plan is None and current.interval_hours is None):
        return Status(last, None, 0, None, len(current.ladder), current.dose)
    starts_at = schedule.start_of(date.fromisoformat(current.starts_on), tz)
    last_at = last.occurred_at if last else None
    if plan is None:  # a fractional number of hours
        due = last_at + timedelta(microseconds=int(current.interval_hours * 3600 * 1_000_000)) if last_at else starts_at
        return Status(last, due, 0, None, 0, current.dose)
    step = None
    dose = current.dose
    if plan.ladder:
        first = first_dose(user, protocol)
        step = schedule.ladder_step(plan, first.occurred_at if first else None, now)
        dose = plan.ladder[step].dose
    due = schedule.next_due(plan, last_at, starts_at, tz)
    return Status(last, due, schedule.missed(plan, last_at, starts_at, now, tz), step, len(plan.ladder), dose)


def next_due(user: Any, protocol: Protocol, tz: tzinfo = UTC) -> datetime | None:
    """The next due time follows the last real dose (not the plan); before any dose, the start date."""
    return protocol_status(user, protocol, tz).next_due


def suggested_site(user: Any, protocol: Protocol) -> str:
    """The least recently used site or zone of the protocol (one never used comes first, in list order)."""
    sites = protocol.current.sites
    if not sites:
        return ""
    last_used: dict[str, datetime] = {}
    recent = (
        Entry.objects.for_user(user)
        .doses()
        .filter(subject=protocol.uid)
        .effective()
        .order_by("-occurred_at", "-seq")
        .values_list("occurred_at", "payload")[:500]
    )
    for occurred_at, payload in recent:
        site = json.loads(payload).get("site")
        if site in sites and site not in last_used:
            last_used[site] = occurred_at
            if len(last_used) == len(sites):
                break
    never = [s for s in sites if s not in last_used]
    if never:
        return never[0]
    return min(sites, key=lambda s: last_used[s])


__all__ = ["DoseConflict", "DoseInput", "record_dose", "correct_entry", "convert_micro"]
