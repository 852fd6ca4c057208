"""T12: many identical writes with one Idempotency-Key, released together, make exactly one record.

Every request runs in its own thread with its own database connection (closed at
the end), through the Django test client or over real HTTP against the live
server; `transaction=True` so the head lock and SQLite's IMMEDIATE transactions
behave as in production.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shotlee.accounts.services import issue_token
from shotlee.ledger.models import Entry, IdempotencyRecord
from shotlee.protocols.models import Protocol
from tests.conftest import WEEKLY, Api, make_protocol
from tests.racing import Reply, http_base, race, via_client, via_http

N = 50

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=["client", "http"])
def transport(request):
    """Makes a poster for a token: the Django test client, or `requests` against the live server."""
    if request.param == "http":
        base = http_base(request)
        return lambda token: via_http(base, token)
    return via_client


def assert_no_server_errors(replies: list[Reply]) -> None:
    bad = [r for r in replies if r.status >= 500 or r.error]
    assert not bad, bad[:3]
    assert not any("locked" in (r.error + json.dumps(r.body)).lower() for r in replies)


def test_fifty_same_key_doses_make_one_row_and_identical_responses(alice, transport):
    token = issue_token(alice)
    protocol = make_protocol(Api(token))
    body = {
        "protocol": protocol["id"],
        "amount": "0.25",
        "site": "abdomen left",
        "occurred_at": (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0).isoformat(),
    }
    headers = {"Idempotency-Key": "dose-2026-week-1"}
    posters = [transport(token) for _ in range(N)]

    replies = race([lambda p=p: p("/api/v1/doses", body, headers) for p in posters])

    assert len(replies) == N
    assert_no_server_errors(replies)
    assert [r.status for r in replies] == [201] * N
    doses = list(Entry.objects.filter(user=alice, kind="dose"))
    assert len(doses) == 1
    assert IdempotencyRecord.objects.filter(user=alice).count() == 1
    first = replies[0].body
    assert first["id"] == str(doses[0].uid) and first["seq"] == 2 and first["amount"] == "0.25"
    assert all(r.body == first for r in replies)
    assert sum(r.replayed for r in replies) == N - 1
    assert Api(token).get("/api/v1/ledger/verify").json()["ok"] is True


def test_twenty_same_key_protocol_creations_make_one_protocol(alice, transport):
    token = issue_token(alice)
    headers = {"Idempotency-Key": "new-protocol-1"}
    posters = [transport(token) for _ in range(20)]

    replies = race([lambda p=p: p("/api/v1/protocols", WEEKLY, headers) for p in posters])

    assert_no_server_errors(replies)
    assert [r.status for r in replies] == [201] * 20
    assert Protocol.objects.filter(user=alice).count() == 1
    assert Entry.objects.filter(user=alice, kind="protocol").count() == 1
    assert all(r.body == replies[0].body for r in replies)
    assert replies[0].body["id"] == str(Protocol.objects.get(user=alice).uid)
    assert sum(r.replayed for r in replies) == 19


def test_twenty_retries_of_one_client_entry_id_under_different_keys_make_one_row(alice, transport):
    token = issue_token(alice)
    protocol = make_protocol(Api(token))
    entry_id = str(uuid.uuid4())
    body = {
        "protocol": protocol["id"],
        "amount": "0.25",
        "occurred_at": (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0).isoformat(),
        "client_entry_id": entry_id,
    }
    posters = [transport(token) for _ in range(20)]

    replies = race(
        [lambda p=p, i=i: p("/api/v1/doses", body, {"Idempotency-Key": f"retry-{i}"}) for i, p in enumerate(posters)]
    )

    assert_no_server_errors(replies)
    assert [r.status for r in replies] == [201] * 20
    assert [str(uid) for uid in Entry.objects.filter(user=alice, kind="dose").values_list("uid", flat=True)] == [
        entry_id
    ]
    assert all(r.body == replies[0].body for r in replies) and replies[0].body["id"] == entry_id
    assert sum(r.replayed for r in replies) == 19
