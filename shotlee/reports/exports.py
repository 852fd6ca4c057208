"""A person's whole record as JSON (verifiable), CSV (one file per kind, in a zip) and FHIR R4 (a Bundle).

Each export streams: entries are read in chunks of `CHUNK` by seq, up to the
head read at the start (so an entry appended meanwhile is not half-included),
and written out as they come, so the server's memory stays flat in the size of
the history (bench/export_memory.py). The shape of each kind's CSV rows and
FHIR resources comes from its registered `ledger.kinds.Export`, never from here.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from datetime import tzinfo
from typing import Any

from django.contrib.auth.models import User
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from shotlee.guides.models import GuideVersion
from shotlee.ledger import kinds
from shotlee.ledger.models import Checkpoint, Entry, LedgerHead
from shotlee.lib import exportcheck, hashchain
from shotlee.protocols.models import PROTOCOL
from shotlee.reminders import services as reminders

CHUNK = 1000
_replacement = Entry.objects.filter(user_id=OuterRef("user_id"), target_seq=OuterRef("seq"))


def snapshot(user: User) -> tuple[LedgerHead, Checkpoint | None]:
    head = LedgerHead.objects.get(user=user)
    return head, Checkpoint.objects.filter(user=user, seq=head.seq).first()


def entries(user: User, upto: int, kind: str | None = None) -> Iterator[tuple[Entry, tuple[int, str] | None]]:
    """The user's entries up to seq `upto`, in seq order, each with (seq, kind) of what replaced it; chunked.

    Every chunk walks the (user, seq) index; `kind` is picked out here rather than in SQL, where a kind filter
    would make the engine sort all of that kind's rows for every chunk (quadratic in the history).
    """
    rows = (
        Entry.objects.filter(user_id=user.pk, seq__lte=upto)
        .annotate(
            replaced_by_seq=Subquery(_replacement.values("seq")[:1]),
            replaced_by_kind=Subquery(_replacement.values("kind")[:1]),
        )
        .order_by("seq")
    )
    last = 0
    while True:
        chunk = list(rows.filter(seq__gt=last)[:CHUNK])
        if not chunk:
            return
        for entry in chunk:
            if kind is not None and entry.kind != kind:
                continue
            replaced = getattr(entry, "replaced_by_seq", None)
            yield entry, (replaced, entry.replaced_by_kind) if replaced else None
        last = chunk[-1].seq


def filename(user: User, extension: str) -> str:
    return f"shotlee-{user.username}-{timezone.now():%Y%m%d}.{extension}"


# ---- JSON: every record exactly as hashed, the head, the latest signed checkpoint, the guide versions referenced


def exported_record(entry: Entry) -> dict[str, Any]:
    record = entry.record()
    del record["v"], record["user"]  # once, at the top of the file
    record["occurred_at"] = hashchain.format_time(entry.occurred_at)  # the text the hash covered
    record["recorded_at"] = hashchain.format_time(entry.recorded_at)
    record["payload"] = json.loads(entry.payload)
    record["hash"] = entry.hash
    return record


def json_export(user: User) -> Iterator[str]:
    head, checkpoint = snapshot(user)
    profile = getattr(user, "profile", None)
    yield (
        "{"
        f'"format":"{exportcheck.FORMAT}","version":1,'
        f'"exported_at":{json.dumps(hashchain.format_time(timezone.now()))},'
        f'"user":{user.pk},'
        f'"account":{json.dumps({"username": user.username, "timezone": profile.timezone if profile else "UTC"})},'
        f'"reminders":{json.dumps(reminders.export(user), ensure_ascii=False, sort_keys=True)},'
        f'"head":{json.dumps({"seq": head.seq, "hash": head.head_hash})},'
        f'"checkpoint":{json.dumps(checkpoint.as_dict() if checkpoint else None)},'
        '"entries":[\n'
    )
    guides: set[tuple[str, str]] = set()
    lines: list[str] = []
    for entry, _ in entries(user, head.seq):
        if entry.kind == PROTOCOL:
            settings = entry.data.get("settings") or {}
            if settings.get("guide") and settings.get("guide_version"):
                guides.add((settings["guide"], settings["guide_version"]))
        lines.append(json.dumps(exported_record(entry), ensure_ascii=False, sort_keys=True, separators=(",", ":")))
        if len(lines) == CHUNK:  # one write per chunk, not per entry
            yield ",\n".join(lines) + (",\n" if entry.seq < head.seq else "")
            lines = []
    if lines:
        yield ",\n".join(lines)
    versions = []
    for slug, content_hash in sorted(guides):
        found = GuideVersion.objects.filter(slug=slug, content_hash=content_hash).first()
        versions.append(
            {"slug": slug, "content_hash": content_hash, "content": json.loads(found.content) if found else None}
        )
    yield "\n]," + f'"guide_versions":{json.dumps(versions, ensure_ascii=False)}' + "}\n"


# ---- CSV: one file per kind, the effective view, amounts in the person's units, local times with their offset

COMMON_COLUMNS = ("seq", "id", "occurred_at", "recorded_at")
CORRECTION_COLUMN = "correction"


def local(value: Any, tz: tzinfo) -> str:
    return value.astimezone(tz).isoformat() if value is not None else ""


def csv_columns(kind: kinds.RecordKind) -> tuple[str, ...]:
    own = kind.export.columns if kind.export else ("details",)
    return (*COMMON_COLUMNS, *own, CORRECTION_COLUMN)


def csv_row(kind: kinds.RecordKind, entry: Entry, tz: tzinfo, preferences: dict[str, str]) -> list[Any]:
    own = (
        list(kind.export.row(entry, preferences))
        if kind.export
        else [json.dumps(kind.body(entry), ensure_ascii=False, sort_keys=True)]
    )
    correction = ""
    if entry.target_seq:
        correction = f"corrects entry {entry.target_seq}: {entry.data.get('reason', '')}".strip()
    return [entry.seq, str(entry.uid), local(entry.occurred_at, tz), local(entry.recorded_at, tz), *own, correction]


class _Pipe(io.RawIOBase):
    """A write-only stream that hands what was written to the generator (zipfile writes; the response reads)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


def csv_zip_export(user: User, tz: tzinfo, preferences: dict[str, str]) -> Iterator[bytes]:
    head, _ = snapshot(user)
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in kinds.names():
            if name == kinds.VOID:
                continue  # voids are the correction column of what they void, and in the JSON export
            kind = kinds.get(name)
            with archive.open(f"{name}.csv", "w", force_zip64=True) as member:
                text = io.TextIOWrapper(member, encoding="utf-8", newline="")
                writer = csv.writer(text)
                writer.writerow(csv_columns(kind))
                for count, (entry, replaced) in enumerate(entries(user, head.seq, name), 1):
                    if replaced is None:  # the effective view
                        writer.writerow(csv_row(kind, entry, tz, preferences))
                    if count % CHUNK == 0:
                        text.flush()
                        yield pipe.take()
                text.flush()
                text.detach()
            yield pipe.take()
    yield pipe.take()


# ---- FHIR R4: a collection Bundle; each kind's resource from its Export, every resource referring to one Patient


def fhir_export(user: User, tz: tzinfo) -> Iterator[str]:
    head, _ = snapshot(user)
    patient_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"shotlee:patient:{user.pk}"))
    patient_url = f"urn:uuid:{patient_id}"
    patient = {"resourceType": "Patient", "id": patient_id, "active": True}
    yield (
        '{"resourceType":"Bundle","type":"collection",'
        f'"timestamp":{json.dumps(timezone.now().astimezone(tz).isoformat())},'
        f'"meta":{json.dumps({"tag": [{"system": "urn:shotlee:chain-head", "code": head.head_hash}]})},'
        '"entry":[\n' + json.dumps({"fullUrl": patient_url, "resource": patient})
    )
    lines: list[str] = []
    for entry, replaced in entries(user, head.seq):
        kind = kinds.get(entry.kind) if entry.kind in kinds.names() else None
        if kind is None or kind.export is None or kind.export.fhir is None:
            continue
        replaced_by = Entry(seq=replaced[0], kind=replaced[1]) if replaced is not None else None
        resource = kind.export.fhir(entry, kinds.FhirContext(patient_url, replaced_by, tz))
        if resource is not None:
            lines.append(
                ",\n" + json.dumps({"fullUrl": f"urn:uuid:{entry.uid}", "resource": resource}, ensure_ascii=False)
            )
        if len(lines) == CHUNK:
            yield "".join(lines)
            lines = []
    yield "".join(lines) + "\n]}\n"
