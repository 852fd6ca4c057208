"""Supplies: their events through the ledger, what is left in each, which one a dose draws from, and the
conversion of a dose typed in mL or syringe units into the protocol's unit by the supply's concentration."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from fractions import Fraction
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from shotlee.ledger import services as ledger
from shotlee.ledger.models import Entry, LedgerHead
from shotlee.lib import hashchain, rules, schedule, supply
from shotlee.lib.classes import compound_key
from shotlee.lib.errors import InvalidInput
from shotlee.lib.supply import SupplyError
from shotlee.lib.units import AmountError, Unit, convert_micro, from_micro, parse_unit, to_micro
from shotlee.protocols.models import Protocol
from shotlee.protocols.status import protocol_status
from shotlee.supplies.forms import SupplyInput, build_adjustment, build_reconstitution
from shotlee.supplies.models import SUPPLY, Draw, Form, Supply

ADDED, OPENED, RECONSTITUTED, ADJUSTED, DISCARDED = "added", "opened", "reconstituted", "adjusted", "discarded"
EVENT_LABELS = {
    ADDED: "Added",
    OPENED: "Opened",
    RECONSTITUTED: "Reconstituted",
    ADJUSTED: "Adjusted",
    DISCARDED: "Discarded",
}
LOW_DOSES = 2  # the dashboard warns when a supply holds this many doses or fewer
EXPIRY_NOTICE_DAYS = 7  # ... or will be past its usable date within this many days
ENTERED_ONLY = (supply.SYRINGE_UNITS,)  # units a dose may be typed in but never stored in


# ---- events (each one ledger record, and the projection row changed in the same transaction)


def _event(
    head: LedgerHead, item: Supply, event: str, data: dict[str, Any], *, amount_micro: int | None = None
) -> Entry:
    return ledger.append(
        head,
        kind=SUPPLY,
        occurred_at=timezone.now(),
        subject=item.uid,
        compound=item.compound,
        amount_micro=amount_micro,
        unit=item.container_unit if amount_micro is not None else "",
        data={"event": event, "name": item.name, **data},
    )


def _decimal(micro: int | None) -> str | None:
    return None if micro is None else hashchain.format_decimal(from_micro(micro))


def add_supply(user: User, new: SupplyInput, **write_options: Any) -> ledger.Outcome:
    """Record a supply: one "added" ledger record, and its row."""

    def action(head: LedgerHead) -> ledger.Outcome:
        uid = new.uid or uuid.uuid4()
        existing = Supply.objects.for_user(user).filter(uid=uid).first()
        if existing is not None:  # the device retried with the same client id
            return ledger.Outcome(201, supply_json(user, existing), replayed=True)
        powder = to_micro(new.powder) if new.powder is not None else None
        item = Supply(
            uid=uid,
            user=user,
            name=new.name,
            compound=compound_key(new.name),
            form=new.form,
            drug_unit=new.drug_unit,
            strength_micro=to_micro(new.strength) if new.strength is not None else None,
            quantity_micro=to_micro(new.quantity) if new.quantity is not None else None,
            powder_micro=powder,
            dose_steps=new.dose_steps,
            lot=new.lot,
            expires_on=new.expires_on,
            opened_on=new.opened_on,
            beyond_use_days=new.beyond_use_days,
            added_seq=head.seq + 1,
        )
        _event(
            head,
            item,
            ADDED,
            {
                "form": item.form,
                "drug_unit": item.drug_unit,
                "strength": _decimal(item.strength_micro),
                "quantity": _decimal(item.quantity_micro),
                "powder": _decimal(powder),
                "dose_steps": item.dose_steps,
                "lot": item.lot,
                "expires_on": item.expires_on.isoformat() if item.expires_on else None,
                "opened_on": item.opened_on.isoformat() if item.opened_on else None,
                "beyond_use_days": item.beyond_use_days,
                "note": new.note,
            },
            amount_micro=item.quantity_micro,
        )
        item.save()
        return ledger.Outcome(201, supply_json(user, item))

    return ledger.write(user, action, **write_options)


def _locked(user: User, uid: uuid.UUID) -> Supply:
    """The user's supply, read inside the write (Supply.DoesNotExist, a 404, for anyone else's); not discarded."""
    item: Supply = Supply.objects.for_user(user).get(uid=uid)
    if item.discarded_on is not None:
        raise InvalidInput({"supply": f"{item.label} was discarded on {item.discarded_on:%d %b %Y}"})
    return item


def _store(item: Supply, *fields: str) -> None:
    """Write the projection's changed fields, by the user's id and the row's (every statement names the user)."""
    Supply.objects.filter(user_id=item.user_id, pk=item.pk).update(**{f: getattr(item, f) for f in fields})


def open_supply(user: User, uid: uuid.UUID, *, on: date, **write_options: Any) -> ledger.Outcome:
    def action(head: LedgerHead) -> ledger.Outcome:
        item = _locked(user, uid)
        if item.opened_on is not None:
            raise InvalidInput({"opened_on": f"it was opened on {item.opened_on:%d %b %Y} already"})
        item.opened_on = on
        _event(head, item, OPENED, {"opened_on": on.isoformat()})
        _store(item, "opened_on")
        return ledger.Outcome(201, supply_json(user, item))

    return ledger.write(user, action, **write_options)


def reconstitute(
    user: User, uid: uuid.UUID, values: dict[str, Any], *, on: date, **write_options: Any
) -> ledger.Outcome:
    """Powder + diluent: the concentration, stored on the vial with the worked calculation in its record."""

    def action(head: LedgerHead) -> ledger.Outcome:
        item = _locked(user, uid)
        if item.form != Form.VIAL:
            raise InvalidInput({"supply": "only a vial of powder can be reconstituted"})
        if item.strength_micro is not None:
            raise InvalidInput({"diluent": f"{item.label} already has a strength ({item.strength_text})"})
        conc, powder = build_reconstitution(values, from_micro(item.powder_micro) if item.powder_micro else None)
        item.powder_micro, item.diluent_micro = to_micro(powder), to_micro(conc.volume)
        item.strength_micro, item.per_micro, item.quantity_micro = (
            item.powder_micro,
            item.diluent_micro,
            item.diluent_micro,
        )
        if item.opened_on is None:
            item.opened_on = on  # water went in through the stopper: the vial is open
        _event(
            head,
            item,
            RECONSTITUTED,
            {
                "powder": _decimal(item.powder_micro),
                "diluent": _decimal(item.diluent_micro),
                "concentration": conc.text(item.drug_unit),
                "calculation": worked_reconstitution(conc, item.drug_unit),
                "opened_on": item.opened_on.isoformat(),
            },
            amount_micro=item.diluent_micro,
        )
        _store(item, "powder_micro", "diluent_micro", "strength_micro", "per_micro", "quantity_micro", "opened_on")
        return ledger.Outcome(201, supply_json(user, item))

    return ledger.write(user, action, **write_options)


def worked_reconstitution(conc: supply.Concentration, drug_unit: str = "mg") -> str:
    return f"{conc.amount} {drug_unit} ÷ {conc.volume} mL = {conc.text(drug_unit)}"


def adjust_supply(user: User, uid: uuid.UUID, values: dict[str, Any], **write_options: Any) -> ledger.Outcome:
    """A loss (spilled, broken, lost) in the supply's own unit, with its reason."""
    amount, reason = build_adjustment(values)

    def action(head: LedgerHead) -> ledger.Outcome:
        item = _locked(user, uid)
        drug = item.drug_of(amount)
        if drug is None:
            raise InvalidInput({"amount": "reconstitute the vial first: it has no strength yet"})
        item.adjusted_micro -= drug
        _event(
            head,
            item,
            ADJUSTED,
            {"lost": hashchain.format_decimal(amount), "lost_drug": _decimal(drug), "reason": reason},
            amount_micro=-to_micro(amount),
        )
        _store(item, "adjusted_micro")
        return ledger.Outcome(201, supply_json(user, item))

    return ledger.write(user, action, **write_options)


def discard_supply(user: User, uid: uuid.UUID, reason: str, *, on: date, **write_options: Any) -> ledger.Outcome:
    def action(head: LedgerHead) -> ledger.Outcome:
        item = _locked(user, uid)
        left = remaining(user, item)
        item.discarded_on = on
        _event(head, item, DISCARDED, {"discarded_on": on.isoformat(), "left": _decimal(left), "reason": reason})
        _store(item, "discarded_on")
        return ledger.Outcome(201, supply_json(user, item))

    return ledger.write(user, action, **write_options)


def events(user: User, item: Supply) -> list[Entry]:
    """The supply's records, oldest first (indexed by (user, subject, kind, occurred_at))."""
    rows = Entry.objects.for_user(user).filter(subject=item.uid, kind=SUPPLY).order_by("occurred_at", "seq")
    return list(rows[:500])


# ---- what is left


def _effective_draws(user_id: int) -> Any:
    """Draws whose dose is still effective: no void or correction targets its seq (ledger's definition)."""
    replaced = Entry.objects.filter(user_id=OuterRef("user_id"), target_seq=OuterRef("seq"))
    return Draw.objects.filter(user_id=user_id).filter(~Exists(replaced))


def drawn(user: User | int, uids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Drug drawn by effective doses from each supply, in one grouped query."""
    user_id = user if isinstance(user, int) else user.pk
    wanted = list(uids)
    if not wanted:
        return {}
    rows = (
        _effective_draws(user_id)
        .filter(supply__in=wanted)
        .order_by()
        .values_list("supply")
        .annotate(total=Sum("amount_micro"))
    )
    return {uid: int(total or 0) for uid, total in rows}


def remaining(user: User | int, item: Supply, already: Mapping[uuid.UUID, int] | None = None) -> int:
    used = (already if already is not None else drawn(user, [item.uid])).get(item.uid, 0)
    return supply.remaining_micro(item.total_micro, item.adjusted_micro, used, discarded=item.discarded_on is not None)


@dataclass
class Standing:
    """Where a supply stands: what is left, for how many doses, until when; the warnings a person should see."""

    supply: Supply
    remaining_micro: int
    usable_until: date | None
    expired: bool
    expires_soon: bool
    protocol: Protocol | None = None
    dose_micro: int | None = None  # the protocol's current dose in the supply's unit
    doses_left: int | None = None
    runs_out_at: datetime | None = None

    @property
    def remaining_text(self) -> str:
        item = self.supply
        text = f"{supply.show(Fraction(self.remaining_micro, 1_000_000), 3)} {item.drug_unit}"
        container = item.in_container_units(self.remaining_micro)
        if container is not None and item.form != Form.PEN:
            text += f" ({supply.show(container, 2)} {item.container_unit})"
        return text

    @property
    def low(self) -> bool:
        return self.doses_left is not None and self.doses_left <= LOW_DOSES

    @property
    def warnings(self) -> list[str]:
        notes = []
        if self.supply.needs_reconstitution:
            notes.append("not yet reconstituted")
        if self.expired:
            notes.append(f"past its usable date ({self.usable_until:%d %b %Y})")
        elif self.expires_soon:
            notes.append(f"usable until {self.usable_until:%d %b %Y}")
        if self.remaining_micro <= 0 and not self.supply.needs_reconstitution:
            notes.append("empty")
        elif self.low:
            notes.append(f"{self.doses_left} dose(s) left")
        return notes


def standings(user: User, items: list[Supply], *, tz: tzinfo, today: date) -> list[Standing]:
    """Each supply's standing; doses left and run-out date at the matching active protocol's dose and schedule."""
    used = drawn(user, [s.uid for s in items])
    protocols = {p.compound: p for p in Protocol.objects.for_user(user).active()}
    result = []
    for item in items:
        until = item.usable_until
        standing = Standing(
            supply=item,
            remaining_micro=remaining(user, item, used),
            usable_until=until,
            expired=supply.expired(until, today),
            expires_soon=until is not None and (until - today).days <= EXPIRY_NOTICE_DAYS,
        )
        protocol = protocols.get(item.compound)
        if protocol is not None and item.discarded_on is None:
            status = protocol_status(user, protocol, tz)
            dose = convert_micro(to_micro(status.dose), protocol.current.unit, _unit(item.drug_unit))
            if dose is not None and dose > 0:
                standing.protocol, standing.dose_micro = protocol, dose
                standing.doses_left = supply.doses_left(standing.remaining_micro, dose)
                plan = protocol.current.plan()
                if status.next_due is not None and plan is not None:
                    standing.runs_out_at = supply.runs_out(
                        status.next_due, standing.doses_left, partial(_advance, plan=plan, tz=tz)
                    )
        result.append(standing)
    return result


def _advance(at: datetime, *, plan: schedule.Schedule, tz: tzinfo) -> datetime:
    return schedule.advance(at, plan, tz)


def _unit(name: str) -> Unit:
    return Unit(name) if name in Unit.__members__.values() else Unit.MG


# ---- doses drawn from a supply


def supply_for_dose(
    user: User, uid: uuid.UUID | str | None, compound: str, *, on: date, unit: Unit | None = None
) -> Supply | None:
    """The supply a dose draws from: the one named (Supply.DoesNotExist for anyone else's), or by default the
    first-expiring open one of the compound with something left (lib.supply.fifo), among those whose unit
    converts to the protocol's `unit`; None when there is none."""
    if uid not in (None, ""):
        found: Supply = Supply.objects.for_user(user).get(uid=uid)
        return found
    key = compound_key(compound) if compound else ""
    if not key:
        return None
    candidates = list(Supply.objects.for_user(user).in_use().filter(compound=key, strength_micro__isnull=False)[:50])
    if unit is not None and unit != Unit.ML:
        candidates = [s for s in candidates if convert_micro(1_000_000, _unit(s.drug_unit), unit) is not None]
    if not candidates:
        return None
    used = drawn(user, [s.uid for s in candidates])
    stocks = [
        supply.Stock(s, remaining(user, s, used), s.opened_on is not None, s.usable_until, s.added_seq)
        for s in candidates
    ]
    chosen = supply.fifo(stocks, on)
    return chosen.key if chosen is not None else None


@dataclass(frozen=True)
class Conversion:
    amount: Decimal  # in `unit`, rounded to micro-units
    unit: Unit
    entered_amount: Decimal
    entered_unit: str
    drawn_micro: int | None  # the drug it takes from the supply, in the supply's unit
    steps: tuple[str, ...] = ()
    exact: bool = True


def convert_dose(item: Supply | None, raw_amount: Any, raw_unit: Any, syringe: Any, target: Unit | None) -> Conversion:
    """A dose as typed (mg, mL or syringe units) in the protocol's unit (`target`; the supply's own without a
    protocol), by the supply's concentration; InvalidInput naming the field when it cannot be."""
    entered = str(raw_unit).strip() if isinstance(raw_unit, str) else ""
    lowered = entered.lower().replace(" ", "_")
    if lowered in ("syringe_units", "syringe_unit"):
        entered = supply.SYRINGE_UNITS
    elif lowered == "ml":
        entered = supply.ML
    try:
        amount = supply.number(raw_amount, "amount", "the amount")
    except SupplyError as exc:
        raise InvalidInput({exc.field: exc.message}) from None
    if item is None:
        raise InvalidInput({"supply": "syringe units need a supply (a vial) whose concentration converts them"})
    drug = _unit(item.drug_unit)
    target = target or drug
    if entered in (supply.ML, supply.SYRINGE_UNITS):
        conc = item.concentration
        if conc is None:
            why = "reconstitute it first" if item.needs_reconstitution else "only a vial or bottle is measured in mL"
            raise InvalidInput({"unit": f"{item.label} has no concentration to convert by: {why}"})
        try:
            dose = supply.convert(amount, entered, conc, syringe or "U-100", drug=item.drug_unit)
        except SupplyError as exc:
            raise InvalidInput({exc.field: exc.message}) from None
        drawn_micro = supply.to_micro(dose.mg)
        if target == Unit.ML:
            converted: int | None = supply.to_micro(dose.ml)
        else:
            converted = convert_micro(drawn_micro, drug, target)
        if converted is None or converted <= 0:
            raise InvalidInput({"unit": f"{item.drug_unit} of {item.label} cannot be converted to {target.value}"})
        return Conversion(from_micro(converted), target, amount, entered, drawn_micro, dose.steps, dose.is_exact)
    try:
        unit = parse_unit(entered or target.value)
    except AmountError:
        raise InvalidInput({"unit": f"must be {item.drug_unit}, mL or syringe units for {item.label}"}) from None
    taken = convert_micro(to_micro(amount), unit, drug)
    if taken is None:
        raise InvalidInput({"unit": f"{item.label} is measured in {item.drug_unit}; {unit.value} does not convert"})
    return Conversion(amount, unit, amount, unit.value, taken)


def rule_supply(user: User, item: Supply, drawn_micro: int | None) -> rules.Supply:
    """The supply as the rules see it, read inside the chain lock (so two devices cannot both take the last dose)."""
    fresh: Supply = Supply.objects.for_user(user).get(pk=item.pk)
    return rules.Supply(
        name=fresh.label,
        remaining_micro=remaining(user, fresh),
        unit=_unit(fresh.drug_unit),
        usable_until=fresh.usable_until,
        discarded=fresh.discarded_on is not None,
        draw_micro=drawn_micro,
    )


def record_draw(entry: Entry, item: Supply, drawn_micro: int) -> None:
    """Inside the dose's write: what it took from the supply."""
    Draw.objects.create(user_id=entry.user_id, supply=item.uid, seq=entry.seq, amount_micro=drawn_micro)


# ---- JSON and history


def supply_json(user: User, item: Supply, standing: Standing | None = None) -> dict[str, Any]:
    left = standing.remaining_micro if standing is not None else remaining(user, item)
    conc = item.concentration
    return {
        "id": str(item.uid),
        "compound": item.name,
        "form": item.form,
        "drug_unit": item.drug_unit,
        "strength": _decimal(item.strength_micro) if item.per_micro == 1_000_000 else None,
        "concentration": conc.text(item.drug_unit) if conc is not None else None,
        "strength_text": item.strength_text,
        "quantity": _decimal(item.quantity_micro),
        "quantity_unit": item.container_unit,
        "powder": _decimal(item.powder_micro),
        "diluent": _decimal(item.diluent_micro),
        "dose_steps": item.dose_steps,
        "lot": item.lot,
        "expires_on": item.expires_on.isoformat() if item.expires_on else None,
        "opened_on": item.opened_on.isoformat() if item.opened_on else None,
        "beyond_use_days": item.beyond_use_days,
        "usable_until": item.usable_until.isoformat() if item.usable_until else None,
        "discarded_on": item.discarded_on.isoformat() if item.discarded_on else None,
        "remaining": hashchain.format_decimal(from_micro(left)),
        "remaining_unit": item.drug_unit,
        "doses_left": standing.doses_left if standing is not None else None,
        "runs_out_at": hashchain.format_time(standing.runs_out_at) if standing and standing.runs_out_at else None,
    }


def supply_body(entry: Entry) -> dict[str, Any]:
    return {"supply": str(entry.subject) if entry.subject else None, **entry.data}


def supply_summary(entry: Entry, preferences: Mapping[str, str]) -> str:
    data = entry.data
    event = data.get("event", "")
    name = data.get("name", "")
    if event == RECONSTITUTED:
        return f"Supply reconstituted: {name}, {data.get('calculation', '')}"
    if event == ADJUSTED:
        return f"Supply adjusted: {name}, {data.get('lost')} {entry.unit} lost ({data.get('reason', '')})"
    if event == DISCARDED:
        reason = f" ({data['reason']})" if data.get("reason") else ""
        return f"Supply discarded: {name}{reason}"
    if event == OPENED:
        return f"Supply opened: {name}"
    amount = f", {data['quantity']} {entry.unit}" if data.get("quantity") else ""
    return f"Supply added: {name} {data.get('form', '')}{amount}"


def today_in(tz: tzinfo) -> date:
    return timezone.now().astimezone(tz).date()
