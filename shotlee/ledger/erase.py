"""Account erasure: the one audited path that removes a user's ledger rows (docs/ledger.md, "Erasure").

The triggers refuse every DELETE on `ledger_entry` and `ledger_checkpoint`
unless the rows' user has a row in `ledger_erasure_gate`. `erase_chain` inserts
that row, deletes the chain, and deletes the row again, inside the caller's
transaction, so no other transaction ever sees the gate open: a crash rolls the
whole erasure back, and a DELETE from anywhere else still fails. What remains is
a `Tombstone`: the user id, how many entries there were, the last head hash
and when, and nothing a person wrote.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from shotlee.ledger import sql
from shotlee.ledger.models import ErasureGate, IdempotencyRecord, LedgerHead, Tombstone


class ErasureOutsideTransaction(RuntimeError):
    """erase_chain must run inside the transaction that also removes the account (so both happen or neither)."""


def erase_chain(user: User) -> Tombstone:
    """Remove every ledger row of `user` and leave a tombstone; call inside `transaction.atomic()`."""
    if not connection.in_atomic_block:
        raise ErasureOutsideTransaction("erase_chain runs inside the account's deletion transaction")
    head = sql.lock_head(user.pk)  # waits for a write in progress on this chain, and holds the next one off
    tombstone = Tombstone.objects.create(
        user_id=user.pk,
        entries=head.seq if head else 0,
        head_hash=head.head_hash if head else "",
        erased_at=timezone.now(),
    )
    ErasureGate.objects.create(user_id=user.pk)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_checkpoint WHERE user_id = %s", [user.pk])
        cursor.execute("DELETE FROM ledger_entry WHERE user_id = %s", [user.pk])
    ErasureGate.objects.filter(user_id=user.pk).delete()
    LedgerHead.objects.filter(user_id=user.pk).delete()
    IdempotencyRecord.objects.filter(user_id=user.pk).delete()
    return tombstone
