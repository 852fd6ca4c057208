"""Import past records: a CSV of doses, or the app's own JSON export. All or nothing, rules included, idempotent.

Every row becomes a normal record through the kinds' own validation and
services, with its original time, inside ONE ledger write (one transaction):

* a row that does not validate is reported by its line and field, and the
  write is rolled back: nothing from the file is kept;
* the dose rules run on each dose against the history so far (rows earlier in
  the file included); when any fire, the write is rolled back and the warnings
  are listed for the person to acknowledge, then the same file is imported again
  with those warnings acknowledged — never silently bypassed;
* each row's record id is derived from the account and the row (or the
  exported record's id), so importing the same file again records nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from django.contrib.auth.models import User

from shotlee.doses.forms import build_dose
from shotlee.doses.services import append_dose, evaluate
from shotlee.ledger import services as ledger
from shotlee.ledger.models import Entry, LedgerHead
from shotlee.lib import exportcheck, rules
from shotlee.lib.errors import InvalidInput
from shotlee.metrics.forms import build_reading
from shotlee.metrics.models import MetricType
from shotlee.metrics.services import METRIC, append_reading
from shotlee.protocols.models import DOSE, PROTOCOL, Protocol
from shotlee.protocols.services import start_protocol
from shotlee.symptoms.forms import build_side_effect
from shotlee.symptoms.services import SIDE_EFFECT, append_side_effect

NAMESPACE = uuid.UUID("5d1f3c0e-7a4b-4f59-9a53-2f7c0a1e9b11")
MAX_BYTES = 20 * 1024 * 1024
CSV_COLUMNS = ("occurred_at", "protocol", "compound", "amount", "unit", "route", "site", "note")
CSV_REQUIRED = ("occurred_at", "amount")
CSV_TEMPLATE = (
    ",".join(CSV_COLUMNS) + "\n"
    "2026-01-05T08:00:00+01:00,,semaglutide,0.25,mg,subcutaneous,abdomen left,first dose\n"
    "2026-01-12 08:00,My protocol,,0.25,mg,,,\n"
)
LOCAL_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


class ImportRejected(Exception):
    """Rows that do not validate: {row label: {field: message}}; nothing was recorded."""

    def __init__(self, errors: dict[str, dict[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors


class ImportNeedsConfirmation(Exception):
    """Rules fired on some rows: {row label: [warnings]}; nothing was recorded until they are acknowledged."""

    def __init__(self, warnings: dict[str, list[rules.Warning]]) -> None:
        super().__init__(warnings)
        self.warnings = warnings

    @property
    def digest(self) -> str:
        """What was shown, so that a confirmation acknowledges exactly these warnings."""
        listed = [[label, [w.code for w in found]] for label, found in self.warnings.items()]
        return hashlib.sha256(json.dumps(listed).encode()).hexdigest()


@dataclass
class Context:
    user: User
    tz: tzinfo
    acknowledge: bool
    protocols: dict[str, Protocol] = field(default_factory=dict)  # exported protocol uid -> this account's
    doses: dict[str, str] = field(default_factory=dict)  # exported dose uid -> this account's


# A planned row: its label for messages, the record id it will get, and how to append it. The append returns the
# warnings the rules raised, or None when the record was there already.
Append = Callable[["LedgerHead", "Context"], "list[rules.Warning] | None"]
Step = tuple[str, uuid.UUID | None, Append]


@dataclass
class Result:
    recorded: int
    already: int
    skipped_kinds: dict[str, int]


def derived_uid(user: User, *parts: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "\x00".join([str(user.pk), *parts]))


def run(
    user: User, steps: list[Step], *, tz: tzinfo, acknowledge: str = "", skipped: dict[str, int] | None = None
) -> Result:
    """Append every step in one write; raise ImportRejected or ImportNeedsConfirmation (rolled back) or return.

    `acknowledge`: the digest of the warnings the person confirmed (ImportNeedsConfirmation.digest).
    """
    context = Context(user, tz, acknowledge=bool(acknowledge))

    def action(head: LedgerHead) -> ledger.Outcome:
        errors: dict[str, dict[str, str]] = {}
        warnings: dict[str, list[rules.Warning]] = {}
        recorded = already = 0
        for label, uid, append in steps:
            if uid is not None and Entry.objects.for_user(user).filter(uid=uid).exists():
                already += 1
                continue
            try:
                fired = append(head, context)
            except InvalidInput as exc:
                errors[label] = exc.errors
                continue
            except (Protocol.DoesNotExist, Entry.DoesNotExist, MetricType.DoesNotExist):
                errors[label] = {"protocol": "refers to a protocol or dose that is not in this file or account"}
                continue
            if fired is None:  # there already (a protocol imported before)
                already += 1
                continue
            if fired:
                warnings[label] = fired
            recorded += 1
        if errors:
            raise ImportRejected(errors)
        if warnings:
            pending = ImportNeedsConfirmation(warnings)
            if pending.digest != acknowledge:
                raise pending
        return ledger.Outcome(201, {"recorded": recorded, "already": already})

    outcome = ledger.write(user, action)
    return Result(outcome.body["recorded"], outcome.body["already"], skipped or {})


def _dose_step(
    values: dict[str, Any], protocol_key: str | None
) -> Callable[[LedgerHead, Context], list[rules.Warning]]:
    def append(head: LedgerHead, context: Context) -> list[rules.Warning]:
        protocol = None
        if protocol_key:
            protocol = context.protocols.get(protocol_key) or _protocol_named(context.user, protocol_key)
        dose = build_dose(values, protocol=protocol, defaults={})
        warnings, version_seq = evaluate(context.user, dose, tz=context.tz)
        entry = append_dose(head, dose, warnings, version_seq)
        if values.get("exported_uid"):
            context.doses[values["exported_uid"]] = str(entry.uid)
        return warnings

    return append


def _protocol_named(user: User, key: str) -> Protocol:
    mine = Protocol.objects.for_user(user)
    try:
        found = mine.filter(uid=uuid.UUID(key)).first()
    except ValueError:
        found = mine.filter(name__iexact=key.strip()).order_by("stopped", "pk").first()
    if found is None:
        raise InvalidInput({"protocol": f"you have no protocol called “{key}”; leave it empty and give the compound"})
    return found


# ---- CSV of past doses


def _csv_time(raw: str, tz: tzinfo) -> datetime:
    text = raw.strip()
    if not text:
        raise InvalidInput({"occurred_at": "is required (when the dose was taken)"})
    value: datetime | None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        value = None
        for pattern in LOCAL_FORMATS:
            try:
                value = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        if value is None:
            raise InvalidInput(
                {"occurred_at": f"“{text}” is not a time; write 2026-01-31T08:00:00+01:00 or 2026-01-31 08:00"}
            )
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value


def csv_steps(user: User, data: bytes, tz: tzinfo) -> list[Step]:
    """One step per row of a dose CSV (columns in CSV_COLUMNS; extra columns are ignored)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected({"File": {"file": "is not UTF-8 text; save the spreadsheet as CSV UTF-8"}}) from None
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in CSV_REQUIRED if c not in headers]
    if missing:
        raise ImportRejected(
            {"File": {"columns": f"the first line must name the columns; missing: {', '.join(missing)}"}}
        )
    steps: list[Step] = []
    seen: dict[str, int] = {}
    for row in reader:
        values = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if isinstance(v, str)}
        if not any(values.values()):
            continue
        label = f"Line {reader.line_num}"
        signature = json.dumps([values.get(c, "") for c in CSV_COLUMNS])
        seen[signature] = seen.get(signature, 0) + 1
        uid = derived_uid(user, "csv", signature, str(seen[signature]))
        steps.append((label, uid, _csv_dose(values, uid, tz)))
    if not steps:
        raise ImportRejected({"File": {"file": "has no rows under its first line"}})
    return steps


def _csv_dose(
    values: dict[str, str], uid: uuid.UUID, tz: tzinfo
) -> Callable[[LedgerHead, Context], list[rules.Warning]]:
    def append(head: LedgerHead, context: Context) -> list[rules.Warning]:
        occurred_at = _csv_time(values.get("occurred_at", ""), tz)
        if not values.get("protocol") and not values.get("compound"):
            raise InvalidInput({"compound": "give the compound, or the name of one of your protocols"})
        fields = {k: values[k] for k in ("amount", "unit", "route", "site", "note", "compound") if values.get(k)}
        return _dose_step({**fields, "occurred_at": occurred_at, "client_entry_id": uid}, values.get("protocol"))(
            head, context
        )

    return append


# ---- the app's own JSON export


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def export_steps(user: User, data: bytes) -> tuple[list[Step], dict[str, int]]:
    """Steps for the effective records of an export (which must verify), protocols first; kinds not handled are
    counted, not imported."""
    try:
        document = exportcheck.load(data)
    except exportcheck.NotAnExport as exc:
        raise ImportRejected({"File": {"file": str(exc)}}) from None
    report = exportcheck.check(document)
    if not report.ok:
        raise ImportRejected(
            {"File": {"file": f"does not verify at entry #{report.first_bad_seq}: {report.reason}; nothing imported"}}
        )
    items = document["entries"]
    replaced = {item["target_seq"] for item in items if item.get("target_seq")}
    latest: dict[str, dict[str, Any]] = {}
    for item in items:
        if item["kind"] == PROTOCOL:
            latest[item["subject"]] = item
    steps: list[Step] = [
        (f"Protocol “{item['payload']['settings'].get('name', '')}”", None, _protocol_step(user, subject, item))
        for subject, item in latest.items()
    ]
    skipped: dict[str, int] = {}
    for item in items:
        kind = item["kind"]
        if item["seq"] in replaced or kind in (PROTOCOL, "void"):
            continue
        label = f"Entry #{item['seq']}"
        uid = derived_uid(user, "export", item["uid"])
        if kind == DOSE:
            steps.append((label, uid, _exported_dose(item, uid)))
        elif kind == SIDE_EFFECT:
            steps.append((label, uid, _exported_side_effect(item, uid)))
        elif kind == METRIC:
            steps.append((label, uid, _exported_reading(item, uid)))
        else:
            skipped[kind] = skipped.get(kind, 0) + 1
    return steps, skipped


def _protocol_step(user: User, subject: str, item: dict[str, Any]) -> Append:
    def append(head: LedgerHead, context: Context) -> list[rules.Warning] | None:
        uid = derived_uid(user, "protocol", subject)
        existing = Protocol.objects.for_user(user).filter(uid=uid).first()
        if existing is not None:
            context.protocols[subject] = existing
            return None
        payload = item["payload"]
        context.protocols[subject] = start_protocol(
            head, user, payload["settings"], uid=uid, stopped=payload.get("action") == "stop"
        )
        return []

    return append


def _exported_dose(item: dict[str, Any], uid: uuid.UUID) -> Callable[[LedgerHead, Context], list[rules.Warning]]:
    payload = item["payload"]
    values = {
        "amount": payload.get("amount"),
        "unit": item["unit"],
        "route": payload.get("route", ""),
        "site": payload.get("site", ""),
        "note": payload.get("note", ""),
        "compound": payload.get("compound_name") or item["compound"],
        "occurred_at": _time(item["occurred_at"]),
        "client_entry_id": uid,
        "exported_uid": item["uid"],
    }
    return _dose_step(values, item.get("subject"))


def _exported_side_effect(item: dict[str, Any], uid: uuid.UUID) -> Callable[[LedgerHead, Context], list[rules.Warning]]:
    def append(head: LedgerHead, context: Context) -> list[rules.Warning]:
        payload = item["payload"]
        protocol = context.protocols.get(item.get("subject") or "")
        effect = build_side_effect(
            context.user,
            {
                "symptom": payload["symptom"],
                "severity": payload["severity"],
                "started_at": _time(item["occurred_at"]),
                "ended_at": _time(payload["ended_at"]) if payload.get("ended_at") else None,
                "site": payload.get("site", ""),
                "note": payload.get("note", ""),
                "protocol": protocol.uid if protocol else None,
                "dose": context.doses.get(payload.get("dose") or ""),
                "client_entry_id": uid,
            },
        )
        append_side_effect(head, effect)
        return []

    return append


def _exported_reading(item: dict[str, Any], uid: uuid.UUID) -> Callable[[LedgerHead, Context], list[rules.Warning]]:
    def append(head: LedgerHead, context: Context) -> list[rules.Warning]:
        payload = item["payload"]
        key = payload["type"]
        if key.startswith("custom:"):  # the other account's own type: the same name and unit in this one
            custom, _ = MetricType.objects.get_or_create(
                user=context.user, name=payload["name"], defaults={"unit": payload["unit"]}
            )
            key = custom.key
        protocol = context.protocols.get(item.get("subject") or "")
        reading = build_reading(
            context.user,
            {
                "type": key,
                "value": payload["value"],
                "value2": payload.get("value2"),
                "unit": payload["unit"],
                "measured_at": _time(item["occurred_at"]),
                "note": payload.get("note", ""),
                "protocol": protocol.uid if protocol else None,
                "client_entry_id": uid,
            },
        )
        append_reading(head, context.user, reading)
        return []

    return append


def steps_for(user: User, data: bytes, tz: tzinfo) -> tuple[list[Step], dict[str, int]]:
    """A Shotlee export (JSON) or a dose CSV, told apart by the first character."""
    if data.lstrip()[:1] == b"{":
        return export_steps(user, data)
    return csv_steps(user, data, tz), {}
