"""Account erasure: the one audited path that removes a user's ledger rows, and every other path still refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from shotlee.accounts.services import erase_account
from shotlee.ledger.erase import ErasureOutsideTransaction, erase_chain
from shotlee.ledger.models import Checkpoint, Entry, ErasureGate, LedgerHead, Tombstone
from shotlee.ledger.verify import verify_user
from tests.conftest import make_protocol

T = datetime.now(UTC) - timedelta(days=30)


def seed(api, marker: str, doses: int = 2) -> None:
    protocol = make_protocol(api, name=f"{marker} protocol")
    for i in range(doses):
        at = (T + timedelta(days=7 * i)).isoformat()
        response = api.post(
            "/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "occurred_at": at, "note": f"{marker} {i}"}
        )
        assert response.status_code == 201, response.content
    assert api.post("/api/v1/side-effects", {"symptom": f"{marker} symptom", "severity": 3}).status_code == 201


@pytest.fixture
def three(alice, bob, charlie, alice_api, bob_api):
    from shotlee.accounts.services import issue_token
    from tests.conftest import Api

    seed(alice_api, "ALICE-CANARY", 3)
    seed(bob_api, "BOB-CANARY", 2)
    seed(Api(issue_token(charlie)), "CHARLIE-CANARY", 1)
    from shotlee.reminders.models import PushSubscription

    for person in (alice, bob):  # reminder devices are the person's data too (shotlee/reminders)
        marker = f"{person.username.upper()}-CANARY"
        PushSubscription.objects.create(
            user=person, endpoint=f"https://fcm.googleapis.com/{marker}", p256dh="k", auth="a"
        )
    return alice, bob, charlie


def every_text_value() -> str:
    """Every row of every table, as text: where a marker would be found if erasure left personal data behind."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            found.append(repr(cursor.fetchall()))
    return "\n".join(found)


def test_erasing_an_account_removes_every_record_and_keeps_a_tombstone(three):
    alice, bob, charlie = three
    head = LedgerHead.objects.get(user=alice)
    alice_id = alice.pk
    erase_account(alice)
    assert not User.objects.filter(pk=alice_id).exists()
    assert not Entry.objects.filter(user_id=alice_id).exists()
    assert not Checkpoint.objects.filter(user_id=alice_id).exists()
    assert not LedgerHead.objects.filter(user_id=alice_id).exists()
    assert not ErasureGate.objects.exists()
    tombstone = Tombstone.objects.get(user_id=alice_id)
    assert (tombstone.entries, tombstone.head_hash) == (head.seq, head.head_hash)
    text = every_text_value()
    assert "ALICE-CANARY" not in text and "'alice'" not in text
    assert "BOB-CANARY" in text and "CHARLIE-CANARY" in text


def test_every_other_chain_still_verifies_after_an_erasure(three):
    alice, bob, charlie = three
    erase_account(alice)
    for user in (bob, charlie):
        verdict = verify_user(user.pk)
        assert verdict.ok, verdict
        assert verdict.entries == LedgerHead.objects.get(user=user).seq
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    assert "2 chain(s) checked, 0 problem(s)" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_erasure_outside_a_transaction_is_refused_and_changes_nothing(three):
    alice = three[0]
    count = Entry.objects.filter(user=alice).count()
    with pytest.raises(ErasureOutsideTransaction):
        erase_chain(alice)
    assert Entry.objects.filter(user=alice).count() == count
    assert not Tombstone.objects.exists() and not ErasureGate.objects.exists()


def refused(sql: str, params: list | None = None) -> Exception:
    with pytest.raises((IntegrityError, DatabaseError)) as caught:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params or [])
    assert "append-only" in str(caught.value)
    return caught.value


@pytest.mark.parametrize("table", ["ledger_entry", "ledger_checkpoint"])
def test_a_raw_delete_without_the_gate_is_still_refused(three, table):
    alice = three[0]
    before = Entry.objects.count(), Checkpoint.objects.count()
    refused(f"DELETE FROM {table} WHERE user_id = %s", [alice.pk])
    assert (Entry.objects.count(), Checkpoint.objects.count()) == before


@pytest.mark.parametrize("table", ["ledger_entry", "ledger_checkpoint"])
def test_the_gate_opens_for_its_own_user_only_and_never_for_updates(three, table):
    alice, bob, _ = three
    with transaction.atomic():
        ErasureGate.objects.create(user_id=alice.pk)
        refused(f"DELETE FROM {table} WHERE user_id = %s", [bob.pk])  # another user's rows: refused
        refused(f"DELETE FROM {table}")  # every row: bob's and charlie's are refused, so nothing goes
        refused(f"UPDATE {table} SET seq = seq + 1000 WHERE user_id = %s", [alice.pk])  # never an update
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE user_id = %s", [alice.pk])  # alice's: allowed now
        transaction.set_rollback(True)
    assert Entry.objects.filter(user=alice).exists() and Checkpoint.objects.filter(user=alice).exists()


def test_the_orm_still_refuses_to_delete_ledger_rows_during_an_erasure(three):
    from shotlee.ledger.models import AppendOnlyError

    alice = three[0]
    with transaction.atomic():
        ErasureGate.objects.create(user_id=alice.pk)
        with pytest.raises(AppendOnlyError):
            Entry.objects.filter(user=alice).delete()
        transaction.set_rollback(True)


def test_a_tombstone_can_be_neither_changed_nor_removed(three):
    alice = three[0]
    erase_account(alice)
    tombstone = Tombstone.objects.get()
    refused("UPDATE ledger_tombstone SET entries = 0")
    refused("DELETE FROM ledger_tombstone")
    with transaction.atomic():
        ErasureGate.objects.create(user_id=tombstone.user_id)
        refused("DELETE FROM ledger_tombstone")
        transaction.set_rollback(True)
    assert Tombstone.objects.get().entries == tombstone.entries


def test_a_failed_erasure_leaves_everything_as_it_was(three):
    alice = three[0]
    before = Entry.objects.count()

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with transaction.atomic():
            erase_chain(alice)
            raise Boom
    assert Entry.objects.count() == before
    assert not Tombstone.objects.exists() and not ErasureGate.objects.exists()
    assert verify_user(alice.pk).ok
