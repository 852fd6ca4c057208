"""T40: two-step verification (TOTP and recovery codes): enrolment, the code step at log-in, codes used once, and the
actions that ask for a code once it is on (API token, password change, token page, erasure, turning it off)."""

from __future__ import annotations

import re

import pyotp
import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client

from shotlee.accounts.models import ApiToken, RecoveryCode, TwoStep
from shotlee.accounts.twostep_views import PENDING, SETUP_SECRET
from tests.conftest import PASSWORD, Api


def enrol(client: Client) -> tuple[str, list[str]]:
    """Turn two-step verification on as a person does: open the page, type the app's code and the password."""
    page = client.get("/accounts/two-step/")
    key = re.search(r'<code id="setup-key" class="setup-key">([A-Z2-7 ]+)</code>', page.content.decode()).group(1)
    secret = key.replace(" ", "")
    assert secret == client.session[SETUP_SECRET]
    done = client.post(
        "/accounts/two-step/", {"action": "enable", "code": pyotp.TOTP(secret).now(), "password": PASSWORD}
    )
    assert done.status_code == 200, done.content
    codes = re.findall(r"<li><code>([0-9a-z-]+)</code></li>", done.content.decode())
    return secret, codes


def fresh_code(user, secret: str) -> str:
    """A code for a new 30-second step: lets a test make several checks without waiting for the clock."""
    TwoStep.objects.filter(user=user).update(last_step=0)
    return pyotp.TOTP(secret).now()


@pytest.fixture
def enrolled(alice):
    client = Client()
    client.force_login(alice)
    secret, codes = enrol(client)
    return secret, codes


def password_step(client: Client, password: str = PASSWORD, next_url: str = ""):
    data = {"username": "alice", "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


def test_enrolment_shows_a_qr_code_and_a_key_and_needs_a_right_code_and_the_password(alice):
    client = Client()
    client.force_login(alice)
    page = client.get("/accounts/two-step/")
    assert page.status_code == 200
    assert b"<svg" in page.content and b"QR code for your authenticator app" in page.content
    secret = client.session[SETUP_SECRET]
    assert secret.replace(" ", "") in page.content.decode().replace(" ", "")
    wrong = client.post("/accounts/two-step/", {"action": "enable", "code": "000000", "password": PASSWORD})
    no_password = client.post(
        "/accounts/two-step/", {"action": "enable", "code": pyotp.TOTP(secret).now(), "password": "nope"}
    )
    assert wrong.status_code == no_password.status_code == 422
    assert b"That code does not match" in wrong.content and b"That is not your password" in no_password.content
    assert not TwoStep.objects.exists()
    assert client.session[SETUP_SECRET] == secret  # the same key stays on the page while the person retries


def test_enrolment_gives_ten_recovery_codes_stored_hashed(alice, enrolled):
    secret, codes = enrolled
    assert len(codes) == len(set(codes)) == 10
    assert all(re.fullmatch(r"[0-9a-z]{4}(-[0-9a-z]{4}){3}", c) for c in codes)
    stored = set(RecoveryCode.objects.filter(user=alice).values_list("digest", flat=True))
    assert len(stored) == 10 and not {c.replace("-", "") for c in codes} & stored and not set(codes) & stored
    assert TwoStep.objects.get(user=alice).secret == secret
    settings_page = _signed_in(alice).get("/accounts/settings/")
    assert b"On: logging in asks for a code" in settings_page.content


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_password_alone_no_longer_logs_in_the_code_does_and_the_session_key_changes(alice, enrolled):
    secret, _ = enrolled
    client = Client()
    client.get("/accounts/login/")
    first = password_step(client, next_url="/history/")
    assert first.status_code == 302 and first["Location"] == "/accounts/login/code/"
    assert client.get("/history/").status_code == 302  # not signed in yet
    anonymous_key = client.session.session_key
    assert client.post("/accounts/login/code/", {"code": "123456"}).status_code == 422
    done = client.post("/accounts/login/code/", {"code": fresh_code(alice, secret)})
    assert done.status_code == 302 and done["Location"] == "/history/"
    assert client.get("/history/").status_code == 200
    assert client.session.session_key != anonymous_key
    assert PENDING not in client.session


def test_a_code_works_once(alice, enrolled):
    secret, _ = enrolled
    code = fresh_code(alice, secret)
    first = Client()
    password_step(first)
    assert first.post("/accounts/login/code/", {"code": code}).status_code == 302
    second = Client()
    password_step(second)
    replay = second.post("/accounts/login/code/", {"code": code})
    assert replay.status_code == 422 and b"already used" in replay.content


def test_a_recovery_code_logs_in_once_however_it_is_typed(alice, enrolled):
    _, codes = enrolled
    client = Client()
    password_step(client)
    typed = " " + codes[3].upper().replace("-", " ") + " "
    assert client.post("/accounts/login/code/", {"code": typed}).status_code == 302
    again = Client()
    password_step(again)
    assert again.post("/accounts/login/code/", {"code": codes[3]}).status_code == 422
    assert RecoveryCode.objects.filter(user=alice, used_at__isnull=True).count() == 9
    page = _signed_in(alice).get("/accounts/two-step/")
    assert b"Recovery codes left: <strong>9</strong>" in page.content


def test_wrong_codes_count_as_failed_log_ins_and_five_send_the_person_back_to_the_password(alice, enrolled):
    client = Client()
    password_step(client)
    for _ in range(4):
        assert client.post("/accounts/login/code/", {"code": "000000"}).status_code == 422
    fifth = client.post("/accounts/login/code/", {"code": "000000"})
    assert fifth.status_code == 302 and fifth["Location"] == "/accounts/login/"
    assert b"Too many wrong codes" in client.get("/accounts/login/").content
    assert client.get("/accounts/login/code/")["Location"] == "/accounts/login/"
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 5


def test_wrong_codes_lock_the_account_like_wrong_passwords(alice, enrolled, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    password_step(client)
    client.post("/accounts/login/code/", {"code": "000000"})
    client.post("/accounts/login/code/", {"code": "000000"})
    assert client.post("/accounts/login/code/", {"code": "000000"}).status_code == 429
    secret, _ = enrolled
    assert client.post("/accounts/login/code/", {"code": fresh_code(alice, secret)}).status_code == 429


def test_the_code_step_expires(alice, enrolled):
    secret, _ = enrolled
    client = Client()
    password_step(client)
    session = client.session
    session[PENDING] = {**session[PENDING], "at": session[PENDING]["at"] - 301}
    session.save()
    late = client.post("/accounts/login/code/", {"code": fresh_code(alice, secret)})
    assert late.status_code == 302 and late["Location"] == "/accounts/login/"
    assert client.get("/history/").status_code == 302


def test_an_api_token_needs_the_code(alice, enrolled):
    secret, codes = enrolled
    api = Api()
    missing = api.post("/api/v1/auth/token", {"username": "alice", "password": PASSWORD})
    assert missing.status_code == 401 and "two-step verification" in missing.json()["detail"]
    wrong = api.post("/api/v1/auth/token", {"username": "alice", "password": PASSWORD, "code": "000000"})
    assert wrong.status_code == 401
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 2
    ok = api.post("/api/v1/auth/token", {"username": "alice", "password": PASSWORD, "code": fresh_code(alice, secret)})
    assert ok.status_code == 201
    by_recovery = api.post("/api/v1/auth/token", {"username": "alice", "password": PASSWORD, "code": codes[0]})
    assert by_recovery.status_code == 201
    # The wrong password still gets the plain answer: the code step says nothing before the password is right.
    bad = api.post("/api/v1/auth/token", {"username": "alice", "password": "wrong one", "code": codes[1]})
    assert bad.json() == {"detail": "Invalid username or password."}


def test_password_change_token_creation_and_erasure_ask_for_the_code(alice, enrolled):
    secret, _ = enrolled
    client = _signed_in(alice)
    new = "a different long passphrase"
    change = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    assert b'name="code"' in client.get("/accounts/password/").content
    refused = client.post("/accounts/password/", {**change, "code": "000000"})
    assert refused.status_code == 422 and b"already used" in refused.content
    assert get_user_model().objects.get(pk=alice.pk).check_password(PASSWORD)
    assert client.post("/accounts/password/", {**change, "code": fresh_code(alice, secret)}).status_code == 302
    assert get_user_model().objects.get(pk=alice.pk).check_password(new)

    no_code = client.post("/accounts/tokens/", {"name": "phone", "expires": ""})
    assert no_code.status_code == 422 and not ApiToken.objects.filter(user=alice).exists()
    made = client.post("/accounts/tokens/", {"name": "phone", "expires": "", "code": fresh_code(alice, secret)})
    assert made.status_code == 200 and ApiToken.objects.filter(user=alice).count() == 1

    kept = client.post("/accounts/delete/", {"password": new, "code": "000000"})
    assert kept.status_code == 422 and b"Nothing was deleted" in kept.content
    assert client.post("/accounts/delete/", {"password": new, "code": fresh_code(alice, secret)}).status_code == 200
    assert not get_user_model().objects.filter(pk=alice.pk).exists()
    assert not TwoStep.objects.exists() and not RecoveryCode.objects.exists()


def test_turning_it_off_needs_the_password_and_a_code_and_new_recovery_codes_a_code(alice, enrolled):
    secret, codes = enrolled
    client = _signed_in(alice)
    renewed = client.post("/accounts/two-step/", {"action": "codes", "code": fresh_code(alice, secret)})
    new_codes = re.findall(r"<li><code>([0-9a-z-]+)</code></li>", renewed.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    no_password = client.post("/accounts/two-step/", {"action": "disable", "password": "x", "code": new_codes[0]})
    assert no_password.status_code == 422 and TwoStep.objects.exists()
    old_code = client.post("/accounts/two-step/", {"action": "disable", "password": PASSWORD, "code": codes[0]})
    assert old_code.status_code == 422 and TwoStep.objects.exists()
    off = client.post("/accounts/two-step/", {"action": "disable", "password": PASSWORD, "code": new_codes[0]})
    assert off.status_code == 302
    assert not TwoStep.objects.exists() and not RecoveryCode.objects.exists()
    assert password_step(Client()).status_code == 302  # the password alone again
