"""Verify against what you kept: does today's history still extend an export or a checkpoint saved earlier?

A hash chain cut short together with its checkpoints, or rewritten and
re-signed, still verifies on its own; a copy kept outside the server does not
match it. An export names the first missing or changed seq exactly (its hash
per seq against today's); a checkpoint alone proves its seq's hash, and today's
full verification narrows the place down when it can.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User

from shotlee.ledger.models import Entry, LedgerHead
from shotlee.ledger.verify import verify_user
from shotlee.lib import exportcheck, hashchain

CHUNK = 5000


@dataclass
class Comparison:
    ok: bool
    kept: int  # entries the saved copy covers
    today: int  # entries today
    first_bad_seq: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Unreadable(ValueError):
    """The upload is neither an export nor a checkpoint of this server (the message says which part is wrong)."""


def _today(user: User) -> int:
    head = LedgerHead.objects.filter(user=user).first()
    return head.seq if head else 0


def _first_difference(user: User, kept: list[str]) -> tuple[int, str] | None:
    """The first seq whose hash today differs from the kept one, or that is missing today (read in chunks)."""
    matched = 0
    while matched < len(kept):
        upper = min(matched + CHUNK, len(kept))
        rows = Entry.objects.filter(user=user, seq__gt=matched, seq__lte=upper).order_by("seq")
        for seq, digest in rows.values_list("seq", "hash"):
            if seq != matched + 1:
                return matched + 1, "missing"
            if digest != kept[matched]:
                return seq, "changed"
            matched = seq
        if matched < upper:
            return matched + 1, "missing"
    return None


def _with_today(user: User, result: Comparison) -> Comparison:
    """An agreement with the saved copy still needs today's chain to verify on its own."""
    if not result.ok:
        return result
    verdict = verify_user(user.pk)
    if not verdict.ok:
        return Comparison(False, result.kept, result.today, verdict.first_bad_seq, verdict.reason)
    return result


def compare_export(user: User, document: dict[str, Any]) -> Comparison:
    today = _today(user)
    if document["user"] != user.pk:
        raise Unreadable("this export belongs to another account")
    report = exportcheck.check(document, settings.LEDGER_KEY)
    if not report.ok:
        raise Unreadable(f"the file itself does not verify: entry #{report.first_bad_seq}: {report.reason}")
    found = _first_difference(user, report.hashes)
    if found is not None:
        seq, how = found
        if how == "missing":
            reason = f"entry #{seq} is missing today: the history was cut short after you saved this copy"
        else:
            reason = f"entry #{seq} has changed since you saved this copy"
        return Comparison(False, report.entries, today, seq, reason)
    return _with_today(user, Comparison(True, report.entries, today))


def compare_checkpoint(user: User, checkpoint: dict[str, Any]) -> Comparison:
    try:
        owner, seq = int(checkpoint["user"]), int(checkpoint["seq"])
        head_hash, signature = str(checkpoint["head_hash"]), str(checkpoint["signature"])
    except (KeyError, TypeError, ValueError):
        raise Unreadable("the checkpoint needs user, seq, head_hash and signature") from None
    if owner != user.pk:
        raise Unreadable("this checkpoint belongs to another account")
    if not hashchain.checkpoint_valid(settings.LEDGER_KEY, owner, seq, head_hash, signature):
        raise Unreadable("the checkpoint's signature is not valid: it was changed, or comes from another server")
    today = _today(user)
    if seq > today:
        reason = f"entry #{today + 1} is missing today: the history was cut short after #{today}"
        return Comparison(False, seq, today, today + 1, reason)
    row = Entry.objects.filter(user=user, seq=seq).values_list("hash", flat=True).first()
    if row != head_hash:
        verdict = verify_user(user.pk)
        at = verdict.first_bad_seq if not verdict.ok and (verdict.first_bad_seq or seq) <= seq else seq
        return Comparison(False, seq, today, at, f"the history up to entry #{seq} has changed since this checkpoint")
    return _with_today(user, Comparison(True, seq, today))


def compare_upload(user: User, raw: bytes) -> Comparison:
    """Read an uploaded export, checkpoint, or GET /api/v1/ledger answer and compare it with today's history."""
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Unreadable("the file is not JSON: upload an export (.json) or a saved checkpoint") from None
    if isinstance(document, dict) and document.get("format") == exportcheck.FORMAT:
        try:
            return compare_export(user, exportcheck.load(raw))
        except exportcheck.NotAnExport as exc:
            raise Unreadable(str(exc)) from None
    if isinstance(document, dict) and isinstance(document.get("checkpoint"), dict):
        document = document["checkpoint"]  # a saved GET /api/v1/ledger answer
    if isinstance(document, dict) and "signature" in document:
        return compare_checkpoint(user, document)
    raise Unreadable("the file is neither a Shotlee export nor a saved checkpoint")
