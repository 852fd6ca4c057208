"""T01: every ORM path that would change or remove a ledger row is refused, and nothing changes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.test import Client

from shotlee.ledger.models import AppendOnlyError, Checkpoint, Entry
from tests.conftest import make_protocol
from tests.ledger_support import checksum

T = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def ledger(alice_api, bob_api, alice, bob):
    """Two users with a protocol and doses each, so 'all rows' statements touch several chains."""
    for api, count in ((alice_api, 3), (bob_api, 1)):
        protocol = make_protocol(api)
        for i in range(count):
            when = (T + timedelta(days=7 * i)).isoformat()
            response = api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "occurred_at": when})
            assert response.status_code == 201, response.content
    assert Entry.objects.filter(user=alice).count() == 4 and Checkpoint.objects.filter(user=alice).count() == 4
    return {"alice": alice, "bob": bob}


def _entry(user: Any, seq: int = 2) -> Entry:
    return Entry.objects.get(user=user, seq=seq)


def _checkpoint(user: Any, seq: int = 2) -> Checkpoint:
    return Checkpoint.objects.get(user=user, seq=seq)


# Each path takes the alice user and attempts one mutation of the given model.
def save_after_loading(model: type, user: Any) -> None:
    row = model.objects.get(user=user, seq=2)
    if model is Entry:
        row.amount_micro = 999
    else:
        row.head_hash = "0" * 64
    row.save()


def save_with_update_fields(model: type, user: Any) -> None:
    row = model.objects.get(user=user, seq=2)
    row.seq = 99
    row.save(update_fields=["seq"])


def save_force_update(model: type, user: Any) -> None:
    row = model.objects.get(user=user, seq=2)
    row.seq = 99
    row.save(force_update=True)


def save_force_update_on_a_fresh_object_with_an_existing_pk(model: type, user: Any) -> None:
    row = model.objects.get(user=user, seq=2)
    fields = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
    fields["seq"] = 99
    model(**fields).save(force_update=True)


def save_a_fresh_object_reusing_an_existing_pk(model: type, user: Any) -> None:
    # A new object with the pk (and seq) of a stored row: an INSERT that must not replace it.
    row = model.objects.get(user=user, seq=2)
    fields = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
    if model is Entry:
        fields["uid"] = uuid.uuid4()
    model(**fields).save()


def delete_an_object(model: type, user: Any) -> None:
    model.objects.get(user=user, seq=2).delete()


def queryset_update(model: type, user: Any) -> None:
    model.objects.filter(user=user).update(seq=1000)


def queryset_delete(model: type, user: Any) -> None:
    model.objects.filter(user=user).delete()


def manager_delete_all(model: type, user: Any) -> None:
    model.objects.all().delete()


def bulk_update(model: type, user: Any) -> None:
    rows = list(model.objects.filter(user=user))
    for row in rows:
        if model is Entry:
            row.amount_micro = 1
        else:
            row.created_at = T
    model.objects.bulk_update(rows, ["amount_micro"] if model is Entry else ["created_at"])


def bulk_create_update_conflicts(model: type, user: Any) -> None:
    row = model.objects.get(user=user, seq=2)
    fields = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields if f.attname != "id"}
    if model is Entry:
        fields["amount_micro"] = 999
        update = ["amount_micro"]
    else:
        fields["head_hash"] = "0" * 64
        update = ["head_hash"]
    model.objects.bulk_create(
        [model(**fields)], update_conflicts=True, unique_fields=["user", "seq"], update_fields=update
    )


def bulk_create_ignore_conflicts(model: type, user: Any) -> None:
    row = model.objects.get(user=user, seq=2)
    fields = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields if f.attname != "id"}
    model.objects.bulk_create([model(**fields)], ignore_conflicts=True)


def update_or_create_existing(model: type, user: Any) -> None:
    defaults = {"amount_micro": 999} if model is Entry else {"head_hash": "0" * 64}
    model.objects.update_or_create(user=user, seq=2, defaults=defaults)


def async_queryset_update(model: type, user: Any) -> None:
    async_to_sync(model.objects.filter(user=user).aupdate)(seq=1000)


def async_queryset_delete(model: type, user: Any) -> None:
    async_to_sync(model.objects.filter(user=user).adelete)()


def base_manager_update(model: type, user: Any) -> None:
    # Django's _base_manager is a plain Manager: the ORM guard is bypassed, the trigger is not.
    model._base_manager.filter(user=user).update(seq=1000)


def base_manager_delete(model: type, user: Any) -> None:
    model._base_manager.filter(user=user, seq=2)._raw_delete(connection.alias)


def delete_the_owner(model: type, user: Any) -> None:
    get_user_model().objects.get(pk=user.pk).delete()


PATHS: list[Callable[[type, Any], None]] = [
    save_after_loading,
    save_with_update_fields,
    save_force_update,
    save_force_update_on_a_fresh_object_with_an_existing_pk,
    save_a_fresh_object_reusing_an_existing_pk,
    delete_an_object,
    queryset_update,
    queryset_delete,
    manager_delete_all,
    bulk_update,
    bulk_create_update_conflicts,
    bulk_create_ignore_conflicts,
    update_or_create_existing,
    async_queryset_update,
    async_queryset_delete,
    base_manager_update,
    base_manager_delete,
    delete_the_owner,
]

REFUSALS = (AppendOnlyError, DatabaseError, ProtectedError)


@pytest.mark.parametrize("model", [Entry, Checkpoint], ids=["entry", "checkpoint"])
@pytest.mark.parametrize("path", PATHS, ids=[p.__name__ for p in PATHS])
def test_orm_mutation_path_is_refused_and_changes_nothing(ledger, model, path):
    before = checksum()
    with pytest.raises(REFUSALS):
        with transaction.atomic():
            path(model, ledger["alice"])
    assert checksum() == before


@pytest.mark.parametrize("model", [Entry, Checkpoint], ids=["entry", "checkpoint"])
@pytest.mark.parametrize(
    "path",
    [
        save_after_loading,
        delete_an_object,
        queryset_update,
        queryset_delete,
        bulk_update,
        bulk_create_update_conflicts,
        update_or_create_existing,
    ],
    ids=lambda p: p.__name__,
)
def test_the_orm_guard_refuses_before_touching_the_database(ledger, model, path):
    """The friendly layer: AppendOnlyError itself, not a trigger error, for the documented paths."""
    before = checksum()
    with pytest.raises(AppendOnlyError, match="append-only"):
        with transaction.atomic():
            path(model, ledger["alice"])
    assert checksum() == before


@pytest.fixture
def admin_client(db) -> Client:
    User = get_user_model()
    root = User.objects.create_superuser("root", "root@example.com", "correct horse battery staple")
    client = Client()
    client.force_login(root)
    return client


def _admin_form(model: type, row: Any) -> dict[str, str]:
    data = {}
    for f in model._meta.concrete_fields:
        if f.attname == "id":
            continue
        value = getattr(row, f.attname)
        data[f.name] = "" if value is None else str(value)
    if model is Entry:
        data["amount_micro"] = "999"
        data["kind"] = "void"
    else:
        data["head_hash"] = "0" * 64
    return data


@pytest.mark.parametrize("model", [Entry, Checkpoint], ids=["entry", "checkpoint"])
def test_admin_can_view_a_ledger_row(ledger, admin_client, model):
    row = model.objects.get(user=ledger["alice"], seq=2)
    name = model._meta.model_name
    assert admin_client.get(f"/admin/ledger/{name}/").status_code == 200
    assert admin_client.get(f"/admin/ledger/{name}/{row.pk}/change/").status_code == 200


@pytest.mark.parametrize("model", [Entry, Checkpoint], ids=["entry", "checkpoint"])
def test_admin_change_post_is_forbidden_and_changes_nothing(ledger, admin_client, model):
    row = model.objects.get(user=ledger["alice"], seq=2)
    before = checksum()
    response = admin_client.post(f"/admin/ledger/{model._meta.model_name}/{row.pk}/change/", _admin_form(model, row))
    assert response.status_code == 403
    assert checksum() == before


@pytest.mark.parametrize("model", [Entry, Checkpoint], ids=["entry", "checkpoint"])
def test_admin_delete_post_is_forbidden_and_changes_nothing(ledger, admin_client, model):
    row = model.objects.get(user=ledger["alice"], seq=2)
    before = checksum()
    response = admin_client.post(f"/admin/ledger/{model._meta.model_name}/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert checksum() == before


@pytest.mark.parametrize("model", [Entry, Checkpoint], ids=["entry", "checkpoint"])
def test_admin_add_post_is_forbidden_and_changes_nothing(ledger, admin_client, model):
    row = model.objects.get(user=ledger["alice"], seq=2)
    before = checksum()
    response = admin_client.post(f"/admin/ledger/{model._meta.model_name}/add/", _admin_form(model, row))
    assert response.status_code == 403
    assert checksum() == before


@pytest.mark.parametrize("model", [Entry, Checkpoint], ids=["entry", "checkpoint"])
def test_admin_bulk_delete_action_deletes_nothing(ledger, admin_client, model):
    pks = [str(pk) for pk in model.objects.values_list("pk", flat=True)]
    before = checksum()
    response = admin_client.post(
        f"/admin/ledger/{model._meta.model_name}/",
        {"action": "delete_selected", "_selected_action": pks, "post": "yes", "index": "0"},
    )
    assert response.status_code in (200, 302, 403)
    assert checksum() == before
