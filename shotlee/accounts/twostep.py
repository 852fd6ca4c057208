"""Two-step verification: an authenticator app's codes (TOTP with pyotp) and one-time recovery codes.

Optional per person. Once on, it is asked for after the password at log-in, and with the password to change
the password, create an API token, erase the account or turn it off. A code is accepted once: the step of the
last accepted authenticator code is kept (`TwoStep.last_step`), a recovery code is marked used.
"""

from __future__ import annotations

import hashlib
import secrets

import pyotp
import segno
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from pyotp.utils import strings_equal

from shotlee.accounts import events
from shotlee.accounts.models import RecoveryCode, TwoStep

VALID_WINDOW = 1  # the step before and after the current one: 30 s of clock drift either way
RECOVERY_CODES = 10
# Crockford's base32: no i, l, o or u to misread. 16 characters are 80 random bits.
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_READ_AS = str.maketrans({"i": "1", "l": "1", "o": "0"})


def is_on(user: User) -> bool:
    return TwoStep.objects.filter(user=user).exists()


def new_secret() -> str:
    return pyotp.random_base32()  # 32 characters: 160 bits, as RFC 4226 recommends


def setup_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=settings.TOTP_ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (no image file, no script)."""
    return str(segno.make(uri, error="m").svg_inline(scale=5, border=4, title="QR code for your authenticator app"))


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it in by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _step_of(secret: str, code: str) -> int | None:
    code = "".join(code.split())
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = timezone.now().timestamp()
    step = int(totp.timecode(now))
    for candidate in (step, *range(step - VALID_WINDOW, step), *range(step + 1, step + VALID_WINDOW + 1)):
        if strings_equal(totp.generate_otp(candidate), code):
            return int(candidate)
    return None


def code_matches_secret(secret: str, code: str) -> bool:
    """For enrolment, before anything is stored: does the code come from this secret now?"""
    return _step_of(secret, code) is not None


def _normalised(code: str) -> str:
    return "".join(ch for ch in code.lower().translate(_READ_AS) if ch.isalnum())


def _digest(code: str) -> str:
    return hashlib.sha256(b"shotlee-recovery\x00" + _normalised(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _replace_recovery_codes(user: User) -> list[str]:
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, digest=_digest(code)) for code in codes)
    return codes


def turn_on(user: User, secret: str, code: str) -> list[str] | None:
    """Store the authenticator once a code from it checks; the new recovery codes (shown once), or None."""
    step = _step_of(secret, code)
    if step is None:
        return None
    with transaction.atomic():
        TwoStep.objects.update_or_create(user=user, defaults={"secret": secret, "last_step": step})
        codes = _replace_recovery_codes(user)
    events.event("twostep.enabled", actor=user.pk)
    return codes


def new_recovery_codes(user: User) -> list[str]:
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
    events.event("twostep.recovery_codes_replaced", actor=user.pk)
    return codes


def turn_off(user: User) -> None:
    with transaction.atomic():
        TwoStep.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
    events.event("twostep.disabled", actor=user.pk)


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def check(user: User, code: str) -> bool:
    """Is `code` a current authenticator code not used before, or an unused recovery code? Uses it up if so."""
    code = (code or "").strip()
    if not code or len(code) > 64:
        return False
    device = TwoStep.objects.filter(user=user).first()
    if device is None:
        return False
    step = _step_of(device.secret, code)
    if step is not None:
        # Only a later step than the last one accepted: a replayed code (or an older one) fails.
        return TwoStep.objects.filter(pk=device.pk, user=user, last_step__lt=step).update(last_step=step) == 1
    used = RecoveryCode.objects.filter(user=user, digest=_digest(code), used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if used:
        events.event("twostep.recovery_code_used", actor=user.pk)
    return used == 1
