"""Bench users and their histories: registered through Shotlee's services, past doses bulk-inserted with a valid
hash chain and signed checkpoints (bench/app.py builds the rows; `manage.py verify_ledger` checks them before
anything is timed).

Inserting with one executemany per batch instead of record_dose keeps 100,000 prior doses to seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench.common import log
from bench.load import DoseStream

PASSWORD = "bench horse battery staple 42"

PROTOCOL: dict[str, Any] = {
    # No schedule, no minimum interval and no limits: every benchmark dose passes the rules (with a schedule,
    # `off_schedule` would warn about the doses the scenarios record between the seeded ones).
    "compound": "semaglutide",
    "name": "Bench semaglutide",
    "dose": "0.25",
    "unit": "mg",
    "route": "subcutaneous",
    "sites": ["abdomen left", "abdomen right", "thigh left", "thigh right"],
    "starts_on": "2020-01-01",
}

BATCH = 5000


@dataclass(frozen=True)
class UserSpec:
    """A bench user: `prior` past doses `spacing` apart, the last at `last_at` (from the run's `now`), and the
    stream of new doses the scenarios record (first at now + stream_base, then every stream_step)."""

    prior: int = 0
    spacing: timedelta = timedelta(hours=6)
    last_at: timedelta = timedelta(hours=-3, minutes=-30)
    stream_base: timedelta = timedelta(minutes=-1)
    stream_step: timedelta = timedelta(hours=-1)
    protocol: dict[str, Any] = field(default_factory=lambda: PROTOCOL)


@dataclass
class BenchUser:
    name: str
    user: Any
    protocol: Any
    protocol_uid: str
    token: str
    prior: int
    unit: str
    stream: DoseStream


def create_user(name: str, spec: UserSpec, now: datetime) -> BenchUser:
    from bench import app

    user = app.new_user(name, PASSWORD)
    protocol = app.start_protocol(user, spec.protocol)
    if spec.prior:
        last = now + spec.last_at
        times = [last - spec.spacing * (spec.prior - 1 - j) for j in range(spec.prior)]
        seed(name, user, protocol, spec.protocol, times)
    return BenchUser(
        name=name,
        user=user,
        protocol=protocol,
        protocol_uid=str(protocol.uid),
        token=app.token_for(user),
        prior=spec.prior,
        unit=spec.protocol["unit"],
        stream=DoseStream(now + spec.stream_base, spec.stream_step),
    )


def seed(name: str, user: Any, protocol: Any, spec: dict[str, Any], times: list[datetime]) -> None:
    """Append past doses at `times` (ascending) with correct hashes and checkpoints, in batches."""
    from django.db import transaction

    from bench import app

    t0 = time.perf_counter()
    with transaction.atomic():
        head, seq, prev = app.head_of(user)
        for start in range(0, len(times), BATCH):
            entries, checkpoints, seq, prev = app.chain_rows(
                user, protocol, spec, times[start : start + BATCH], seq, prev
            )
            insert_rows(app.Entry, entries)
            insert_rows(app.Checkpoint, checkpoints)
        app.set_head(head, seq, prev)
    log(f"seeded {len(times):,} doses for {name} in {time.perf_counter() - t0:.1f} s")


def insert_rows(model: Any, objects: list[Any]) -> None:
    """INSERT unsaved model instances with one executemany (bulk_create spends most of its time building SQL).

    Values go through each field's own conversion where the engine needs one
    (UUIDs, datetimes), so rows read back exactly as the ORM would store them.
    """
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    needs_prep = ("UUIDField", "DateTimeField", "DateField", "DecimalField", "JSONField", "BooleanField")
    converters = [(f.attname, f if f.get_internal_type() in needs_prep else None) for f in fields]
    rows = [
        tuple(
            f.get_db_prep_save(getattr(obj, attname), connection) if f else getattr(obj, attname)
            for attname, f in converters
        )
        for obj in objects
    ]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
