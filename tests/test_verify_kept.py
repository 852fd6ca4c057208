"""Verify against what you kept: a saved export or checkpoint against today's history, on the page and the API."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from shotlee.ledger import triggers
from shotlee.ledger.verify import verify_user
from tests.test_exports import body, seed


@pytest.fixture
def kept(alice, alice_api):
    seed(alice_api, "ALICE-MARKER")
    return body(alice_api.get("/api/v1/export.json"))


def check(api, raw: bytes):
    return api.client.post(
        "/api/v1/export/verify",
        {"file": SimpleUploadedFile("kept.json", raw)},
        headers={"Authorization": f"Bearer {api.token}"},
    )


def settle() -> None:
    """PostgreSQL refuses to alter a table with deferred foreign-key checks pending: fire them now."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.fixture
def attacker(db):
    """Database write access without the key: triggers off, restored afterwards."""
    settle()
    triggers.uninstall(connection)
    yield connection
    settle()
    triggers.install(connection)


def cut_tail(user_id: int, keep: int) -> None:
    """Delete the last entries *and* their checkpoints and rewind the head: the chain still verifies on its own."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_entry WHERE user_id = %s AND seq > %s", [user_id, keep])
        cursor.execute("DELETE FROM ledger_checkpoint WHERE user_id = %s AND seq > %s", [user_id, keep])
        cursor.execute("SELECT hash FROM ledger_entry WHERE user_id = %s AND seq = %s", [user_id, keep])
        head = cursor.fetchone()[0]
        cursor.execute("UPDATE ledger_head SET seq = %s, head_hash = %s WHERE user_id = %s", [keep, head, user_id])


def test_an_untouched_history_extends_the_kept_export(alice_api, kept):
    alice_api.post("/api/v1/metrics", {"type": "weight", "value": 80})
    response = check(alice_api, kept)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "kept": 15, "today": 16, "first_bad_seq": None, "reason": ""}


def test_a_clean_cut_of_the_tail_is_named_by_its_first_missing_seq(alice, alice_api, kept, attacker):
    cut_tail(alice.pk, 12)
    assert verify_user(alice.pk).ok  # what /api/v1/ledger/verify sees: nothing wrong
    result = check(alice_api, kept).json()
    assert result["ok"] is False and result["first_bad_seq"] == 13 and "missing" in result["reason"]
    checkpoint = json.dumps(json.loads(kept)["checkpoint"]).encode()
    result = check(alice_api, checkpoint).json()
    assert result["ok"] is False and result["first_bad_seq"] == 13


def test_a_rewritten_entry_is_named_by_its_seq(alice, alice_api, kept, attacker):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_entry SET unit = 'mcg' WHERE user_id = %s AND seq = 4", [alice.pk])
    result = check(alice_api, kept).json()
    assert result["ok"] is False and result["first_bad_seq"] == 4 and "changed" in result["reason"]


def test_a_checkpoint_alone_or_a_saved_ledger_page_is_enough(alice_api, kept):
    checkpoint = json.loads(kept)["checkpoint"]
    assert check(alice_api, json.dumps(checkpoint).encode()).json()["ok"] is True
    page = alice_api.get("/api/v1/ledger").content
    assert check(alice_api, page).json()["ok"] is True
    raw = alice_api.client.post(
        "/api/v1/export/verify",
        json.dumps(checkpoint),
        content_type="application/json",
        headers={"Authorization": f"Bearer {alice_api.token}"},
    )
    assert raw.status_code == 200 and raw.json()["ok"] is True


def test_a_forged_or_foreign_copy_is_refused_with_a_reason(alice_api, bob_api, kept):
    checkpoint = json.loads(kept)["checkpoint"]
    forged = dict(checkpoint, head_hash="0" * 64)
    response = check(alice_api, json.dumps(forged).encode())
    assert response.status_code == 422 and "signature is not valid" in response.json()["detail"]
    foreign = check(bob_api, kept)
    assert foreign.status_code == 422 and "another account" in foreign.json()["detail"]
    assert check(alice_api, b"hello").status_code == 422


def test_the_page_says_the_same(alice, kept, attacker):
    client = Client()
    client.force_login(alice)
    ok = client.post("/data/check/", {"file": SimpleUploadedFile("kept.json", kept)})
    assert ok.status_code == 200 and b"still contains this copy unchanged" in ok.content
    cut_tail(alice.pk, 10)
    bad = client.post("/data/check/", {"file": SimpleUploadedFile("kept.json", kept)})
    assert bad.status_code == 200 and b"Problem found at entry #11" in bad.content
    assert client.post("/data/check/", {}).status_code == 422


def rewrite_and_resign(user_id: int, from_seq: int) -> None:
    """Someone with database access *and* the key changes entry `from_seq` and recomputes and re-signs everything
    after it: the chain verifies on its own again."""
    from django.conf import settings

    from shotlee.ledger.models import Entry
    from shotlee.lib import hashchain

    prev = Entry.objects.get(user_id=user_id, seq=from_seq - 1).hash
    with connection.cursor() as cursor:
        for entry in Entry.objects.filter(user_id=user_id, seq__gte=from_seq).order_by("seq"):
            if entry.seq == from_seq:
                entry.unit = "mcg"
            entry.prev_hash = prev
            entry.hash = prev = entry.compute_hash()
            cursor.execute(
                "UPDATE ledger_entry SET unit = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [entry.unit, entry.prev_hash, entry.hash, entry.pk],
            )
            signature = hashchain.sign_checkpoint(settings.LEDGER_KEY, user_id, entry.seq, entry.hash)
            cursor.execute(
                "UPDATE ledger_checkpoint SET head_hash = %s, signature = %s WHERE user_id = %s AND seq = %s",
                [entry.hash, signature, user_id, entry.seq],
            )
        cursor.execute("UPDATE ledger_head SET head_hash = %s WHERE user_id = %s", [prev, user_id])


def test_a_rewritten_and_re_signed_history_is_named_by_the_first_changed_seq(alice, alice_api, kept, attacker):
    rewrite_and_resign(alice.pk, 4)
    assert verify_user(alice.pk).ok  # the server alone cannot tell
    result = check(alice_api, kept).json()
    assert result == {
        "ok": False,
        "kept": 15,
        "today": 15,
        "first_bad_seq": 4,
        "reason": "entry #4 has changed since you saved this copy",
    }


def test_a_form_without_the_file_is_refused_by_name_not_a_server_error(alice_api):
    empty = alice_api.client.post(
        "/api/v1/export/verify",
        {"note": "no file here"},
        headers={"Authorization": f"Bearer {alice_api.token}"},
    )
    assert empty.status_code == 422 and "file named file" in empty.json()["detail"]
