"""Web Push: a browser's subscription, checked before it is kept, and one encrypted message to it (pywebpush).

The server POSTs to whatever endpoint a browser hands it, so an endpoint must be on one of the push services in
`PUSH_SERVICES` (origins), carry no user name or password, and the request follows no redirect: a subscription
cannot make the server call an address of its own network. The message is encrypted for the browser
(aes128gcm, RFC 8291); the push service sees only its size.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings

from shotlee.reminders.models import PushSubscription

TIMEOUT_SECONDS = 10
MAX_PER_USER = 20  # devices; the oldest goes when a 21st subscribes


def configured() -> bool:
    return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY and settings.VAPID_SUBJECT)


class BadSubscription(ValueError):
    """The subscription cannot be kept; `field` names the part as the Push API names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _key(value: Any, field: str, length: int) -> str:
    if not isinstance(value, str) or not value or len(value) > 200:
        raise BadSubscription(field, f"The browser's {field} key is missing.")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise BadSubscription(field, f"The browser's {field} key is not base64url text.") from None
    if len(raw) != length:
        raise BadSubscription(field, f"The browser's {field} key should be {length} bytes, not {len(raw)}.")
    return value


def allowed_endpoint(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
        return False
    try:
        port = parts.port
    except ValueError:
        return False
    origin = f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")
    return any(fnmatch.fnmatchcase(origin, pattern) for pattern in settings.PUSH_SERVICES)


@dataclass(frozen=True)
class Subscription:
    endpoint: str
    p256dh: str
    auth: str


def parse(body: Any) -> Subscription:
    """`PushSubscription.toJSON()` as the browser sends it: {"endpoint", "keys": {"p256dh", "auth"}}."""
    if not isinstance(body, dict):
        raise BadSubscription("endpoint", "Send the browser's subscription as a JSON object.")
    endpoint = body.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > 2000:
        raise BadSubscription("endpoint", "The subscription's endpoint is missing or too long.")
    if not allowed_endpoint(endpoint):
        raise BadSubscription("endpoint", "The subscription's endpoint is not a push service this server sends to.")
    given = body.get("keys")
    keys: dict[str, Any] = given if isinstance(given, dict) else {}
    return Subscription(endpoint, _key(keys.get("p256dh"), "p256dh", 65), _key(keys.get("auth"), "auth", 16))


def keep(user_id: int, subscription: Subscription) -> PushSubscription:
    """Store (or refresh) the subscription; past MAX_PER_USER the oldest goes."""
    row, _ = PushSubscription.objects.update_or_create(
        user_id=user_id,
        endpoint=subscription.endpoint,
        defaults={"p256dh": subscription.p256dh, "auth": subscription.auth},
    )
    ids = list(
        PushSubscription.objects.filter(user_id=user_id).order_by("-created_at", "-pk").values_list("pk", flat=True)
    )
    if len(ids) > MAX_PER_USER:
        PushSubscription.objects.filter(user_id=user_id, pk__in=ids[MAX_PER_USER:]).delete()
    return row


class Gone(Exception):
    """The push service no longer knows the subscription (404 or 410): it is deleted."""


def send(subscription: PushSubscription, payload: dict[str, Any], ttl_seconds: int) -> None:
    """One encrypted message; raises Gone when the subscription has expired, another exception on failure."""
    from pywebpush import WebPushException, webpush  # imported here: only a server with VAPID keys needs it

    if not allowed_endpoint(subscription.endpoint):  # the list may have changed since it was kept
        raise Gone(subscription.endpoint)
    session = requests.Session()
    session.max_redirects = 0
    try:
        webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=json.dumps(payload, ensure_ascii=False),
            vapid_private_key=settings.VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            ttl=ttl_seconds,
            timeout=TIMEOUT_SECONDS,
            headers={"Urgency": "normal"},
            requests_session=session,
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (404, 410):
            PushSubscription.objects.filter(user_id=subscription.user_id, pk=subscription.pk).delete()
            raise Gone(subscription.endpoint) from None
        raise
    finally:
        session.close()
