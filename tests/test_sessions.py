"""T36: a new session key at log-in, log-out ends the session, the inactivity timeout and the absolute lifetime, and a
password reset ends other sessions and tokens (a password change: tests/test_account_lifecycle.py)."""

from __future__ import annotations

import time

from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from shotlee.accounts.middleware import LAST_SEEN, LOGGED_IN_AT
from shotlee.accounts.services import issue_token
from tests.conftest import PASSWORD, Api


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shift(client: Client, **seconds_back: int) -> None:
    session = client.session
    for key, back in seconds_back.items():
        session[key] = session[key] - back
    session.save()


def test_logging_in_gives_a_new_session_key_and_the_old_one_dies(alice):
    client = Client()
    session = client.session
    session["before"] = "anonymous"
    session.save()
    before = session.session_key
    assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    after = client.session.session_key
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert client.get("/history/").status_code == 200


def test_log_out_ends_the_session_on_the_server(alice):
    client = signed_in(alice)
    key = client.session.session_key
    assert client.post("/accounts/logout/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies["sessionid"] = key  # the old cookie, kept by someone
    assert replay.get("/history/").status_code == 302


def test_a_session_ends_after_the_idle_time_and_says_why(alice, settings):
    client = signed_in(alice)
    idle = settings.SESSION_IDLE_MINUTES * 60
    shift(client, **{LAST_SEEN: idle - 60})
    assert client.get("/history/").status_code == 200  # still inside the idle time: and it counts as activity
    shift(client, **{LAST_SEEN: idle + 1})
    response = client.get("/history/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert b"logged out after a while without activity" in client.get(response["Location"]).content
    assert client.get("/history/").status_code == 302


def test_a_session_ends_at_its_absolute_lifetime_however_active(alice, settings):
    client = signed_in(alice)
    shift(client, **{LOGGED_IN_AT: settings.SESSION_COOKIE_AGE + 1})
    response = client.get("/history/")
    assert response.status_code == 302
    assert b"reached its time limit" in client.get(response["Location"]).content


def test_activity_is_written_at_most_once_a_minute(alice):
    client = signed_in(alice)
    key = client.session.session_key
    client.get("/history/")
    stored = Session.objects.get(session_key=key).session_data
    client.get("/history/")
    client.get("/protocols/")
    assert Session.objects.get(session_key=key).session_data == stored  # no write per request
    shift(client, **{LAST_SEEN: 61})
    client.get("/history/")
    assert abs(client.session[LAST_SEEN] - time.time()) < 5


def test_the_defaults_are_twelve_idle_hours_and_fourteen_days(settings):
    from shotlee import settings as defaults

    assert defaults.SESSION_IDLE_MINUTES == 12 * 60
    assert defaults.SESSION_COOKIE_AGE == 14 * 24 * 3600


def test_a_password_reset_ends_every_session_and_token(alice):
    elsewhere = signed_in(alice)
    token = Api(issue_token(alice, "script"))
    uid = urlsafe_base64_encode(force_bytes(alice.pk))
    link = f"/accounts/password/reset/{uid}/{default_token_generator.make_token(alice)}/"
    client = Client()
    form = client.get(link, follow=True)
    new = "a brand new long passphrase"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert elsewhere.get("/history/").status_code == 302
    assert token.get("/api/v1/doses").status_code == 401
