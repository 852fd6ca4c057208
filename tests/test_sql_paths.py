"""The write path's prepared statements (shotlee/ledger/sql.py) run on the driver's cursor unless queries are
being logged, then on Django's. Both must store the same rows, and errors must stay Django's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from shotlee.ledger import sql
from shotlee.ledger.models import Checkpoint, Entry
from shotlee.ledger.verify import verify_user
from tests.conftest import make_protocol

pytestmark = pytest.mark.django_db


def record(api, protocol, days_ago: int) -> dict:
    at = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    response = api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "occurred_at": at})
    assert response.status_code == 201, response.json()
    return response.json()


def stored(uid: str) -> tuple:
    """The row as the database holds it, every column as raw values."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT occurred_at, recorded_at, uid, subject, amount_micro, unit, compound, payload "
            "FROM ledger_entry WHERE uid = %s",
            [Entry._meta.get_field("uid").get_db_prep_value(uid, connection)],
        )
        return cursor.fetchone()


def test_both_cursors_store_rows_of_the_same_shape_and_the_chain_verifies(alice, alice_api):
    protocol = make_protocol(alice_api)
    assert not connection.queries_logged
    quiet = record(alice_api, protocol, 30)  # the driver's cursor
    with CaptureQueriesContext(connection) as logged:
        counted = record(alice_api, protocol, 20)  # Django's cursor

    assert any("INSERT INTO ledger_entry" in q["sql"] for q in logged.captured_queries)  # every statement is seen
    a, b = stored(quiet["id"]), stored(counted["id"])
    assert [type(x) for x in a] == [type(x) for x in b]
    assert [len(str(x)) for x in a[:4]] == [len(str(x)) for x in b[:4]]  # times and UUIDs in the same format
    assert a[4:] == b[4:]
    assert verify_user(alice.pk).ok


def test_a_constraint_violation_on_the_driver_cursor_is_djangos_integrity_error(alice, alice_api):
    """write() retries a lost race on IntegrityError: the driver's own exception class would escape it as a 500."""
    make_protocol(alice_api)
    existing = Entry.objects.filter(user=alice).order_by("-seq").first()
    assert not connection.queries_logged
    with pytest.raises(IntegrityError), transaction.atomic():
        sql.insert_checkpoint(
            Checkpoint(
                user_id=alice.pk,
                seq=existing.seq,
                head_hash=existing.hash,
                key_id="k",
                signature="0" * 64,
                created_at=datetime.now(UTC),
            )
        )
