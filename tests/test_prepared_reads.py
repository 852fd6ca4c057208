"""The reads every visit makes (history page, GET /api/v1/doses) run prepared SQL (shotlee/ledger/sql.py) instead of
compiling a QuerySet per request. They must return exactly the rows the QuerySets they replace return, in the same
order, on both engines: ties at one instant, voids and corrections, cursors on every row, another user's rows."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Q

from shotlee.ledger import sql
from shotlee.ledger.models import Checkpoint, Entry
from tests.conftest import make_protocol

pytestmark = pytest.mark.django_db

FIELDS = [f.attname for f in Entry._meta.concrete_fields]


def same(a: list[Entry], b: list[Entry]) -> None:
    """The same rows with the same values, down to the time zone of each time (UTC, as the ORM gives it)."""
    assert [[getattr(e, name) for name in FIELDS] for e in a] == [[getattr(e, name) for name in FIELDS] for e in b]
    for x, y in zip(a, b, strict=True):
        assert (
            (x.occurred_at.tzinfo, x.recorded_at.tzinfo) == (y.occurred_at.tzinfo, y.recorded_at.tzinfo) == (UTC, UTC)
        )


@pytest.fixture
def history(alice, alice_api, bob_api):
    """Alice: 12 doses, some at the same instant, two voided and one corrected; Bob: doses at the same instants, one
    voided at a seq Alice's is not (a read that forgets the user would hide or show the wrong dose)."""
    protocol = make_protocol(alice_api, min_interval_hours=0, max_single_dose=None)
    other = make_protocol(bob_api, min_interval_hours=0, max_single_dose=None)
    base = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    ids, bob_ids = [], []
    for i in range(12):
        at = base + timedelta(hours=6 * (i // 3), microseconds=250_000 if i % 3 == 2 else 0)  # pairs share a time
        for api, proto in ((alice_api, protocol), (bob_api, other)):
            body = {"protocol": proto["id"], "amount": f"0.{i + 10}", "occurred_at": at.isoformat()}
            response = api.post("/api/v1/doses", {**body, "acknowledge": ["possible_duplicate"]})
            assert response.status_code == 201, response.json()
            (ids if api is alice_api else bob_ids).append(response.json()["id"])
    for uid, action in ((ids[1], "void"), (ids[4], "void"), (ids[7], "correct")):
        body = {"action": action, "reason": "test"}
        if action == "correct":
            body["amount"] = "0.5"
        response = alice_api.post(f"/api/v1/entries/{uid}/corrections", body)
        assert response.status_code == 201, response.json()
    response = bob_api.post(f"/api/v1/entries/{bob_ids[10]}/corrections", {"action": "void", "reason": "test"})
    assert response.status_code == 201, response.json()
    return alice


def test_the_history_page_rows_match_the_querysets_for_every_starting_point(history, bob, charlie):
    everything = Entry.objects.for_user(history)
    last = everything.order_by("-seq").first().seq
    signed = {c.seq: (c.head_hash, c.signature) for c in Checkpoint.objects.filter(user=history)}
    replaced = {e.target_seq: (e.seq, e.kind) for e in everything.filter(target_seq__isnull=False)}
    assert len(replaced) == 3
    head, rows = sql.history_page(charlie.pk, None, 50)  # nothing recorded yet: the head alone
    assert (head.seq, rows) == (0, [])
    for before in [None, *range(1, last + 2)]:
        for limit in (1, 5, 50):
            expected = list((everything.filter(seq__lt=before) if before else everything).order_by("-seq")[:limit])
            head, rows = sql.history_page(history.pk, before, limit)
            assert (head.seq, head.head_hash) == (last, everything.get(seq=last).hash)
            same([entry for entry, _, _ in rows], expected)
            assert [checkpoint for _, checkpoint, _ in rows] == [signed[e.seq] for e in expected]
            assert [replacement for _, _, replacement in rows] == [replaced.get(e.seq) for e in expected]


@pytest.mark.parametrize("effective", [True, False])
def test_the_dose_list_rows_match_the_queryset_after_every_cursor(history, effective):
    doses = Entry.objects.for_user(history).doses()
    if effective:
        doses = doses.effective()
    ordered = list(doses.order_by("-occurred_at", "-seq"))
    assert len(ordered) >= 10
    for cursor in [None, *[(e.occurred_at, e.seq) for e in ordered]]:
        expected = doses
        if cursor is not None:
            expected = doses.filter(Q(occurred_at__lt=cursor[0]) | Q(occurred_at=cursor[0], seq__lt=cursor[1]))
        for limit in (1, 4, 51):
            got = sql.doses_page(history.pk, effective=effective, after=cursor, limit=limit)
            same(got, list(expected.order_by("-occurred_at", "-seq")[:limit]))


def test_replacements_match_the_queryset(history, bob):
    page = list(Entry.objects.for_user(history).order_by("seq"))
    seqs = [e.seq for e in page]
    same(
        sorted(sql.replacements(history.pk, seqs), key=lambda e: e.seq),
        list(Entry.objects.for_user(history).filter(target_seq__in=seqs).order_by("seq")),
    )
    assert len(sql.replacements(history.pk, seqs)) == 3
    assert [e.user_id for e in sql.replacements(bob.pk, seqs)] == [bob.pk]  # his one void, none of Alice's
    assert sql.replacements(history.pk, []) == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plans; PostgreSQL's are measured by make bench")
def test_the_page_queries_read_indexes_not_every_entry_of_the_user(history, monkeypatch):
    """Without ANALYZE statistics (a fresh deployment), SQLite once chose to find each entry's correction by walking
    all the user's entries: 0.4 s a page at 20,000 entries. Each lookup must go through an index on the target."""
    statements = []
    real = sql.cursor

    class Recording:
        def __init__(self, cur):
            self.cur = cur

        def execute(self, statement, params):
            statements.append((statement, params))
            self.cur.execute(statement, params)

        def fetchall(self):
            return self.cur.fetchall()

    @contextlib.contextmanager
    def recording():
        with real() as cur:
            yield Recording(cur)

    monkeypatch.setattr(sql, "cursor", recording)
    sql.history_page(history.pk, None, 25)
    sql.doses_page(history.pk, effective=True, after=None, limit=25)
    monkeypatch.undo()
    assert len(statements) == 2
    for statement, params in statements:
        with connection.cursor() as cur:
            cur.execute("EXPLAIN QUERY PLAN " + statement, params)
            plan = [row[3] for row in cur.fetchall()]
        assert not [step for step in plan if step.startswith("SCAN")], plan
        lookups = [step for step in plan if step.startswith(("SEARCH r ", "SEARCH c "))]
        assert lookups and all("(user_id=? AND " in step for step in lookups), plan
