from __future__ import annotations

from django.http import JsonResponse
from ninja import Field, Query, Router

from shotlee.accounts.http import ApiCall
from shotlee.api.common import Input
from shotlee.ledger.guard import missing_triggers
from shotlee.ledger.models import Checkpoint, Entry, LedgerHead
from shotlee.ledger.records import entry_body, superseding
from shotlee.ledger.verify import verify_user

router = Router(tags=["ledger"])


class LedgerFilters(Input):
    after: int = Field(0, ge=0)
    limit: int = Field(100, ge=1, le=1000)


@router.get("", response=dict)
def ledger(request: ApiCall, filters: Query[LedgerFilters]) -> JsonResponse:
    """Every record in chain order with seq, prev_hash and hash, and the latest signed checkpoint."""
    user = request.auth
    page = list(Entry.objects.for_user(user).filter(seq__gt=filters.after).order_by("seq")[: filters.limit])
    replaced = superseding(user, page)
    head = LedgerHead.objects.get(user=user)
    checkpoint = Checkpoint.objects.filter(user=user, seq=head.seq).first()
    more = bool(page) and page[-1].seq < head.seq
    return JsonResponse(
        {
            "items": [entry_body(e, superseded_by=replaced.get(e.seq)) for e in page],
            "head": {"seq": head.seq, "hash": head.head_hash},
            "checkpoint": checkpoint.as_dict() if checkpoint else None,
            "next_after": page[-1].seq if more else None,
        }
    )


@router.get("/verify", response=dict)
def verify(request: ApiCall) -> JsonResponse:
    """Recompute the caller's chain, and look afresh at the append-only triggers: `ok` is false when any is missing
    (and writes are then refused with 503 until they are reinstalled)."""
    verdict = verify_user(request.auth.pk).as_dict()
    missing = missing_triggers(fresh=True)
    verdict["triggers"] = {"ok": not missing, "missing": missing}
    if missing:
        verdict["ok"] = False
        verdict["reason"] = verdict["reason"] or "the append-only protection of the record is missing"
    return JsonResponse(verdict)
