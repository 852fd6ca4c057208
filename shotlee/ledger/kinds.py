"""The registry of record kinds: what the generic pages and the API need to know about each kind.

The ledger stores every kind the same way and knows none of them. Each kind's
app (doses, symptoms, metrics, protocols ...) registers a `RecordKind` in its
`AppConfig.ready()`: how the record reads as JSON and as one line of history,
and, when it can be corrected, the form and the service that correct it. The
history pages, the API and the exports look kinds up here, so adding a kind is
adding its app and registering it (docs/architecture.md, "Adding a record kind").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shotlee.ledger.models import Entry
    from shotlee.ledger.services import Outcome

VOID = "void"


@dataclass(frozen=True)
class Corrector:
    """How a kind corrects one of its records: the page's form, its initial values, and the service.

    `form` is a Django form class built with `(data, initial=..., tz=...)`; its
    `cleaned_data` and the API's JSON fields are both passed to
    `correct(user, target_uid, changes, reason, tz=..., **write_options)`.
    """

    form: Any
    initial: Callable[[Entry, tzinfo], dict[str, Any]]
    correct: Callable[..., Outcome]
    label: str = "The details were wrong (correct them)"  # the choice on the correction page
    done: str = "history:list"  # where the page goes after a void or correction (a URL name)


@dataclass(frozen=True)
class FhirContext:
    """What a kind's FHIR function needs besides the entry: the bundle's Patient, and the entry's standing."""

    patient: str  # the Patient resource's fullUrl, for `subject` references
    replaced_by: Entry | None  # the void or correction that replaced this entry, if any
    tz: tzinfo


@dataclass(frozen=True)
class Export:
    """How a kind's records leave the app (reports.exports): its CSV columns and its FHIR R4 resource.

    `columns` follow the columns every kind's CSV shares (seq, times, correction);
    `row(entry, preferences)` gives their values in the person's display units.
    `fhir(entry, context)` returns one resource as a JSON dict, or None when the
    kind (or this entry) has no FHIR form. A kind without an Export still gets a
    CSV, with its JSON body in one column.
    """

    columns: tuple[str, ...]
    row: Callable[[Entry, Mapping[str, str]], Sequence[Any]]
    fhir: Callable[[Entry, FhirContext], dict[str, Any] | None] | None = None


@dataclass(frozen=True)
class RecordKind:
    name: str  # stored in Entry.kind
    label: str  # what a person reads: "Dose", "Side effect"
    body: Callable[[Entry], dict[str, Any]]  # the kind's own fields in the entry's JSON
    summary: Callable[[Entry, Mapping[str, str]], str]  # one line of history; the mapping holds display preferences
    corrector: Corrector | None = None  # None: the record cannot be voided or corrected (protocol versions)
    correctable: bool = False  # may be voided ("entered in error"), even without a corrector
    export: Export | None = None  # CSV columns and FHIR resource; None: a generic CSV, no FHIR


_KINDS: dict[str, RecordKind] = {}


def register(kind: RecordKind) -> None:
    if kind.name in _KINDS and _KINDS[kind.name] != kind:
        raise ValueError(f"record kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind


def get(name: str) -> RecordKind:
    return _KINDS[name]


def names() -> list[str]:
    return list(_KINDS)


def correctable() -> list[str]:
    return [k.name for k in _KINDS.values() if k.correctable]


def _void_body(entry: Entry) -> dict[str, Any]:
    return {"reason": entry.data.get("reason", "")}


def _void_summary(entry: Entry, preferences: Mapping[str, str]) -> str:
    return f"Entered in error: #{entry.target_seq}, “{entry.data.get('reason', '')}”"


register(RecordKind(VOID, "Entered in error", _void_body, _void_summary))
