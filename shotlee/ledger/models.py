"""The append-only, hash-chained record (mechanism only).

Every row of `Entry` belongs to one user's chain: seq 1, 2, 3 ... with no gaps,
each hash covering the previous hash and the row's canonical bytes. Rows are
never updated or deleted: the ORM refuses, the admin is read-only, and database
triggers (migration 0002) refuse UPDATE, DELETE, REPLACE and TRUNCATE.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.db.models import Exists, OuterRef, Q

from shotlee.lib import hashchain


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove a ledger row through the ORM."""


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")

    def bulk_update(self, objs: Any, fields: Any, batch_size: Any = None) -> int:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if kwargs.get("update_conflicts") or kwargs.get("ignore_conflicts"):
            raise AppendOnlyError(f"{self.model.__name__} rows are append-only")
        return super().bulk_create(objs, *args, **kwargs)

    def update_or_create(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")

    def _raw_delete(self, using: Any) -> int:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class LedgerHead(models.Model):
    """The user's chain head: the one mutable row, and the lock every append takes."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, primary_key=True)
    seq = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "ledger_head"

    def __str__(self) -> str:
        return f"head of {self.user_id}: #{self.seq}"


class EntryQuerySet(AppendOnlyQuerySet):
    def for_user(self, user: User | int) -> EntryQuerySet:
        return self.filter(user=user)

    def of_kind(self, kind: str) -> EntryQuerySet:
        return self.filter(kind=kind)

    def effective(self) -> EntryQuerySet:
        """Rows that no later void or correction targets: the one definition of "effective" (ledger/sql.py's
        statements are compiled from QuerySets that use it)."""
        return self.filter(~Exists(Entry.objects.filter(user=OuterRef("user"), target_seq=OuterRef("seq"))))


class Entry(AppendOnlyModel):
    # No index of its own: the unique (user, seq) and (user, uid) and every index below lead with user.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    seq = models.BigIntegerField()
    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16)  # a registered record kind (ledger.kinds)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    # Indexed facets of the record, read by the rules and the lists.
    subject = models.UUIDField(null=True, blank=True)  # the protocol a dose or version belongs to
    compound = models.CharField(max_length=120, blank=True, default="")
    amount_micro = models.BigIntegerField(null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True, default="")
    target_seq = models.BigIntegerField(null=True, blank=True)  # the entry a void or correction replaces
    # Everything else about the record, as canonical JSON.
    payload = models.TextField(default="{}")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = EntryQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "seq"], name="ledger_entry_user_seq"),
            models.UniqueConstraint(fields=["user", "uid"], name="ledger_entry_user_uid"),
        ]
        indexes = [
            models.Index(fields=["user", "kind", "compound", "occurred_at"], name="ledger_entry_compound_time"),
            models.Index(fields=["user", "subject", "kind", "occurred_at"], name="ledger_entry_subject_time"),
            # Only voids and corrections have a target: doses, the bulk of the table, add nothing to this index.
            models.Index(
                fields=["user", "target_seq"], name="ledger_entry_target", condition=Q(target_seq__isnull=False)
            ),
            # GET /doses: newest first by occurred_at, keyset-paginated on (occurred_at, seq).
            models.Index(fields=["user", "kind", "occurred_at", "seq"], name="ledger_entry_kind_time"),
        ]
        verbose_name_plural = "entries"
        base_manager_name = "objects"  # Django's internal manager must refuse changes too

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind}"

    @property
    def data(self) -> dict[str, Any]:
        if not hasattr(self, "_data"):
            self._data: dict[str, Any] = json.loads(self.payload)
        return self._data

    def record(self) -> dict[str, Any]:
        """Everything the hash covers: every column but the hash itself."""
        return {
            "v": 1,
            "user": self.user_id,
            "seq": self.seq,
            "uid": str(self.uid),
            "kind": self.kind,
            "occurred_at": self.occurred_at,
            "recorded_at": self.recorded_at,
            "subject": str(self.subject) if self.subject else None,
            "compound": self.compound,
            "amount_micro": self.amount_micro,
            "unit": self.unit,
            "target_seq": self.target_seq,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        return hashchain.entry_digest(self.prev_hash, hashchain.canonical_bytes(self.record()))


class Checkpoint(AppendOnlyModel):
    """A signed statement "user U's chain had head H at seq N", one per append.

    The key lives outside the database, so a chain rewritten or cut short by
    someone with write access no longer matches its checkpoints.
    """

    # No index of its own: the unique (user, seq) leads with user.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    seq = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=16)
    signature = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "seq"], name="ledger_checkpoint_user_seq")]
        base_manager_name = "objects"

    def __str__(self) -> str:
        return f"checkpoint #{self.seq} of {self.user_id}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "user": self.user_id,
            "seq": self.seq,
            "head_hash": self.head_hash,
            "key_id": self.key_id,
            "signature": self.signature,
            "created_at": hashchain.format_time(self.created_at),
        }


class ErasureGate(models.Model):
    """The per-transaction marker that lets `ledger.erase` remove one user's rows.

    `erase_chain` inserts the user's row, deletes their entries and checkpoints,
    and deletes the row again, all in one transaction: no other transaction ever
    sees it, and the triggers refuse every DELETE of a user without one.
    """

    user_id = models.BigIntegerField(primary_key=True)

    class Meta:
        db_table = "ledger_erasure_gate"

    def __str__(self) -> str:
        return f"erasure of {self.user_id} under way"


class Tombstone(AppendOnlyModel):
    """What remains of an erased chain: no personal data, only that it existed, how long it was, and its head."""

    user_id = models.BigIntegerField(unique=True)  # not a foreign key: the account is gone
    entries = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    erased_at = models.DateTimeField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        db_table = "ledger_tombstone"
        base_manager_name = "objects"

    def __str__(self) -> str:
        return f"erased chain of {self.user_id}"


class IdempotencyRecord(models.Model):
    """The stored response of a write made with an Idempotency-Key, scoped per user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key")]

    def __str__(self) -> str:
        return f"idempotency key of {self.user_id}"
