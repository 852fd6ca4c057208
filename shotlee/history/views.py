"""The whole record, of every kind: the history page, the full check, and voiding or correcting any record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django import forms
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shotlee.accounts.http import SignedIn
from shotlee.ledger import kinds, reads, records
from shotlee.ledger.guard import missing_triggers
from shotlee.ledger.models import Checkpoint, Entry, LedgerHead
from shotlee.ledger.verify import verify_user, verify_window
from shotlee.lib import rules
from shotlee.protocols.models import Protocol
from shotlee.web.forms import FieldErrors, PageForm, status, submit

PAGE = 25
# What the diary can be narrowed to (the kinds a person records; a void is a mark, not a line).
DIARY_KINDS = {"dose": "Doses", "side_effect": "Side effects", "metric": "Readings", "protocol": "Protocol changes"}


WHEN = "%a %-d %b %Y, %H:%M"
ANY_UID = "00000000-0000-0000-0000-000000000000"


def _item(
    entry: Entry, replacement: tuple[int, str] | None, tz: Any, preferences: dict[str, str], correct_url: str
) -> dict[str, Any]:
    """One entry as the page shows it, every value ready as text (the template only places them)."""
    kind = kinds.get(entry.kind)
    data = entry.data
    return {
        "seq": str(entry.seq),
        "kind": entry.kind,
        "summary": kind.summary(entry, preferences),
        "iso": entry.occurred_at.isoformat(),
        "when": entry.occurred_at.astimezone(tz).strftime(WHEN),
        "recorded": entry.recorded_at.astimezone(tz).strftime(WHEN),
        "backdated": (entry.recorded_at - entry.occurred_at).total_seconds() > 600,
        "corrects": str(entry.target_seq) if entry.target_seq and entry.kind != kinds.VOID else "",
        "reason": data.get("reason", "") if entry.kind != kinds.VOID else "",
        "note": data.get("note", ""),
        "acks": [{**w, "label": rules.LABELS.get(w["code"], w["code"])} for w in data.get("acknowledged", [])],
        "replaced_by": str(replacement[0]) if replacement else "",
        "voided": replacement is not None and replacement[1] == kinds.VOID,
        "correct_url": correct_url.replace(ANY_UID, str(entry.uid)) if kind.correctable and not replacement else "",
    }


def _diary_item(
    entry: Entry, voided: bool, tz: Any, preferences: dict[str, str], correct_url: str, names: dict[str, str]
) -> dict[str, Any]:
    """One line of the diary: what happened, when, at its latest values; the trail behind its marks."""
    kind = kinds.get(entry.kind)
    data = entry.data
    return {
        "seq": str(entry.seq),
        "uid": str(entry.uid),
        "kind": entry.kind,
        "summary": kind.summary(entry, preferences),
        "iso": entry.occurred_at.isoformat(),
        "when": entry.occurred_at.astimezone(tz).strftime(WHEN),
        "protocol": names.get(str(entry.subject), "") if entry.kind != "protocol" else "",
        "corrected": bool(entry.target_seq),
        "voided": voided,
        "trail": f"?before={entry.seq + 1}#entry-{entry.seq}",
        "original": f"?before={entry.target_seq + 1}#entry-{entry.target_seq}" if entry.target_seq else "",
        "reason": data.get("reason", ""),
        "note": data.get("note", ""),
        "acks": [{**w, "label": rules.LABELS.get(w["code"], w["code"])} for w in data.get("acknowledged", [])],
        "correct_url": correct_url.replace(ANY_UID, str(entry.uid)) if kind.correctable and not voided else "",
    }


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def _cursor(raw: str) -> tuple[datetime, int] | None:
    """The "Earlier" link's cursor, "<microseconds since 1970>.<seq>" (negative before 1970); anything else is the
    first page."""
    at, _, seq = raw.partition(".")
    digits = at.removeprefix("-")
    if not (digits.isascii() and digits.isdigit() and seq.isascii() and seq.isdigit()):
        return None
    if len(digits) > 18 or len(seq) > 18:
        return None
    try:
        return EPOCH + int(at) * MICROSECOND, int(seq)
    except OverflowError:
        return None


def _cursor_of(entry: Entry) -> str:
    return f"{(entry.occurred_at - EPOCH) // MICROSECOND}.{entry.seq}"


def history(request: SignedIn) -> HttpResponse:
    """The person's history as a diary (each record once, at its latest values, filterable by kind and protocol),
    and behind "details" the record as stored: keyset-paginated on seq, each entry's hash checked, so the page
    costs the same at 100 or 100,000 entries."""
    profile = request.profile
    before = request.GET.get("before", "")
    # Only what the "Older entries" link makes: ASCII digits that fit the database's 64-bit integer.
    valid = before.isascii() and before.isdigit() and len(before) <= 18
    head, rows = reads.history_page(request.user.pk, int(before) if valid else None, PAGE)
    page = [entry for entry, _, _ in rows]
    signed = {entry.seq: checkpoint for entry, checkpoint, _ in rows if checkpoint is not None}
    correct_url = reverse("history:correct", args=[ANY_UID])
    # Check what is shown: each entry's hash, links and signed checkpoints, and that page one ends at the head.
    page_ok = verify_window(request.user.pk, page[::-1], signed=signed)
    if page and not valid and (page[0].seq != head.seq or page[0].hash != head.head_hash):
        page_ok = False
    protocols = {str(uid): name for uid, name in Protocol.objects.for_user(request.user).values_list("uid", "name")}
    kind = request.GET.get("kind", "")
    kind = kind if kind in DIARY_KINDS else ""
    chosen = request.GET.get("protocol", "")
    chosen = chosen if chosen in protocols else ""
    after = _cursor(request.GET.get("earlier", ""))
    diary = reads.diary_page(
        request.user.pk, after=after, limit=PAGE + 1, kind=kind, subject=UUID(chosen) if chosen else None
    )
    filters = {k: v for k, v in (("kind", kind), ("protocol", chosen)) if v}
    context = {
        "diary": [
            _diary_item(e, voided, profile.tz, profile.preferred_units, correct_url, protocols)
            for e, voided in diary[:PAGE]
        ],
        "earlier": urlencode({**filters, "earlier": _cursor_of(diary[PAGE - 1][0])}) if len(diary) > PAGE else "",
        "kinds": [(name, DIARY_KINDS[name]) for name in DIARY_KINDS],
        "kind": kind,
        "protocols": sorted(protocols.items(), key=lambda p: p[1].casefold()),
        "chosen": chosen,
        "filtered": bool(filters),
        "record_open": valid,
        "items": [_item(e, replaced, profile.tz, profile.preferred_units, correct_url) for e, _, replaced in rows],
        "head": head,
        "page_ok": page_ok,
        "older": page[-1].seq if page and page[-1].seq > 1 else None,
        "recorded": request.GET.get("recorded") == "1",
        "backfilled": request.GET.get("backfilled", ""),
    }
    return render(request, "history/history.html", context)


@require_POST
def verify_chain(request: SignedIn) -> HttpResponse:
    verdict = verify_user(request.user.pk)
    unprotected = bool(missing_triggers(fresh=True))
    context = {"verdict": verdict, "unprotected": unprotected, "checked_at": timezone.now()}
    return render(request, "history/verify_result.html", context)


@require_GET
def checkpoint(request: SignedIn) -> HttpResponse:
    """The signed checkpoint of the chain head, as a file to keep elsewhere: the server's signature on "this
    record had this fingerprint at entry N". `manage.py verify_ledger --checkpoints FILE` checks a kept one."""
    head = LedgerHead.objects.get(user_id=request.user.pk)
    signed = Checkpoint.objects.filter(user_id=request.user.pk, seq=head.seq).first()
    if signed is None:
        raise Http404
    response = JsonResponse([signed.as_dict()], safe=False, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="shotlee-checkpoint-{signed.seq}.json"'
    return response


class CorrectionChoice(PageForm):
    action = forms.ChoiceField(label="What happened?", choices=[("void", "void"), ("correct", "correct")])
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        error_messages={"required": "Say why, so the record explains itself later."},
    )


@require_http_methods(["GET", "POST"])
def correct(request: SignedIn, uid: UUID) -> HttpResponse:
    """Void any correctable record ("entered in error"), or correct it with the form its kind provides."""
    target = get_object_or_404(Entry.objects.for_user(request.user), uid=uid)
    kind = kinds.get(target.kind)
    if not kind.correctable:
        raise Http404
    tz = request.profile.tz
    corrector = kind.corrector
    initial = corrector.initial(target, tz) if corrector else {"action": "void"}
    post = request.POST if request.method == "POST" else None
    choice = CorrectionChoice(post, initial={"action": initial["action"]}, tz=tz)
    details = corrector.form(post, initial=initial, tz=tz) if corrector else None
    warnings: list[dict[str, str]] = []
    if post is not None and choice.is_valid():
        action, reason = choice.cleaned_data["action"], choice.cleaned_data["reason"].strip()
        if action == "void":
            outcome, warnings = submit(choice, lambda: records.void_entry(request.user, uid, reason))
        elif details is not None and details.is_valid():
            changes = details.changes()
            outcome, warnings = submit(
                details,
                lambda: corrector.correct(request.user, uid, changes, reason, tz=tz),  # type: ignore[union-attr]
            )
        else:
            outcome = None
        if outcome is not None:
            return redirect(corrector.done if corrector else "history:list")
    shown = {**initial, **(post.dict() if post is not None else {})}
    errors = FieldErrors.merged(
        choice.messages, *([details.messages] if details is not None and details.is_bound else [])
    )
    context = {
        "target": target,
        "kind": kind,
        "summary": kind.summary(target, request.profile.preferred_units),
        "when": target.occurred_at.astimezone(tz),
        "fields": _fields(details, shown, errors) if details is not None else [],
        "values": shown,
        "errors": errors,
        "warnings": warnings,
    }
    forms_shown = [choice] + ([details] if details is not None else [])
    code = 409 if warnings else max(status(f, []) for f in forms_shown)
    return render(request, "history/correct.html", context, status=code)


def _fields(form: forms.Form, values: dict[str, Any], errors: dict[str, str]) -> list[dict[str, str]]:
    """The correction form's fields as the page draws them."""
    fields = []
    for name, field in form.fields.items():
        if isinstance(field, forms.MultipleChoiceField):
            continue  # acknowledged warnings travel as hidden inputs
        widget = field.widget
        kind = "textarea" if isinstance(widget, forms.Textarea) else widget.attrs.get("type", "text")
        fields.append(
            {
                "name": name,
                "label": str(field.label or name),
                "value": str(values.get(name) or ""),
                "error": errors.get(name, ""),
                "type": "datetime" if kind == "datetime-local" else kind,
                "inputmode": "decimal" if name in ("amount", "value", "value2") else "",
            }
        )
    return fields
