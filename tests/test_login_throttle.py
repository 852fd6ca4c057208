"""T38: log-in lockout per account and per address, the same answer for unknown and known usernames, the admin's
log-in, and the bound on password checks running at once."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client

from shotlee.accounts.throttle import password_slot
from tests.conftest import PASSWORD, Api

WRONG = "not the password at all"


def api_login(username: str, password: str, ip: str = "10.0.0.1"):
    return Api().client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


def web_login(username: str, password: str, ip: str = "10.0.0.1", client: Client | None = None):
    return (client or Client()).post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_an_account_locks_after_the_limit_with_the_same_answer_for_unknown_names(alice, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = settings.AXES_FAILURE_LIMIT = 4
    for n in range(3):
        known, unknown = api_login("alice", WRONG, ip=f"10.1.0.{n}"), api_login("nobody", WRONG, ip=f"10.2.0.{n}")
        assert known.status_code == unknown.status_code == 401
        assert known.json() == unknown.json() == {"detail": "Invalid username or password."}
    # The fourth failure reaches the limit: both get 429, the same message, and Retry-After of the cool-off.
    known, unknown = api_login("alice", WRONG, ip="10.1.0.9"), api_login("nobody", WRONG, ip="10.2.0.9")
    assert known.status_code == unknown.status_code == 429
    assert known.json() == unknown.json()
    assert "Wait 15 minutes" in known.json()["detail"]
    assert known["Retry-After"] == unknown["Retry-After"] == str(15 * 60)
    # Locked: even the right password, from yet another address, is refused, and the page says the same.
    assert api_login("alice", PASSWORD, ip="10.3.0.1").status_code == 429
    page = web_login("alice", PASSWORD, ip="10.3.0.2")
    assert page.status_code == 429 and b"Too many failed log-ins" in page.content
    assert page["Retry-After"] == str(15 * 60)


def test_the_lock_lifts_after_the_cool_off(alice, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        api_login("alice", WRONG)
    assert api_login("alice", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))
    assert api_login("alice", PASSWORD).status_code == 201
    assert api_login("alice", WRONG).status_code == 401  # old failures no longer count towards the next lock


def test_one_address_trying_many_names_is_stopped_at_its_own_higher_limit(alice, bob, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURES_PER_IP = 8
    answers = [api_login(f"user{n}", WRONG, ip="10.9.9.9").status_code for n in range(8)]
    assert answers == [401] * 7 + [429]  # two tries per name would never reach the account limit
    assert api_login("bob", PASSWORD, ip="10.9.9.9").status_code == 429  # the address is paused, for everyone
    assert api_login("bob", PASSWORD, ip="10.9.9.10").status_code == 201  # other addresses are not


def test_behind_a_proxy_the_forwarded_address_counts_and_a_client_cannot_pick_it(alice, settings):
    settings.PROXY_COUNT = 1
    settings.LOGIN_FAILURES_PER_ACCOUNT = settings.AXES_FAILURE_LIMIT = 50
    settings.LOGIN_FAILURES_PER_IP = 3
    for n in range(3):  # the client adds made-up addresses in front; the proxy appends the real one
        Api().client.post(
            "/api/v1/auth/token",
            {"username": f"u{n}", "password": WRONG},
            content_type="application/json",
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.7",
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    again = Api().client.post(
        "/api/v1/auth/token",
        {"username": "alice", "password": PASSWORD},
        content_type="application/json",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    assert again.status_code == 429


def test_the_web_log_in_counts_failures_and_says_the_same_for_unknown_names(alice, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = settings.AXES_FAILURE_LIMIT = 3
    known, unknown = web_login("alice", WRONG), web_login("nobody", WRONG, ip="10.5.5.5")
    assert known.status_code == unknown.status_code == 200
    message = b"Your username and password did not match"
    assert message in known.content and message in unknown.content
    web_login("alice", WRONG)
    assert web_login("alice", WRONG).status_code == 429
    assert AccessAttempt.objects.filter(username="alice").get().failures_since_start == 3


def test_the_admin_logs_in_through_the_site_s_log_in(alice, settings):
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    # A password posted to the admin's address is not checked there: no second way in to guess through.
    client = Client()
    posted = client.post("/admin/login/", {"username": "alice", "password": PASSWORD})
    assert posted.status_code == 302 and "_auth_user_id" not in client.session
    assert Client().get("/admin/login/?next=https://evil.example/").headers["Location"] == "/accounts/login/"


def test_a_log_in_that_cannot_get_a_password_slot_gets_503_with_retry_after(alice, settings):
    settings.PASSWORD_CHECKS_PER_PROCESS = 1
    settings.PASSWORD_CHECK_WAIT_MS = 50
    with password_slot():  # another log-in holds the only slot
        api = api_login("alice", PASSWORD)
        page = web_login("alice", PASSWORD)
    assert api.status_code == page.status_code == 503
    assert api["Retry-After"] == page["Retry-After"] == "1"
    assert "busy" in api.json()["detail"]
    assert not AccessAttempt.objects.exists()  # not the person's fault: no failure counted
    assert api_login("alice", PASSWORD).status_code == 201  # the slot is free again


@pytest.mark.argon2
def test_unknown_and_known_usernames_take_the_same_time(alice):
    """Django's backend hashes the password for an unknown username too: the medians are within a small factor."""
    known, unknown = [], []
    for n in range(7):  # alternated, so drift on a shared machine hits both alike
        for name, times in (("alice", known), ("nobody", unknown)):
            started = time.perf_counter()
            assert api_login(name, WRONG, ip=f"10.7.{n}.{len(times)}").status_code in (401, 429)
            times.append(time.perf_counter() - started)
    AccessAttempt.objects.all().delete()
    ratio = statistics.median(unknown) / statistics.median(known)
    print(f"median wrong log-in: known {statistics.median(known) * 1000:.0f} ms, unknown "
          f"{statistics.median(unknown) * 1000:.0f} ms, ratio {ratio:.2f}")  # fmt: skip
    assert 0.67 < ratio < 1.5
