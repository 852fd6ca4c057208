"""Password change and reset (through a real SMTP server), API tokens, and account erasure from the pages."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from shotlee.accounts.models import ApiToken
from shotlee.accounts.services import issue_token
from shotlee.ledger.models import Entry, Tombstone
from tests.conftest import PASSWORD, Api, make_protocol
from tests.mail_support import smtp_server

NEW = "a brand new long passphrase 42"


@pytest.fixture
def inbox(settings):
    with smtp_server(settings) as received:
        yield received


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_changing_the_password_needs_the_old_one_and_changes_nothing_without_it(alice):
    client = signed_in(alice)
    response = client.post("/accounts/password/", {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 422 and b"Your old password was entered incorrectly" in response.content
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_changing_the_password_ends_other_sessions_and_every_token_but_keeps_this_one(alice):
    here, elsewhere = signed_in(alice), signed_in(alice)
    token = Api(issue_token(alice, "phone"))
    assert token.get("/api/v1/doses").status_code == 200
    response = here.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    assert here.get("/accounts/settings/").status_code == 200
    assert elsewhere.get("/accounts/settings/").status_code == 302  # back to the login page
    assert token.get("/api/v1/doses").status_code == 401
    alice.refresh_from_db()
    assert alice.check_password(NEW)


def test_a_weak_new_password_is_refused_by_name(alice):
    response = signed_in(alice).post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"}
    )
    assert response.status_code == 422 and b"too short" in response.content


def test_a_password_reset_goes_through_a_real_smtp_server(alice, inbox):
    alice.email = "alice@example.org"
    alice.save()
    token = Api(issue_token(alice))
    anonymous = Client()
    response = anonymous.post("/accounts/password/reset/", {"email": "alice@example.org"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert len(inbox.messages) == 1 and inbox.messages[0]["To"] == "alice@example.org"
    link = urlsplit(inbox.link()).path
    form = anonymous.get(link, follow=True)
    assert form.status_code == 200 and b"Choose a new password" in form.content
    done = anonymous.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == "/accounts/password/reset/done/"
    alice.refresh_from_db()
    assert alice.check_password(NEW)
    assert token.get("/api/v1/doses").status_code == 401
    again = anonymous.get(link, follow=True)
    assert b"This link no longer works" in again.content


def test_a_reset_for_an_unknown_address_sends_nothing_and_says_the_same(alice, inbox):
    response = Client().post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert inbox.messages == []


def test_the_email_for_resets_is_checked_and_saved(alice):
    client = signed_in(alice)
    bad = client.post("/accounts/settings/", {"form": "email", "email": "not an address"})
    assert bad.status_code == 422 and b"is not an email address" in bad.content
    assert client.post("/accounts/settings/", {"form": "email", "email": "a@example.org"}).status_code == 302
    alice.refresh_from_db()
    assert alice.email == "a@example.org"


def test_the_tokens_page_creates_a_named_token_once_lists_its_use_and_revokes_it(alice):
    client = signed_in(alice)
    created = client.post("/accounts/tokens/", {"name": "my phone", "expires": "30"})
    assert created.status_code == 200
    raw = created.context["new_token"]
    assert raw.startswith("sht_") and raw.encode() in created.content
    listed = client.get("/accounts/tokens/")
    assert raw.encode() not in listed.content and b"my phone" in listed.content and b"never" in listed.content
    api = Api(raw)
    assert api.get("/api/v1/doses").status_code == 200
    token = ApiToken.objects.get(user=alice, name="my phone")
    assert token.last_used_at is not None and token.expires_at > timezone.now() + timedelta(days=29)
    revoked = client.post("/accounts/tokens/", {"action": "revoke", "token": token.pk})
    assert revoked.status_code == 302
    assert api.get("/api/v1/doses").status_code == 401


def test_a_token_needs_a_name_and_a_listed_expiry(alice):
    client = signed_in(alice)
    assert b"Give the token a name" in client.post("/accounts/tokens/", {"name": "", "expires": ""}).content
    assert client.post("/accounts/tokens/", {"name": "x", "expires": "7"}).status_code == 422
    assert not ApiToken.objects.filter(user=alice).exists()


def test_an_expired_token_is_refused(alice):
    api = Api(issue_token(alice, "old", timezone.now() - timedelta(seconds=1)))
    assert api.get("/api/v1/doses").status_code == 401


def test_bob_cannot_revoke_alice_s_token(alice, bob):
    issue_token(alice, "alice's")
    token = ApiToken.objects.get(user=alice)
    response = signed_in(bob).post("/accounts/tokens/", {"action": "revoke", "token": token.pk})
    assert response.status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_deleting_the_account_needs_the_password_and_offers_the_export_first(alice, alice_api):
    make_protocol(alice_api)
    client = signed_in(alice)
    page = client.get("/accounts/delete/")
    assert b"Download your data first" in page.content and b'href="/data/"' in page.content
    wrong = client.post("/accounts/delete/", {"password": "nope"})
    assert wrong.status_code == 422 and User.objects.filter(pk=alice.pk).exists()
    done = client.post("/accounts/delete/", {"password": PASSWORD})
    assert done.status_code == 200 and b"Your account is deleted" in done.content
    assert not User.objects.filter(pk=alice.pk).exists() and not Entry.objects.filter(user_id=alice.pk).exists()
    assert Tombstone.objects.filter(user_id=alice.pk).exists()
    assert alice_api.get("/api/v1/doses").status_code == 401
    assert client.get("/accounts/settings/").status_code == 302
