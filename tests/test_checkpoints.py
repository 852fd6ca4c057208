"""T09: a checkpoint counts only if it is signed with the ledger key for this user, this seq and
this head hash, and it does not claim more than the chain holds. Checked both for saved
(external) checkpoints and for the rows of ledger_checkpoint."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from shotlee.accounts.services import issue_token
from shotlee.ledger import services, triggers
from shotlee.ledger.models import Checkpoint, Entry
from shotlee.ledger.verify import verify_user
from shotlee.lib import hashchain
from tests.conftest import Api

N = 12
S = 7  # the checkpoint most cases are built from
T = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)


def build_chain(user: Any, n: int) -> None:
    def action(head: Any) -> services.Outcome:
        for i in range(n):
            services.append(
                head,
                kind="dose",
                occurred_at=T + timedelta(days=i),
                compound="semaglutide",
                amount_micro=250_000,
                unit="mg",
                data={"amount": "0.25", "note": f"{user.username} {i + 1}"},
            )
        return services.Outcome(201, {})

    services.write(user, action)


def saved(user: Any, seq: int) -> dict[str, Any]:
    """A checkpoint as a user would have saved it (the shape GET /api/v1/ledger returns)."""
    return Checkpoint.objects.get(user=user, seq=seq).as_dict()


def sql(statement: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def users(alice, bob) -> dict[str, Any]:
    build_chain(alice, N)
    build_chain(bob, N)
    assert verify_user(alice.pk).ok and verify_user(bob.pk).ok
    return {"alice": alice, "bob": bob}


def settle() -> None:
    """PostgreSQL refuses to alter a table's triggers while deferred foreign-key checks of earlier
    inserts in the same transaction are pending: run those checks now."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def restore_triggers() -> None:
    settle()
    triggers.install(connection)


@pytest.fixture
def attacker(users):
    """Triggers dropped so the checkpoint table itself can be edited; always restored."""
    settle()
    triggers.uninstall(connection)
    try:
        yield users
    finally:
        restore_triggers()
        assert triggers.missing(connection) == []


# --- saved (external) checkpoints --------------------------------------------------------------


def test_genuine_saved_checkpoints_are_accepted(users):
    alice = users["alice"]
    api = Api(issue_token(alice))
    from_api = api.get("/api/v1/ledger").json()["checkpoint"]
    assert from_api == saved(alice, N)
    verdict = verify_user(alice.pk, external=[saved(alice, 1), saved(alice, S), from_api])
    assert verdict.ok is True and verdict.entries == N


def signed_with_the_wrong_key(users: dict[str, Any]) -> dict[str, Any]:
    good = saved(users["alice"], S)
    return {
        **good,
        "signature": hashchain.sign_checkpoint(b"not the ledger key", users["alice"].pk, S, good["head_hash"]),
    }


def truncated_signature(users: dict[str, Any]) -> dict[str, Any]:
    good = saved(users["alice"], S)
    return {**good, "signature": good["signature"][:-2]}


def empty_signature(users: dict[str, Any]) -> dict[str, Any]:
    return {**saved(users["alice"], S), "signature": ""}


def signature_of_another_seq(users: dict[str, Any]) -> dict[str, Any]:
    return {**saved(users["alice"], S), "signature": saved(users["alice"], S + 1)["signature"]}


def altered_seq(users: dict[str, Any]) -> dict[str, Any]:
    return {**saved(users["alice"], S), "seq": S - 1}


def altered_head_hash(users: dict[str, Any]) -> dict[str, Any]:
    good = saved(users["alice"], S)
    return {**good, "head_hash": good["head_hash"][:-1] + ("0" if good["head_hash"][-1] != "0" else "1")}


def head_hash_of_another_entry(users: dict[str, Any]) -> dict[str, Any]:
    return {**saved(users["alice"], S), "head_hash": saved(users["alice"], S + 1)["head_hash"]}


def beyond_the_head(users: dict[str, Any]) -> dict[str, Any]:
    # Correctly signed with the real key (as an old checkpoint from before a truncation would be).
    alice, head_hash = users["alice"], "ab" * 32
    return {
        "user": alice.pk,
        "seq": N + 1,
        "head_hash": head_hash,
        "signature": hashchain.sign_checkpoint(settings.LEDGER_KEY, alice.pk, N + 1, head_hash),
    }


def bobs_checkpoint_replayed_for_alice(users: dict[str, Any]) -> dict[str, Any]:
    return saved(users["bob"], S)


def bobs_checkpoint_relabelled_as_alices(users: dict[str, Any]) -> dict[str, Any]:
    return {**saved(users["bob"], S), "user": users["alice"].pk}


def malformed(users: dict[str, Any]) -> dict[str, Any]:
    good = saved(users["alice"], S)
    return {"seq": "seven", "head_hash": good["head_hash"], "signature": good["signature"]}


def missing_signature(users: dict[str, Any]) -> dict[str, Any]:
    good = saved(users["alice"], S)
    return {"seq": good["seq"], "head_hash": good["head_hash"]}


# (forgery, reason substring)
EXTERNAL: list[tuple[Callable[[dict[str, Any]], dict[str, Any]], str]] = [
    (signed_with_the_wrong_key, "invalid signature"),
    (truncated_signature, "invalid signature"),
    (empty_signature, "invalid signature"),
    (signature_of_another_seq, "invalid signature"),
    (altered_seq, "invalid signature"),
    (altered_head_hash, "invalid signature"),
    (head_hash_of_another_entry, "invalid signature"),
    (beyond_the_head, "beyond the last entry"),
    (bobs_checkpoint_replayed_for_alice, "invalid signature"),
    (bobs_checkpoint_relabelled_as_alices, "invalid signature"),
    (malformed, "malformed"),
    (missing_signature, "malformed"),
]


@pytest.mark.parametrize("forge,reason", EXTERNAL, ids=[f.__name__ for f, _ in EXTERNAL])
def test_a_bad_saved_checkpoint_is_rejected(users, forge, reason):
    alice = users["alice"]
    forged = forge(users)
    verdict = verify_user(alice.pk, external=[forged])
    assert verdict.ok is False
    assert reason in verdict.reason
    assert verdict.first_bad_seq is not None
    # One bad checkpoint among good ones still fails.
    assert verify_user(alice.pk, external=[saved(alice, 1), forged, saved(alice, N)]).ok is False
    # The chain itself is untouched.
    assert verify_user(alice.pk).ok is True


@pytest.mark.parametrize(
    "forge",
    [
        signed_with_the_wrong_key,
        truncated_signature,
        altered_seq,
        altered_head_hash,
        beyond_the_head,
        bobs_checkpoint_relabelled_as_alices,
    ],
    ids=lambda f: f.__name__,
)
def test_verify_ledger_rejects_a_bad_checkpoints_file(users, forge, tmp_path):
    path = tmp_path / "checkpoints.json"
    path.write_text(json.dumps([forge(users)]))
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("verify_ledger", "--checkpoints", str(path), stdout=out, stderr=StringIO())
    assert caught.value.returncode == 1
    assert "BAD  alice: first bad seq" in out.getvalue()
    assert "ok   bob" in out.getvalue()


def test_a_saved_checkpoint_for_a_different_history_names_that_seq(users):
    """Correctly signed, in range, but for a head hash this chain does not have at that seq."""
    alice = users["alice"]
    other = "cd" * 32
    forged = {
        "user": alice.pk,
        "seq": S,
        "head_hash": other,
        "signature": hashchain.sign_checkpoint(settings.LEDGER_KEY, alice.pk, S, other),
    }
    verdict = verify_user(alice.pk, external=[forged])
    assert verdict.ok is False
    assert verdict.first_bad_seq == S
    assert "differs from the saved checkpoint" in verdict.reason


def test_verifying_with_the_wrong_key_rejects_every_stored_checkpoint(users):
    verdict = verify_user(users["alice"].pk, key=b"not the ledger key")
    assert verdict.ok is False
    assert verdict.first_bad_seq == 1
    assert "invalid signature" in verdict.reason


# --- the rows of ledger_checkpoint ---------------------------------------------------------------


def table_signed_with_the_wrong_key(users: dict[str, Any]) -> None:
    alice = users["alice"]
    head_hash = Entry.objects.get(user=alice, seq=S).hash
    sql(
        "UPDATE ledger_checkpoint SET signature = %s WHERE user_id = %s AND seq = %s",
        [hashchain.sign_checkpoint(b"not the ledger key", alice.pk, S, head_hash), alice.pk, S],
    )


def table_truncated_signature(users: dict[str, Any]) -> None:
    alice = users["alice"]
    signature = Checkpoint.objects.get(user=alice, seq=S).signature
    sql("UPDATE ledger_checkpoint SET signature = %s WHERE user_id = %s AND seq = %s", [signature[:32], alice.pk, S])


def table_swapped_seqs(users: dict[str, Any]) -> None:
    """Each checkpoint row keeps its hash and signature but claims the other's seq."""
    alice = users["alice"]
    for old, new in ((S, -1), (S + 1, S), (-1, S + 1)):
        sql("UPDATE ledger_checkpoint SET seq = %s WHERE user_id = %s AND seq = %s", [new, alice.pk, old])


def table_altered_head_hash(users: dict[str, Any]) -> None:
    alice = users["alice"]
    sql("UPDATE ledger_checkpoint SET head_hash = %s WHERE user_id = %s AND seq = %s", ["ef" * 32, alice.pk, S])


def table_beyond_the_head(users: dict[str, Any]) -> None:
    alice = users["alice"]
    head_hash = "ab" * 32
    Checkpoint(
        user_id=alice.pk,
        seq=N + 1,
        head_hash=head_hash,
        key_id=settings.LEDGER_KEY_ID,
        signature=hashchain.sign_checkpoint(settings.LEDGER_KEY, alice.pk, N + 1, head_hash),
        created_at=T,
    ).save()


def table_bobs_checkpoint_replayed_for_alice(users: dict[str, Any]) -> None:
    alice, bob = users["alice"], users["bob"]
    theirs = Checkpoint.objects.get(user=bob, seq=S)
    sql(
        "UPDATE ledger_checkpoint SET head_hash = %s, signature = %s WHERE user_id = %s AND seq = %s",
        [theirs.head_hash, theirs.signature, alice.pk, S],
    )


def table_bobs_checkpoint_moved_to_alice(users: dict[str, Any]) -> None:
    """Bob's row itself re-assigned to alice, in place of hers."""
    alice, bob = users["alice"], users["bob"]
    sql("DELETE FROM ledger_checkpoint WHERE user_id = %s AND seq = %s", [alice.pk, S])
    sql("UPDATE ledger_checkpoint SET user_id = %s WHERE user_id = %s AND seq = %s", [alice.pk, bob.pk, S])


# (edit, first bad seq of alice, reason substring)
TABLE: list[tuple[Callable[[dict[str, Any]], None], int, str]] = [
    (table_signed_with_the_wrong_key, S, "invalid signature"),
    (table_truncated_signature, S, "invalid signature"),
    (table_swapped_seqs, S, "invalid signature"),
    (table_altered_head_hash, S, "invalid signature"),
    (table_beyond_the_head, N + 1, "beyond the last entry"),
    (table_bobs_checkpoint_replayed_for_alice, S, "invalid signature"),
    (table_bobs_checkpoint_moved_to_alice, S, "invalid signature"),
]


@pytest.mark.parametrize("edit,first_bad,reason", TABLE, ids=[e.__name__ for e, _, _ in TABLE])
def test_a_bad_checkpoint_row_is_rejected(attacker, edit, first_bad, reason):
    alice = attacker["alice"]
    edit(attacker)
    verdict = verify_user(alice.pk)
    assert verdict.ok is False
    assert verdict.first_bad_seq == first_bad, verdict.reason
    assert reason in verdict.reason


def test_a_saved_checkpoint_for_a_user_deleted_from_the_database_fails_verify_ledger(attacker, tmp_path):
    """An attacker with write access removes alice entirely (chain, checkpoints, head, account).
    The saved checkpoint says her chain had N entries: verify_ledger must not report all clear."""
    alice = attacker["alice"]
    path = tmp_path / "checkpoints.json"
    path.write_text(json.dumps([saved(alice, N)]))
    for table in ("ledger_entry", "ledger_checkpoint", "ledger_head"):
        sql(f"DELETE FROM {table} WHERE user_id = %s", [alice.pk])
    alice.delete()
    restore_triggers()  # the attacker covers their tracks, so only the saved checkpoint can tell
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_ledger", "--checkpoints", str(path), stdout=out, stderr=StringIO())
    assert "ok   bob" in out.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        '[{"seq": 3, "head_hash": "ab", "signature": "cd"}]',
        '[{"user": "alice", "seq": 3}]',
        '{"user": 1}',
        "[1, 2]",
        "not json",
    ],
    ids=["no user", "user not an id", "not a list", "not objects", "not json"],
)
def test_a_malformed_checkpoints_file_is_a_clean_command_error(users, tmp_path, content):
    """A damaged evidence file must fail verification with a message, not crash with a traceback."""
    path = tmp_path / "checkpoints.json"
    path.write_text(content)
    with pytest.raises(CommandError):
        call_command("verify_ledger", "--checkpoints", str(path), stdout=StringIO(), stderr=StringIO())
