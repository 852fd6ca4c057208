"""A record kind is registered, not wired in: the history, the correction page and the API handle a new kind
knowing only its RecordKind (docs/architecture.md, "Adding a record kind")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from shotlee.ledger import kinds, records
from shotlee.ledger.services import append
from shotlee.ledger.verify import verify_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def journal_kind():
    """A made-up kind: a free-text journal line, which can be voided but has no correction form."""
    kind = kinds.RecordKind(
        "journal",
        "Journal line",
        body=lambda entry: {"text": entry.data["text"]},
        summary=lambda entry, preferences: f"Journal: {entry.data['text']}",
        correctable=True,
    )
    kinds.register(kind)
    yield kind
    kinds._KINDS.pop("journal")


def test_a_registered_kind_is_recorded_listed_voided_and_verified(alice, alice_api, journal_kind):
    outcome = records.record(
        alice,
        None,
        lambda head: append(head, kind="journal", occurred_at=datetime.now(UTC), data={"text": "slept badly"}),
    )
    assert outcome.status == 201 and outcome.body["text"] == "slept badly" and outcome.body["status"] == "effective"

    web = Client()
    web.force_login(alice)
    page = web.get("/history/").content.decode()
    assert "Journal: slept badly" in page and f"/history/{outcome.body['id']}/correct/" in page

    ledger = alice_api.get("/api/v1/ledger").json()
    assert ledger["items"][-1]["kind"] == "journal" and ledger["items"][-1]["text"] == "slept badly"

    form = web.get(f"/history/{outcome.body['id']}/correct/").content.decode()
    assert "(void it)" in form and "(correct them)" not in form  # no corrector: voiding only
    voided = web.post(f"/history/{outcome.body['id']}/correct/", {"action": "void", "reason": "not mine"})
    assert voided.status_code == 302
    assert "<s>Journal: slept badly</s>" in web.get("/history/").content.decode()
    assert verify_user(alice.pk).ok


def test_a_kind_is_registered_once():
    with pytest.raises(ValueError, match="twice"):
        kinds.register(kinds.RecordKind("dose", "Another dose", body=dict, summary=lambda e, p: ""))
