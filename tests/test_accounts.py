"""Sign-up, log-in, tokens and the password policy."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from shotlee.accounts.models import ApiToken
from shotlee.ledger.models import LedgerHead
from tests.conftest import PASSWORD, Api


@pytest.mark.django_db
@pytest.mark.argon2
def test_register_creates_the_user_an_argon2_hash_and_an_empty_chain():
    response = Api().post("/api/v1/auth/register", {"username": "dana", "password": PASSWORD})
    assert response.status_code == 201
    user = get_user_model().objects.get(username="dana")
    assert user.password.startswith("argon2")
    head = LedgerHead.objects.get(user=user)
    assert head.seq == 0 and len(head.head_hash) == 64


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [("elevenchars", "at least 12"), ("password1234", "too common"), ("123456789012345", "entirely numeric")],
)
def test_weak_passwords_are_refused_with_the_reason(password, message):
    response = Api().post("/api/v1/auth/register", {"username": "erin", "password": password})
    assert response.status_code == 422
    assert message in response.json()["detail"][0]["msg"]
    assert not get_user_model().objects.filter(username="erin").exists()


@pytest.mark.django_db
def test_long_passphrases_are_accepted_without_composition_rules():
    assert (
        Api()
        .post("/api/v1/auth/register", {"username": "finn", "password": "a" * 3 + " quiet meadow " * 6})
        .status_code
        == 201
    )


def test_usernames_are_unique_regardless_of_case(alice):
    """The page says so (a person must pick another); the API answers as for a free name (test_signup_policy)."""
    response = Client().post("/accounts/signup/", {"username": "ALICE", "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 422
    assert b"That username is taken." in response.content
    assert Api().post("/api/v1/auth/register", {"username": "ALICE", "password": PASSWORD}).status_code == 201
    assert get_user_model().objects.filter(username__iexact="alice").count() == 1


def test_tokens_are_issued_for_good_credentials_and_stored_hashed(alice):
    response = Api().post("/api/v1/auth/token", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 201
    token = response.json()["token"]
    assert not ApiToken.objects.filter(digest=token).exists()
    assert Api(token).get("/api/v1/protocols").status_code == 200


def test_bad_credentials_get_401_and_the_same_message_for_unknown_users(alice):
    wrong = Api().post("/api/v1/auth/token", {"username": "alice", "password": "not the password at all"})
    unknown = Api().post("/api/v1/auth/token", {"username": "nobody", "password": "not the password at all"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_sign_up_can_be_switched_off(settings, alice):
    settings.OPEN_SIGNUP = False  # and alice exists, so this is not the first account
    assert Api().post("/api/v1/auth/register", {"username": "gus", "password": PASSWORD}).status_code == 403
    assert Client().get("/accounts/signup/").status_code == 403


@pytest.mark.django_db
def test_web_sign_up_logs_in_and_log_out_ends_the_session():
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {"username": "hana", "password": PASSWORD, "password2": PASSWORD, "timezone": "Europe/Paris"},
    )
    assert response.status_code == 302
    assert client.get("/history/").status_code == 200
    assert get_user_model().objects.get(username="hana").profile.timezone == "Europe/Paris"
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/history/").status_code == 302


@pytest.mark.django_db
def test_web_sign_up_shows_specific_errors_and_creates_nothing():
    response = Client().post("/accounts/signup/", {"username": "ivan", "password": "short", "password2": "short"})
    assert response.status_code == 422
    assert b"at least 12 characters" in response.content
    assert not get_user_model().objects.filter(username="ivan").exists()


@pytest.mark.django_db
def test_an_expired_session_or_a_deactivated_account_is_logged_out(alice):
    """The session store and the auth backend read their rows with prepared SQL: expiry and is_active still hold."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client = Client()
    client.force_login(alice)
    assert client.get("/history/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/history/").status_code == 302

    client.force_login(alice)
    assert client.get("/history/").status_code == 200
    type(alice).objects.filter(pk=alice.pk).update(is_active=False)
    assert client.get("/history/").status_code == 302
