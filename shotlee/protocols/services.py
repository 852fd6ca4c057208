"""Create and change protocols: each version is a ledger record."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime
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
from shotlee.lib.schedule import Schedule
from shotlee.protocols.models import DOSE, PROTOCOL, Protocol, ProtocolSettings
from shotlee.protocols.settings_input import ProtocolInvalid, clean_settings


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


def ladders_in_force(user: User, protocol: Protocol) -> list[tuple[datetime, Schedule | None, int]]:
    """Each version's time, schedule and highest confirmed titration step, oldest first (one query): a dose's step
    is counted with the version in force when it was taken, so confirming a step later never relabels the doses
    before it."""
    return [(at, *_ladder(payload)) for at, _, payload in VERSIONS(user_id=user.pk, subject=protocol.uid)]


@functools.lru_cache(maxsize=1024)
def _ladder(payload: str) -> tuple[Schedule | None, int]:
    settings = ProtocolSettings.from_dict(json.loads(payload)["settings"])
    return settings.plan(), settings.confirmed_step


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
