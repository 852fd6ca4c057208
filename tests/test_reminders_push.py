"""Web Push reminders, up to the push request: a real HTTP server in the test stands in for the push service and
receives the encrypted POST, which is decrypted here with the browser's keys (RFC 8291) and its VAPID signature
checked (RFC 8292). Nothing in the app is replaced."""

from __future__ import annotations

import base64
import json
import os
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command
from django.test import Client
from py_vapid import Vapid02

from shotlee.reminders.models import PushSubscription, ReminderSetting, SentReminder
from tests.conftest import make_protocol


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


class PushService:
    """A push service on the loopback: records each request, answers with the next status queued (201 by default)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                service.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(service.statuses.pop(0) if service.statuses else 201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PushService:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class Browser:
    """What a browser's PushManager holds for one subscription: its P-256 key pair and auth secret."""

    def __init__(self, endpoint: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = endpoint

    def subscription(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64url(point(self.key)), "auth": b64url(self.auth)}}

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


@pytest.fixture
def service(settings):
    server_key = ec.generate_private_key(ec.SECP256R1())
    settings.VAPID_PUBLIC_KEY = b64url(point(server_key))
    settings.VAPID_PRIVATE_KEY = b64url(server_key.private_numbers().private_value.to_bytes(32, "big"))
    settings.VAPID_SUBJECT = "mailto:ops@example.org"
    with PushService() as running:
        settings.PUSH_SERVICES = [running.origin]
        yield running


def subscribe(client: Client, body: object):
    return client.post("/reminders/push/subscribe/", json.dumps(body), content_type="application/json")


def due_protocol(api, name: str) -> dict:
    protocol = make_protocol(api, name=name)
    last = datetime.now(UTC) - timedelta(weeks=1, hours=1)
    response = api.post(
        "/api/v1/doses",
        {
            "protocol": protocol["id"],
            "amount": "0.25",
            "occurred_at": last.isoformat(),
            "acknowledge": ["class_overlap"],
        },
    )
    assert response.status_code == 201, response.content
    return protocol


def test_a_reminder_goes_to_the_push_service_encrypted_signed_and_once(alice, alice_api, service, settings):
    client = Client()
    client.force_login(alice)
    browser = Browser(service.origin + "/push/alice-phone")
    page = client.get("/accounts/settings/").content.decode()
    assert f'data-vapid-key="{settings.VAPID_PUBLIC_KEY}"' in page and "js/push.js" in page
    assert subscribe(client, browser.subscription()).status_code == 201
    assert subscribe(client, browser.subscription()).status_code == 201  # the same device again: one row
    assert PushSubscription.objects.filter(user=alice).count() == 1
    protocol = due_protocol(alice_api, "Sema")
    ReminderSetting.objects.create(user=alice, protocol_uid=protocol["id"], push=True)

    call_command("send_reminders", stdout=StringIO())
    call_command("send_reminders", stdout=StringIO())

    assert len(service.received) == 1
    path, headers, body = service.received[0]
    assert path == "/push/alice-phone"
    assert headers["ttl"] == str(12 * 3600)
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["authorization"].startswith("vapid t=")
    assert headers["authorization"].endswith(f",k={settings.VAPID_PUBLIC_KEY}")
    assert Vapid02.verify(headers["authorization"])  # signed by the server's VAPID key
    claims = json.loads(unb64url(headers["authorization"].split("t=")[1].split(",")[0].split(".")[1]))
    assert claims["aud"] == service.origin and claims["sub"] == "mailto:ops@example.org"
    message = browser.decrypt(body)
    assert message["title"] == "Dose due: Sema 0.25 mg"
    assert message["url"] == f"/doses/log/?protocol={protocol['id']}"
    assert SentReminder.objects.get(channel="push").sent_at is not None


def test_a_subscription_the_service_says_is_gone_is_deleted(alice, alice_api, service):
    client = Client()
    client.force_login(alice)
    browser = Browser(service.origin + "/push/old")
    assert subscribe(client, browser.subscription()).status_code == 201
    protocol = due_protocol(alice_api, "Sema")
    ReminderSetting.objects.create(user=alice, protocol_uid=protocol["id"], push=True)
    service.statuses.append(410)
    call_command("send_reminders", stdout=StringIO())
    assert len(service.received) == 1
    assert not PushSubscription.objects.filter(user=alice).exists()


def test_only_a_well_formed_subscription_on_a_known_push_service_is_kept(alice, service):
    client = Client()
    client.force_login(alice)
    good = Browser(service.origin + "/push/x").subscription()
    for body, field in [
        ({**good, "endpoint": "http://10.0.0.5:8080/admin"}, "endpoint"),  # the server's own network: never
        ({**good, "endpoint": "https://fcm.googleapis.com.evil.example/x"}, "endpoint"),
        ({**good, "keys": {"p256dh": "abc", "auth": good["keys"]["auth"]}}, "p256dh"),
        ({**good, "keys": {"p256dh": good["keys"]["p256dh"]}}, "auth"),
        ("not an object", "endpoint"),
    ]:
        response = subscribe(client, body)
        assert response.status_code == 422, body
        assert response.json()["field"] == field
    assert not PushSubscription.objects.exists()
    assert subscribe(client, good).status_code == 201
    gone = client.post(
        "/reminders/push/unsubscribe/", json.dumps({"endpoint": good["endpoint"]}), content_type="application/json"
    )
    assert gone.status_code == 204 and not PushSubscription.objects.exists()


def test_another_person_s_subscription_cannot_be_removed_and_without_keys_push_is_off(alice, bob, service, settings):
    alice_client, bob_client = Client(), Client()
    alice_client.force_login(alice)
    bob_client.force_login(bob)
    endpoint = service.origin + "/push/alice"
    assert subscribe(alice_client, Browser(endpoint).subscription()).status_code == 201
    answer = bob_client.post("/reminders/push/unsubscribe/", json.dumps({"endpoint": endpoint}), "application/json")
    assert answer.status_code == 404 and PushSubscription.objects.filter(user=alice).exists()
    settings.VAPID_PRIVATE_KEY = ""
    assert subscribe(alice_client, Browser(endpoint).subscription()).status_code == 409
    assert "js/push.js" not in alice_client.get("/accounts/settings/").content.decode()


def test_the_default_push_services_are_the_browsers_own(settings):
    from importlib import reload

    from shotlee import settings as defaults
    from shotlee.reminders.push import allowed_endpoint

    settings.PUSH_SERVICES = reload(defaults).PUSH_SERVICES
    assert allowed_endpoint("https://fcm.googleapis.com/fcm/send/abc")
    assert allowed_endpoint("https://updates.push.services.mozilla.com/wpush/v2/abc")
    assert allowed_endpoint("https://api.push.apple.com/3/push/abc")
    assert allowed_endpoint("https://wns2-by3p.notify.windows.com/w/?token=abc")
    for bad in [
        "http://fcm.googleapis.com/fcm/send/abc",  # not TLS
        "https://fcm.googleapis.com.evil.example/x",
        "https://evil.example/.push.apple.com",
        "https://user:pw@fcm.googleapis.com/x",
        "https://fcm.googleapis.com:8443/x",
        "https://127.0.0.1/x",
        "file:///etc/passwd",
    ]:
        assert not allowed_endpoint(bad), bad


def test_vapid_keys_prints_a_pair_that_belongs_together():
    from py_vapid import Vapid

    out = StringIO()
    call_command("vapid_keys", stdout=out)
    found = dict(line.split("=", 1) for line in out.getvalue().splitlines() if line.startswith("VAPID_"))
    key = Vapid.from_string(found["VAPID_PRIVATE_KEY"])
    assert b64url(point(key.private_key)) == found["VAPID_PUBLIC_KEY"]
