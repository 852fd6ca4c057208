"""A person's supplies: vials, pens, bottles and tablets, and what each dose drew from them.

Every change to a supply (added, opened, reconstituted, adjusted, discarded) is a ledger record (kind "supply",
subject = the supply's uid). `Supply` is a projection of those records, kept in the same transaction, for lists
and arithmetic; `Draw` says which dose (by its ledger seq) took how much from which supply. What is left counts
only draws whose dose is still effective, so voiding or correcting a dose gives its amount back by itself.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models

from shotlee.lib import supply
from shotlee.lib.units import from_micro

# The record kind of supply events in the ledger.
SUPPLY = "supply"


class Form(models.TextChoices):
    VIAL = "vial", "Vial"
    PEN = "pen", "Pen"
    BOTTLE = "bottle", "Bottle"
    TABLETS = "tablets", "Tablets"


# What one of each form's amount is counted in.
CONTAINER_UNIT = {Form.VIAL: "mL", Form.PEN: "pens", Form.BOTTLE: "mL", Form.TABLETS: "tablets"}
LIQUID = {Form.VIAL, Form.BOTTLE}


class SupplyQuerySet(models.QuerySet["Supply"]):
    def for_user(self, user: User | int) -> SupplyQuerySet:
        return self.filter(user=user)

    def in_use(self) -> SupplyQuerySet:
        return self.filter(discarded_on__isnull=True)


class Supply(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, editable=False)  # unique per user (Meta); the ledger's subject
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)  # the compound as the person wrote it
    compound = models.CharField(max_length=120)  # compound key (lib.classes.compound_key), to match doses
    form = models.CharField(max_length=10, choices=Form.choices)
    drug_unit = models.CharField(max_length=8, default="mg")  # mg, mcg or IU
    # Strength: `strength_micro` of the drug per `per_micro` of the container unit (mL, pen, tablet). A powder vial
    # has none until it is reconstituted; then it is the powder per the diluent, kept as that pair (exact).
    strength_micro = models.BigIntegerField(null=True, blank=True)
    per_micro = models.BigIntegerField(default=1_000_000)
    quantity_micro = models.BigIntegerField(null=True, blank=True)  # mL, pens or tablets; a powder vial: none yet
    powder_micro = models.BigIntegerField(null=True, blank=True)  # a powder vial's drug, before and after
    diluent_micro = models.BigIntegerField(null=True, blank=True)
    dose_steps = models.CharField(max_length=200, blank=True, default="")  # a pen's clicks, as on its label
    lot = models.CharField(max_length=60, blank=True, default="")
    expires_on = models.DateField(null=True, blank=True)
    opened_on = models.DateField(null=True, blank=True)
    beyond_use_days = models.PositiveIntegerField(null=True, blank=True)  # from the label or pharmacy; none suggested
    adjusted_micro = models.BigIntegerField(default=0)  # the sum of adjustments (losses are negative), drug units
    discarded_on = models.DateField(null=True, blank=True)
    added_seq = models.BigIntegerField()  # ledger seq of the "added" record: FIFO's last tie-break
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SupplyQuerySet.as_manager()

    class Meta:
        ordering = ["discarded_on", "expires_on", "added_seq"]
        # With the user: a table distributed by user needs it in every unique key (docs/deploy.md, "Scaling out").
        constraints = [models.UniqueConstraint(fields=["user", "uid"], name="supply_user_uid")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """What a person calls it: "Semaglutide vial (lot A12)"."""
        lot = f" (lot {self.lot})" if self.lot else ""
        return f"{self.name} {Form(self.form).label.lower()}{lot}"

    @property
    def container_unit(self) -> str:
        return CONTAINER_UNIT[Form(self.form)]

    @property
    def is_liquid(self) -> bool:
        return self.form in LIQUID

    @property
    def needs_reconstitution(self) -> bool:
        return self.strength_micro is None

    @property
    def concentration(self) -> supply.Concentration | None:
        """A liquid's drug per mL, exactly (None for a powder not yet reconstituted, a pen or tablets)."""
        if not self.is_liquid or self.strength_micro is None:
            return None
        return supply.Concentration(from_micro(self.strength_micro), from_micro(self.per_micro))

    @property
    def strength_text(self) -> str:
        if self.strength_micro is None:
            return f"{from_micro(self.powder_micro or 0)} {self.drug_unit} powder, not yet reconstituted"
        per = {Form.PEN: "pen", Form.TABLETS: "tablet"}.get(Form(self.form), "mL")
        ratio = Fraction(self.strength_micro, self.per_micro)
        return f"{supply.show(ratio)} {self.drug_unit}/{per}"

    @property
    def total_micro(self) -> int:
        """The drug it held when added (or reconstituted), in micro-units of `drug_unit`."""
        if self.powder_micro is not None:
            return self.powder_micro
        if self.strength_micro is None or self.quantity_micro is None:
            return 0
        return supply.to_micro(Fraction(self.strength_micro, self.per_micro) * Fraction(self.quantity_micro, 1_000_000))

    @property
    def usable_until(self) -> date | None:
        return supply.usable_until(self.expires_on, self.opened_on, self.beyond_use_days)

    def in_container_units(self, drug_micro: int) -> Fraction | None:
        """An amount of drug as mL (pens, tablets) of this supply; None while it has no strength."""
        if self.strength_micro is None:
            return None
        return Fraction(drug_micro, 1_000_000) / Fraction(self.strength_micro, self.per_micro)

    def drug_of(self, container: Decimal) -> int | None:
        """mL (pens, tablets) of this supply as drug micro-units; None while it has no strength."""
        if self.strength_micro is None:
            return None
        return supply.to_micro(Fraction(container) * Fraction(self.strength_micro, self.per_micro))


class Draw(models.Model):
    """One dose's draw from a supply: the dose's ledger seq and the drug it took (micro-units of the drug unit)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    supply = models.UUIDField()  # the supply's uid (no foreign key: distributed tables are not referenced by one)
    seq = models.BigIntegerField()  # the dose's ledger seq
    amount_micro = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "seq"], name="supply_draw_user_seq")]
        indexes = [models.Index(fields=["user", "supply"], name="supply_draw_supply")]

    def __str__(self) -> str:
        return f"draw of #{self.seq}"
