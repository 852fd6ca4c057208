"""verify_window remembers rows it has verified, by every value the check reads. A row that reads back different in
any column, a different checkpoint or another key is checked again, however often the page was verified before.
(The tampering itself, through the database and the history page, is in test_ledger_tamper.)"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from shotlee.ledger.models import Checkpoint, Entry
from shotlee.ledger.verify import verify_window
from tests.conftest import make_protocol

pytestmark = pytest.mark.django_db

CHANGES = {
    "seq": lambda v: v + 100,
    "uid": lambda v: v.__class__(int=v.int ^ 1),
    "kind": lambda v: "metric",
    "occurred_at": lambda v: v + timedelta(microseconds=1),
    "recorded_at": lambda v: v - timedelta(microseconds=1),
    "subject": lambda v: None,
    "compound": lambda v: v + "x",
    "amount_micro": lambda v: (v or 0) + 1,
    "unit": lambda v: "mcg",
    "target_seq": lambda v: 1,
    "payload": lambda v: v.replace("}", ',"x":1}', 1),
    "prev_hash": lambda v: "0" * 64,
    "hash": lambda v: "f" * 64,
}


@pytest.fixture
def page(alice, alice_api):
    protocol = make_protocol(alice_api)
    for days in (30, 20, 10):
        at = (datetime.now(UTC) - timedelta(days=days)).isoformat()
        response = alice_api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "occurred_at": at})
        assert response.status_code == 201
    return list(Entry.objects.filter(user=alice).order_by("seq"))


@pytest.fixture
def signed(alice, page):
    """The page's signed checkpoints, as the history page reads them."""
    rows = Checkpoint.objects.filter(user=alice).values_list("seq", "head_hash", "signature")
    return {seq: (head_hash, signature) for seq, head_hash, signature in rows}


def test_every_column_of_an_entry_is_changed_below():
    """The memo is keyed by Entry.record() (every column the hash covers) and the hash: a new column must be tried."""
    columns = {f.attname for f in Entry._meta.concrete_fields} - {"id", "user_id"}
    assert set(CHANGES) == columns


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_row_that_reads_back_changed_is_checked_again_after_the_page_verified(alice, page, signed, name):
    assert verify_window(alice.pk, page, signed=signed) and verify_window(
        alice.pk, page, signed=signed
    )  # the second from the memo
    changed = copy.deepcopy(page)
    middle = changed[2]
    setattr(middle, name, CHANGES[name](getattr(middle, name)))
    assert not verify_window(alice.pk, changed, signed=signed)
    assert verify_window(alice.pk, page, signed=signed)


def test_another_key_or_another_user_is_checked_again(alice, bob, page, signed):
    assert verify_window(alice.pk, page, signed=signed)
    assert not verify_window(alice.pk, page, key=b"another key", signed=signed)
    assert not verify_window(bob.pk, page, signed=signed)
