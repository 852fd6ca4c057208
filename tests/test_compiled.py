"""QuerySets compiled once (shotlee/ledger/sql.py `Compiled`) return what running the QuerySet returns, on both
engines: the chain head, the history page, the API's record lists, the rules' reads and the token lookup."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from shotlee.accounts.services import issue_token, user_for_token
from shotlee.doses import services as doses
from shotlee.ledger import reads, sql
from shotlee.ledger.models import Entry
from shotlee.protocols.services import VERSIONS
from tests.conftest import make_protocol

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def history(alice, alice_api, bob_api):
    """Alice: two protocols, 30 doses at random times (ties included), some voided or corrected. Bob: a few."""
    rng = random.Random(7)
    protocols = [make_protocol(alice_api, min_interval_hours=None), make_protocol(alice_api, compound="tirzepatide")]
    doses_made = []
    for i in range(30):
        protocol = protocols[i % 2]
        at = T0 + timedelta(hours=rng.choice([0, 1, 5, 30, 31, 60, 90]) + i)
        body = {"protocol": protocol["id"], "amount": rng.choice(["0.25", "0.5"]), "occurred_at": at.isoformat()}
        response = alice_api.post(
            "/api/v1/doses",
            {**body, "acknowledge": ["possible_duplicate", "too_soon", "off_schedule", "class_overlap"]},
        )
        assert response.status_code == 201, response.content
        doses_made.append(response.json())
    for dose in doses_made[::7]:
        assert (
            alice_api.post(f"/api/v1/entries/{dose['id']}/corrections", {"action": "void", "reason": "r"}).status_code
            == 201
        )
    bob_protocol = make_protocol(bob_api)
    assert bob_api.post("/api/v1/doses", {"protocol": bob_protocol["id"], "amount": "0.25"}).status_code == 201
    return protocols


def orm_history(user_id: int, before: int | None, limit: int):
    return list(reads.history_queryset(user_id, reads.LAST if before is None else before, limit))


def test_the_history_page_is_its_queryset_at_every_start(alice, history):
    n = len(reads.FIELDS)
    for before in (None, 40, 17, 2, 1):
        head, page = reads.history_page(alice.pk, before, 25)
        expected = orm_history(alice.pk, before, 25)
        assert [e.seq for e, _, _ in page] == [row[2] for row in expected]
        for (entry, checkpoint, replaced), row in zip(page, expected, strict=True):
            assert [getattr(entry, f) for f in reads.FIELDS] == list(row[:n])
            assert checkpoint == (row[n], row[n + 1])
            assert replaced == (None if row[n + 2] is None else (row[n + 2], row[n + 3]))
            assert entry.occurred_at.tzinfo is not None
    assert head.seq == Entry.objects.filter(user=alice).count()


def test_the_record_lists_are_their_queryset_after_every_cursor(alice, history):
    for effective in (True, False):
        everything = list(reads.kind_queryset(alice.pk, "dose", reads.END, reads.LAST, 100, effective=effective))
        cursors = [None] + [(row[5], row[2]) for row in everything[::5]]
        for after in cursors:
            at, seq = after or (reads.END, reads.LAST)
            expected = list(reads.kind_queryset(alice.pk, "dose", at, seq, 8, effective=effective))
            got = reads.kind_page(alice.pk, "dose", effective=effective, after=after, limit=8)
            assert [[getattr(e, f) for f in reads.FIELDS] for e in got] == [list(r) for r in expected]


def test_the_rules_reads_are_their_querysets(alice, history):
    protocol = uuid.UUID(history[0]["id"])
    for compiled in (doses.BY_PROTOCOL["previous"], doses.BY_PROTOCOL["following"]):
        for hours in (0, 31, 45, 200):
            at = T0 + timedelta(hours=hours)
            values = {"user_id": alice.pk, "key": protocol, "at": at}
            assert compiled(**values) == [tuple(r) for r in compiled.build(**values)]
    window = {"user_id": alice.pk, "key": protocol, "low": T0, "high": T0 + timedelta(hours=60)}
    for name in ("window", "window_totals"):
        compiled = doses.BY_PROTOCOL[name]
        assert sorted(compiled(**window)) == sorted(tuple(r) for r in compiled.build(**window))
    same = {**window, "unit1": "mg", "micro1": 250_000, "unit2": "mcg", "micro2": 250_000_000}
    compiled = doses.BY_PROTOCOL["same_amount"]
    assert sorted(compiled(**same)) == sorted(tuple(r) for r in compiled.build(**same))
    versions = {"user_id": alice.pk, "subject": protocol}
    assert VERSIONS(**versions) == [tuple(r) for r in VERSIONS.build(**versions)]
    assert doses.SAME_CLASS(user_id=alice.pk, drug_class="incretin agonist") == list(
        doses.SAME_CLASS.build(user_id=alice.pk, drug_class="incretin agonist")
    )


def test_the_token_lookup_finds_the_owner_with_the_profile_in_one_query(alice, bob):
    raw = issue_token(alice)
    with CaptureQueriesContext(connection) as queries:
        user_for_token(raw)
    assert len(queries) == 2  # a token's first use in a minute also notes the time (the tokens page shows it)
    with CaptureQueriesContext(connection) as queries:
        user = user_for_token(raw)
        assert user.pk == alice.pk and user.username == "alice" and user.profile.timezone == "UTC"
    assert len(queries) == 1
    assert user_for_token(raw + "x") is None
    bob.is_active = False
    bob.save()
    assert user_for_token(issue_token(bob)) is None


def test_a_compiled_query_compiles_once_per_connection(alice, history, monkeypatch):
    compiled = sql.Compiled(
        lambda user_id: Entry.objects.filter(user_id=user_id).order_by("seq").values_list("seq")[:3], user_id=int
    )
    calls = []
    original = compiled._compile
    monkeypatch.setattr(compiled, "_compile", lambda: calls.append(1) or original())
    assert compiled(user_id=alice.pk) == [(1,), (2,), (3,)]
    assert compiled(user_id=alice.pk) == [(1,), (2,), (3,)]
    assert len(calls) == 1


def test_a_parameter_missing_from_the_query_is_refused_when_it_compiles(alice):
    compiled = sql.Compiled(
        lambda user_id, kind: Entry.objects.filter(user_id=user_id).values_list("seq"), user_id=int, kind=str
    )
    with pytest.raises(ValueError, match="kind"), transaction.atomic():
        compiled(user_id=alice.pk, kind="dose")
