"""T07: the tamper matrix. An attacker with write access to the database (triggers dropped) changes
alice's chain in each of the ways below; the verifier must name the exact first bad seq and why.
Cases j, k and l leave a hash chain that is consistent on its own: only the signed checkpoints
(and the head row) give them away, and the tests assert that too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
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
from tests.conftest import Api, make_protocol, make_user

N = 200  # entries in alice's chain
K = 100  # the entry most cases tamper with
T = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


# --- building and reading chains -------------------------------------------------------------


def build_chain(user: Any, n: int = N) -> None:
    """n doses a day apart, appended through the one write path in a single transaction."""

    def action(head: Any) -> services.Outcome:
        for i in range(n):
            services.append(
                head,
                kind="dose",
                occurred_at=T + timedelta(days=i, microseconds=i),
                compound="semaglutide",
                amount_micro=250_000,
                unit="mg",
                data={
                    "amount": "0.25",
                    "compound_name": "semaglutide",
                    "note": f"dose number {i + 1}",
                    "site": "thigh left",
                },
            )
        return services.Outcome(201, {})

    services.write(user, action)
    assert Entry.objects.filter(user=user).count() == n


def sql(statement: str, params: list[Any] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.rowcount


def entry(user: Any, seq: int) -> Entry:
    return Entry.objects.get(user=user, seq=seq)


def first_link_break(user_id: int) -> int | None:
    """The hash chain alone, without checkpoints or the head row: first seq whose order, link or hash is wrong."""
    prev, expected = hashchain.genesis(user_id), 1
    for row in Entry.objects.filter(user_id=user_id).order_by("seq"):
        if row.seq != expected:
            return min(row.seq, expected)
        if row.prev_hash != prev or row.compute_hash() != row.hash:
            return row.seq
        prev, expected = row.hash, expected + 1
    return None


def flip_hex(value: str) -> str:
    return value[:-1] + ("0" if value[-1] != "0" else "1")


def set_time(user: Any, seq: int, column: str, value: datetime) -> None:
    sql(
        f"UPDATE ledger_entry SET {column} = %s WHERE user_id = %s AND seq = %s",
        [connection.ops.adapt_datetimefield_value(value), user.pk, seq],
    )


def rehash_from(user: Any, start: int) -> None:
    """What an attacker without the key can do: recompute every link and hash from `start` on, and the head."""
    prev = entry(user, start - 1).hash if start > 1 else hashchain.genesis(user.pk)
    last = Entry.objects.filter(user=user).order_by("-seq").values_list("seq", flat=True).first()
    for seq in range(start, last + 1):
        row = entry(user, seq)
        row.prev_hash = prev
        digest = row.compute_hash()
        sql(
            "UPDATE ledger_entry SET prev_hash = %s, hash = %s WHERE user_id = %s AND seq = %s",
            [prev, digest, user.pk, seq],
        )
        prev = digest
    sql("UPDATE ledger_head SET seq = %s, head_hash = %s WHERE user_id = %s", [last, prev, user.pk])


def forge_entry(user: Any, seq: int, prev_hash: str) -> Entry:
    """A correctly linked and hashed entry the app never wrote (an INSERT: allowed even with the triggers on)."""
    now = datetime.now(UTC)
    forged = Entry(
        user_id=user.pk,
        seq=seq,
        uid=uuid.uuid4(),
        kind="dose",
        occurred_at=now - timedelta(hours=1),
        recorded_at=now,
        compound="semaglutide",
        amount_micro=2_400_000,
        unit="mg",
        payload=hashchain.canonical_text({"amount": "2.4", "note": "never happened"}),
        prev_hash=prev_hash,
    )
    forged.hash = forged.compute_hash()
    forged.save()
    return forged


def settle() -> None:
    """PostgreSQL refuses to alter a table's triggers while deferred foreign-key checks of earlier
    inserts in the same transaction are pending: run those checks now."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def drop_triggers() -> None:
    settle()
    triggers.uninstall(connection)


def restore_triggers() -> None:
    settle()
    triggers.install(connection)


@pytest.fixture
def bob_chain(bob):
    """Bob's three doses, written before the attacker drops the triggers: writes are refused once they are missing."""
    build_chain(bob, 3)
    return bob


@pytest.fixture
def attacker(db):
    """Drop the append-only triggers, as someone with raw write access would; always put them back."""
    drop_triggers()
    try:
        yield
    finally:
        restore_triggers()
        assert triggers.missing(connection) == []


@pytest.fixture
def chain(alice):
    build_chain(alice)
    verdict = verify_user(alice.pk)
    assert verdict.ok and verdict.entries == N and first_link_break(alice.pk) is None
    return alice


# --- the corruptions ---------------------------------------------------------------------------


def change_amount(user: Any) -> None:
    sql("UPDATE ledger_entry SET amount_micro = amount_micro + 1 WHERE user_id = %s AND seq = %s", [user.pk, K])


def shift_occurred_at_by_one_microsecond(user: Any) -> None:
    set_time(user, K, "occurred_at", entry(user, K).occurred_at + timedelta(microseconds=1))


def shift_recorded_at_by_one_microsecond(user: Any) -> None:
    set_time(user, K, "recorded_at", entry(user, K).recorded_at - timedelta(microseconds=1))


def change_kind(user: Any) -> None:
    sql("UPDATE ledger_entry SET kind = 'void' WHERE user_id = %s AND seq = %s", [user.pk, K])


def flip_one_bit_of_the_payload(user: Any) -> None:
    payload = entry(user, K).payload
    at = payload.index("dose number") + 2  # the 's' of "dose"
    flipped = payload[:at] + chr(ord(payload[at]) ^ 1) + payload[at + 1 :]
    assert flipped != payload and len(flipped) == len(payload)
    sql("UPDATE ledger_entry SET payload = %s WHERE user_id = %s AND seq = %s", [flipped, user.pk, K])


def change_prev_hash(user: Any) -> None:
    sql(
        "UPDATE ledger_entry SET prev_hash = %s WHERE user_id = %s AND seq = %s",
        [flip_hex(entry(user, K).prev_hash), user.pk, K],
    )


def change_target_seq(user: Any) -> None:
    sql("UPDATE ledger_entry SET target_seq = 1 WHERE user_id = %s AND seq = %s", [user.pk, K])


def change_amount_and_recompute_its_hash(user: Any) -> None:
    change_amount(user)
    row = entry(user, K)
    sql("UPDATE ledger_entry SET hash = %s WHERE user_id = %s AND seq = %s", [row.compute_hash(), user.pk, K])


def swap_the_seq_of_two_entries(user: Any) -> None:
    other = K + 10
    sql("UPDATE ledger_entry SET seq = %s WHERE user_id = %s AND seq = %s", [-1, user.pk, K])
    sql("UPDATE ledger_entry SET seq = %s WHERE user_id = %s AND seq = %s", [K, user.pk, other])
    sql("UPDATE ledger_entry SET seq = %s WHERE user_id = %s AND seq = %s", [other, user.pk, -1])


def delete_a_middle_entry(user: Any) -> None:
    assert sql("DELETE FROM ledger_entry WHERE user_id = %s AND seq = %s", [user.pk, K]) == 1


def duplicate_an_entry_at_the_end(user: Any) -> None:
    copy = entry(user, K)
    copy.pk, copy.seq, copy.uid = None, N + 1, uuid.uuid4()
    copy._state.adding = True
    copy.save()  # prev_hash and hash are the originals'


def cut_off_the_last_three_entries(user: Any) -> None:
    assert sql("DELETE FROM ledger_entry WHERE user_id = %s AND seq > %s", [user.pk, N - 3]) == 3


def append_a_forged_linked_entry(user: Any) -> None:
    forged = forge_entry(user, N + 1, entry(user, N).hash)
    sql("UPDATE ledger_head SET seq = %s, head_hash = %s WHERE user_id = %s", [N + 1, forged.hash, user.pk])


def append_a_forged_entry_with_a_checkpoint_signed_by_another_key(user: Any) -> None:
    forged = forge_entry(user, N + 1, entry(user, N).hash)
    Checkpoint(
        user_id=user.pk,
        seq=N + 1,
        head_hash=forged.hash,
        key_id="attacker",
        signature=hashchain.sign_checkpoint(b"attacker's guess", user.pk, N + 1, forged.hash),
        created_at=forged.recorded_at,
    ).save()
    sql("UPDATE ledger_head SET seq = %s, head_hash = %s WHERE user_id = %s", [N + 1, forged.hash, user.pk])


def recompute_the_whole_chain_after_a_change(user: Any) -> None:
    change_amount(user)
    rehash_from(user, K)


def edit_a_checkpoint_head_hash(user: Any) -> None:
    sql(
        "UPDATE ledger_checkpoint SET head_hash = %s WHERE user_id = %s AND seq = %s",
        [flip_hex(entry(user, K).hash), user.pk, K],
    )


def edit_a_checkpoint_signature(user: Any) -> None:
    signature = Checkpoint.objects.get(user=user, seq=K).signature
    sql(
        "UPDATE ledger_checkpoint SET signature = %s WHERE user_id = %s AND seq = %s", [flip_hex(signature), user.pk, K]
    )


def delete_a_checkpoint(user: Any) -> None:
    assert sql("DELETE FROM ledger_checkpoint WHERE user_id = %s AND seq = %s", [user.pk, K]) == 1


def edit_the_head_hash(user: Any) -> None:
    sql("UPDATE ledger_head SET head_hash = %s WHERE user_id = %s", [flip_hex(entry(user, N).hash), user.pk])


def rewind_the_head_row(user: Any) -> None:
    sql("UPDATE ledger_head SET seq = %s, head_hash = %s WHERE user_id = %s", [N - 1, entry(user, N - 1).hash, user.pk])


def advance_the_head_row(user: Any) -> None:
    sql("UPDATE ledger_head SET seq = %s WHERE user_id = %s", [N + 5, user.pk])


def delete_the_head_row(user: Any) -> None:
    assert sql("DELETE FROM ledger_head WHERE user_id = %s", [user.pk]) == 1


# (corruption, first bad seq from verify_user, reason substring, first break of the bare hash chain)
LINK = "does not link to the entry before it"
CHANGED = "was changed after it was recorded"
CASES: list[tuple[Callable[[Any], None], int, str, int | None]] = [
    (change_amount, K, CHANGED, K),  # a
    (shift_occurred_at_by_one_microsecond, K, CHANGED, K),  # b
    (shift_recorded_at_by_one_microsecond, K, CHANGED, K),
    (change_kind, K, CHANGED, K),  # c
    (flip_one_bit_of_the_payload, K, CHANGED, K),  # d
    (change_prev_hash, K, LINK, K),  # e
    (change_target_seq, K, CHANGED, K),
    # f: the bare chain breaks at k+1 (the next prev_hash); the per-append checkpoint catches it at k.
    (change_amount_and_recompute_its_hash, K, "differs from its signed checkpoint", K + 1),
    (swap_the_seq_of_two_entries, K, LINK, K),  # g
    (delete_a_middle_entry, K, f"entry #{K} is missing", K),  # h
    (duplicate_an_entry_at_the_end, N + 1, LINK, N + 1),  # i
    (cut_off_the_last_three_entries, N - 2, "the chain was cut short", None),  # j
    (append_a_forged_linked_entry, N + 1, "has no signed checkpoint", None),  # k
    (append_a_forged_entry_with_a_checkpoint_signed_by_another_key, N + 1, "invalid signature", None),
    (recompute_the_whole_chain_after_a_change, K, "differs from its signed checkpoint", None),  # l
    (edit_a_checkpoint_head_hash, K, "invalid signature", None),  # m
    (edit_a_checkpoint_signature, K, "invalid signature", None),  # m
    (delete_a_checkpoint, K, "has no signed checkpoint", None),
    (edit_the_head_hash, N + 1, "chain head", None),  # n
    (rewind_the_head_row, N, "chain head", None),  # n
    (advance_the_head_row, N + 1, "chain head", None),  # n
    (delete_the_head_row, N + 1, "head row is missing", None),  # n
]


@pytest.mark.parametrize("corrupt,first_bad,reason,link_break", CASES, ids=[c[0].__name__ for c in CASES])
def test_tampering_is_detected_at_the_exact_first_bad_seq(
    chain, bob_chain, attacker, corrupt, first_bad, reason, link_break
):
    corrupt(chain)
    verdict = verify_user(chain.pk)
    assert verdict.ok is False
    assert verdict.first_bad_seq == first_bad, verdict.reason
    assert reason in verdict.reason
    assert first_link_break(chain.pk) == link_break
    assert verify_user(bob_chain.pk).ok  # the damage is confined to alice's chain


@pytest.mark.parametrize(
    "corrupt",
    [cut_off_the_last_three_entries, append_a_forged_linked_entry, recompute_the_whole_chain_after_a_change],
    ids=lambda c: c.__name__,
)
def test_cases_j_k_l_are_caught_only_through_checkpoints(chain, attacker, corrupt):
    """The bare chain is self-consistent after these; it is the signed checkpoints that fail."""
    corrupt(chain)
    assert first_link_break(chain.pk) is None
    assert verify_user(chain.pk).ok is False
    # Checked without checkpoints (everyone re-signed with the attacker's key), the chain passes:
    # the detection rests on the checkpoints, not on the links.
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq, hash FROM ledger_entry WHERE user_id = %s ORDER BY seq", [chain.pk])
        rows = cursor.fetchall()
    forged_key = b"attacker key"
    sql("DELETE FROM ledger_checkpoint WHERE user_id = %s", [chain.pk])
    for seq, digest in rows:
        Checkpoint(
            user_id=chain.pk,
            seq=seq,
            head_hash=digest,
            key_id="x",
            signature=hashchain.sign_checkpoint(forged_key, chain.pk, seq, digest),
            created_at=T,
        ).save()
    sql("UPDATE ledger_head SET seq = %s, head_hash = %s WHERE user_id = %s", [rows[-1][0], rows[-1][1], chain.pk])
    assert verify_user(chain.pk, key=forged_key).ok is True
    assert verify_user(chain.pk).ok is False


# --- truncation that also removes the evidence in the database ---------------------------------


def truncate_with_checkpoints_and_head(user: Any, keep: int) -> None:
    sql("DELETE FROM ledger_entry WHERE user_id = %s AND seq > %s", [user.pk, keep])
    sql("DELETE FROM ledger_checkpoint WHERE user_id = %s AND seq > %s", [user.pk, keep])
    sql("UPDATE ledger_head SET seq = %s, head_hash = %s WHERE user_id = %s", [keep, entry(user, keep).hash, user.pk])


@pytest.fixture
def saved_checkpoint(chain) -> dict[str, Any]:
    """What a careful user keeps off the server: the checkpoint from GET /api/v1/ledger."""
    body = Api(issue_token(chain)).get("/api/v1/ledger").json()
    saved = body["checkpoint"]
    assert saved["seq"] == N and saved["head_hash"] == body["head"]["hash"] and saved["user"] == chain.pk
    return saved


def test_a_saved_checkpoint_verifies_on_an_untouched_chain(chain, saved_checkpoint, tmp_path):
    assert verify_user(chain.pk, external=[saved_checkpoint]).ok is True
    path = tmp_path / "checkpoints.json"
    path.write_text(json.dumps([saved_checkpoint]))
    out = StringIO()
    call_command("verify_ledger", "--checkpoints", str(path), stdout=out, stderr=StringIO())
    assert f"ok   alice: {N} entries" in out.getvalue()


def test_a_full_truncation_is_invisible_in_the_database_but_caught_by_a_saved_checkpoint(
    chain, saved_checkpoint, attacker
):
    truncate_with_checkpoints_and_head(chain, N - 3)
    blind = verify_user(chain.pk)
    assert blind.ok is True and blind.entries == N - 3  # nothing left in the database to contradict it
    verdict = verify_user(chain.pk, external=[saved_checkpoint])
    assert verdict.ok is False
    assert verdict.first_bad_seq == N - 2
    assert "cut short" in verdict.reason


def test_verify_ledger_with_a_checkpoints_file_catches_the_full_truncation(chain, saved_checkpoint, attacker, tmp_path):
    path = tmp_path / "checkpoints.json"
    path.write_text(json.dumps([saved_checkpoint]))
    truncate_with_checkpoints_and_head(chain, N - 3)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("verify_ledger", "--checkpoints", str(path), stdout=out, stderr=err)
    assert caught.value.returncode == 1
    assert f"BAD  alice: first bad seq {N - 2}:" in out.getvalue()
    assert "cut short" in out.getvalue()


def test_a_rewritten_tail_is_caught_by_a_saved_checkpoint(chain, saved_checkpoint, attacker):
    """Truncate to k-1 and re-append different entries up to n with no checkpoints left to compare against."""
    truncate_with_checkpoints_and_head(chain, N - 3)
    prev = entry(chain, N - 3).hash
    for seq in range(N - 2, N + 1):
        prev = forge_entry(chain, seq, prev).hash
    sql("UPDATE ledger_head SET seq = %s, head_hash = %s WHERE user_id = %s", [N, prev, chain.pk])
    verdict = verify_user(chain.pk, external=[saved_checkpoint])
    assert verdict.ok is False
    assert verdict.first_bad_seq == N - 2  # the first forged entry: it has no signed checkpoint
    assert "has no signed checkpoint" in verdict.reason


# --- the command on damaged and clean databases ------------------------------------------------


def test_verify_ledger_runs_on_a_damaged_database_without_triggers_and_names_the_first_bad_seq(
    chain, bob_chain, attacker
):
    change_amount(chain)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("verify_ledger", stdout=out, stderr=err)
    assert caught.value.returncode == 1
    assert f"BAD  alice: first bad seq {K}:" in out.getvalue()
    assert CHANGED in out.getvalue()
    assert "ok   bob: 3 entries" in out.getvalue()
    assert "TRIGGER MISSING" in err.getvalue()
    assert all(name in err.getvalue() for _, name in triggers.expected_triggers(connection.vendor))


def test_verify_ledger_reports_missing_triggers_even_when_every_chain_is_intact(chain, attacker):
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("verify_ledger", stdout=out, stderr=err)
    assert caught.value.returncode == 1
    assert "ok   alice" in out.getvalue() and "TRIGGER MISSING" in err.getvalue()


def test_verify_ledger_exits_zero_on_a_clean_database(chain, bob):
    build_chain(bob, 3)
    out = StringIO()
    call_command("verify_ledger", stdout=out, stderr=StringIO())
    assert f"ok   alice: {N} entries" in out.getvalue()
    assert "ok   bob: 3 entries" in out.getvalue()
    assert "2 chain(s) checked, 0 problem(s)" in out.getvalue()


def test_verify_ledger_for_one_user(chain, bob_chain, attacker):
    change_amount(chain)
    restore_triggers()
    out = StringIO()
    call_command("verify_ledger", "--user", "bob", stdout=out, stderr=StringIO())
    assert "ok   bob" in out.getvalue() and "alice" not in out.getvalue()
    with pytest.raises(CommandError):
        call_command("verify_ledger", "--user", "alice", stdout=StringIO(), stderr=StringIO())


def _manage(*args: str) -> subprocess.CompletedProcess:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "LEDGER_KEY": settings.LEDGER_KEY.decode()}
    return subprocess.run(
        [sys.executable, "manage.py", "verify_ledger", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.django_db(transaction=True)
def test_the_verify_ledger_process_exits_1_on_damage_and_0_when_clean(alice):
    build_chain(alice, 20)
    clean = _manage()
    assert clean.returncode == 0, clean.stderr
    assert "ok   alice: 20 entries" in clean.stdout
    drop_triggers()
    try:
        sql("UPDATE ledger_entry SET amount_micro = 1 WHERE user_id = %s AND seq = 7", [alice.pk])
        damaged = _manage()
    finally:
        restore_triggers()
    assert damaged.returncode == 1, damaged.stdout + damaged.stderr
    assert "BAD  alice: first bad seq 7:" in damaged.stdout
    assert "TRIGGER MISSING" in damaged.stderr


# --- no false positives ------------------------------------------------------------------------


def _post_dose(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/api/v1/doses", body)
    if response.status_code == 409:  # record anyway: this test is about hashing, not the rules
        codes = sorted({w["code"] for w in response.json()["warnings"]})
        response = api.post("/api/v1/doses", {**body, "acknowledge": codes})
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])
def test_a_clean_mixed_ledger_with_unicode_and_dst_edges_verifies(db, zone):
    user = make_user("dora", timezone=zone)
    api = Api(issue_token(user))
    nfd = "Se\u0301maglutide n\u0303 \u1e9b\u0323"  # decomposed accents, as some keyboards send them
    protocol = make_protocol(
        api, name=nfd, starts_on="2025-01-01", min_interval_hours=0, sites=["bauch li\u0308nks", "🦵 thigh"]
    )
    changed = api.patch(f"/api/v1/protocols/{protocol['id']}", {"dose": "0.5", "max_single_dose": "2.4"})
    assert changed.status_code == 200, changed.content
    times = [
        # EU spring forward (01:00 UTC 2025-03-30), US (07:00 UTC 2025-03-09), Lord Howe's half-hour shift
        "2025-03-30T00:59:59.999999Z",
        "2025-03-30T01:00:00Z",
        "2025-03-30T03:30:00+02:00",
        "2025-03-09T01:59:59.999999-05:00",
        "2025-03-09T03:00:00.000001-04:00",
        "2025-04-06T01:45:00+11:00",
        "2025-04-06T01:45:00+10:30",
        # autumn: the same wall-clock time twice
        "2025-10-26T02:30:00+02:00",
        "2025-10-26T02:30:00+01:00",
        "2025-11-02T01:30:00-04:00",
        "2025-11-02T01:30:00-05:00",
    ]
    notes = [
        "Cafe\u0301 ☕",
        "🧪💉👩🏽‍⚕️ family emoji 👨‍👩‍👧",
        "Zalgo z\u0335\u0321a\u0336",
        'tab\there "quoted" \\ back',
        "日本語のメモ",
        "",
        "x" * 500,
    ]
    doses = [
        _post_dose(
            api,
            {
                "protocol": protocol["id"],
                "amount": "0.25",
                "occurred_at": when,
                "note": notes[i % len(notes)],
                "site": "🦵 thigh",
            },
        )
        for i, when in enumerate(times)
    ]
    void = api.post(
        f"/api/v1/entries/{doses[0]['id']}/corrections", {"action": "void", "reason": "entered twice — sorry ✋"}
    )
    assert void.status_code == 201, void.content
    fix = api.post(
        f"/api/v1/entries/{doses[1]['id']}/corrections",
        {"action": "correct", "reason": "0,5 statt 0,25", "amount": "0.5", "note": "Ko\u0308ln"},
    )
    if fix.status_code == 409:
        codes = sorted({w["code"] for w in fix.json()["warnings"]})
        fix = api.post(
            f"/api/v1/entries/{doses[1]['id']}/corrections",
            {
                "action": "correct",
                "reason": "0,5 statt 0,25",
                "amount": "0.5",
                "note": "Ko\u0308ln",
                "acknowledge": codes,
            },
        )
    assert fix.status_code == 201, fix.content
    kinds = set(Entry.objects.filter(user=user).values_list("kind", flat=True))
    assert kinds == {"protocol", "dose", "void"}
    assert Entry.objects.filter(user=user, kind="dose", target_seq__isnull=False).exists()  # the correction
    total = Entry.objects.filter(user=user).count()
    verdict = verify_user(user.pk)
    assert verdict.ok is True, verdict
    assert verdict.entries == total and verdict.first_bad_seq is None
    assert api.get("/api/v1/ledger/verify").json()["ok"] is True
    assert first_link_break(user.pk) is None
    saved = api.get("/api/v1/ledger").json()["checkpoint"]
    assert verify_user(user.pk, external=[saved]).ok is True


# --- the history page checks what it shows ---------------------------------------------------------

S = N - 3  # on the first page of the history (25 newest entries)


def page_amount(user: Any) -> None:
    sql("UPDATE ledger_entry SET amount_micro = amount_micro + 1 WHERE user_id = %s AND seq = %s", [user.pk, S])


def page_checkpoint_signature(user: Any) -> None:
    signature = Checkpoint.objects.get(user=user, seq=S).signature
    sql(
        "UPDATE ledger_checkpoint SET signature = %s WHERE user_id = %s AND seq = %s", [flip_hex(signature), user.pk, S]
    )


def page_checkpoint_head_hash(user: Any) -> None:
    sql(
        "UPDATE ledger_checkpoint SET head_hash = %s WHERE user_id = %s AND seq = %s",
        [flip_hex(entry(user, S).hash), user.pk, S],
    )


def page_checkpoint_deleted(user: Any) -> None:
    assert sql("DELETE FROM ledger_checkpoint WHERE user_id = %s AND seq = %s", [user.pk, S]) == 1


def page_link(user: Any) -> None:
    sql("UPDATE ledger_entry SET prev_hash = %s WHERE user_id = %s AND seq = %s", [flip_hex("0" * 64), user.pk, S])


@pytest.mark.parametrize(
    "corrupt",
    [
        page_amount,
        page_checkpoint_signature,
        page_checkpoint_head_hash,
        page_checkpoint_deleted,
        page_link,
        edit_the_head_hash,
    ],
    ids=lambda f: f.__name__,
)
def test_the_history_page_says_not_verified_when_a_shown_entry_was_tampered_with(chain, client, attacker, corrupt):
    client.force_login(chain)
    before = client.get("/history/").content.decode()
    assert "✓ Verified" in before and "Not verified" not in before

    corrupt(chain)

    after = client.get("/history/").content.decode()
    assert "Not verified" in after and "✓ Verified" not in after
