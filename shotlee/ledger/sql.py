"""Prepared SQL for the write path, which runs on every dose while the chain is locked,
and for the reads every visit makes (the history page, the API's dose list).

The ORM spends most of a write compiling queries (0.6 ms of a 0.7 ms read in
the bench); these statements are built once from the models' own metadata and
values go through the fields' own `get_db_prep_value`, so what is stored is
exactly what the ORM would store and reads back the same on both engines.

`cursor()` runs them on the driver's own cursor, inside Django's error
translation (an IntegrityError is still django.db's, so lost races are retried
as before) but without Django's per-statement wrappers. When queries are being
logged (DEBUG, or a test or the bench counting them) it is Django's cursor, so
every statement is seen.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import DateTimeField, UUIDField

from shotlee.ledger.models import Checkpoint, Entry, Kind, LedgerHead


def _insert(model: Any) -> tuple[str, list[Any]]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({marks})", fields


ENTRY_INSERT, ENTRY_FIELDS = _insert(Entry)
CHECKPOINT_INSERT, CHECKPOINT_FIELDS = _insert(Checkpoint)
HEAD_SELECT = f"SELECT seq, head_hash FROM {LedgerHead._meta.db_table} WHERE user_id = %s"
HEAD_UPDATE = f"UPDATE {LedgerHead._meta.db_table} SET seq = %s, head_hash = %s, updated_at = %s WHERE user_id = %s"


class _DriverCursor:
    """The DB-API cursor, for statements written with %s placeholders (as for Django's cursor)."""

    __slots__ = ("raw", "qmark")

    def __init__(self, raw: Any, qmark: bool):
        self.raw = raw
        self.qmark = qmark

    def execute(self, statement: str, params: list[Any]) -> None:
        self.raw.execute(_qmark(statement) if self.qmark else statement, params)

    def fetchone(self) -> Any:
        return self.raw.fetchone()

    def fetchall(self) -> list[Any]:
        return self.raw.fetchall()


@functools.cache
def _timestamptz_loader() -> Any:
    """psycopg's own timestamptz loader, which psycopg swaps for its C version.

    Django registers a Python subclass of it on every connection to set the
    time zone, and that parses each timestamp in Python: an eighth of the
    history page's time on PostgreSQL. The C loader gives the same value in
    the connection's time zone, which Django sets to UTC.
    """
    from psycopg.types.datetime import TimestamptzLoader

    return TimestamptzLoader


@functools.lru_cache(maxsize=256)
def _qmark(statement: str) -> str:
    # sqlite3's placeholder. These statements hold no other "%s": no LIKE patterns, no literal percent signs.
    return statement.replace("%s", "?")


@contextmanager
def cursor() -> Iterator[Any]:
    """A cursor for the prepared statements (see the module docstring)."""
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the proxy that looks it up on every attribute
    if db.queries_logged:
        with db.cursor() as logged:
            yield logged
        return
    db.ensure_connection()
    with db.wrap_database_errors:
        raw = db.connection.cursor()
        if db.vendor == "postgresql":
            raw.adapters.register_loader("timestamptz", _timestamptz_loader())
        try:
            yield _DriverCursor(raw, db.vendor == "sqlite")
        finally:
            raw.close()


def db_value(model: Any, name: str, value: Any) -> Any:
    return model._meta.get_field(name).get_db_prep_value(value, connection, prepared=False)


def py_time(value: Any) -> datetime:
    """A datetime column from a raw cursor: SQLite gives text in UTC, PostgreSQL an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


@functools.cache
def _entry_preparers(vendor: str) -> list[tuple[str, Any]]:
    """Per column of an entry: the attribute, and the field when its value needs preparing for the engine.

    Times and UUIDs go through the field's own `get_db_prep_save` (SQLite stores
    them as text); integers and strings are stored as they are, as the ORM would.
    """
    return [(f.attname, f if isinstance(f, (DateTimeField, UUIDField)) else None) for f in ENTRY_FIELDS]


def insert(entry: Entry) -> None:
    params = [
        getattr(entry, name) if field is None else field.get_db_prep_save(getattr(entry, name), connection)
        for name, field in _entry_preparers(connection.vendor)
    ]
    with cursor() as cur:
        cur.execute(ENTRY_INSERT, params)


def insert_checkpoint(
    user_id: int, seq: int, head_hash: str, key_id: str, signature: str, created_at: datetime
) -> None:
    """The checkpoint row, without building a model instance (one per append, inside the lock)."""
    values = {
        "user_id": user_id,
        "seq": seq,
        "head_hash": head_hash,
        "key_id": key_id,
        "signature": signature,
        "created_at": db_value(Checkpoint, "created_at", created_at),
    }
    with cursor() as cur:
        cur.execute(CHECKPOINT_INSERT, [values[f.attname] for f in CHECKPOINT_FIELDS])


def lock_head(user_id: int) -> LedgerHead | None:
    """Read the chain head, locking its row on PostgreSQL (SQLite's IMMEDIATE transaction already holds the lock)."""
    suffix = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with cursor() as cur:
        cur.execute(HEAD_SELECT + suffix, [user_id])
        row = cur.fetchone()
    if row is None:
        return None
    head = LedgerHead(user_id=user_id, seq=row[0], head_hash=row[1])
    head._state.adding = False
    return head


def move_head(head: LedgerHead, now: datetime) -> None:
    with cursor() as cur:
        cur.execute(HEAD_UPDATE, [head.seq, head.head_hash, db_value(LedgerHead, "updated_at", now), head.user_id])


@functools.cache
def _plan(
    model: Any, vendor: str, only: tuple[str, ...] | None = None
) -> tuple[str, list[str], list[tuple[int, list[Any], Any]]]:
    """Columns, attribute names and per-column converters of a model (or of the fields in `only`), once per engine."""
    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields if only is None or f.attname in only]
    columns = ", ".join(f"{table}.{connection.ops.quote_name(f.column)}" for f in fields)
    converters = []
    for i, field in enumerate(fields):
        col = field.get_col(table)
        found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
        if found:
            converters.append((i, found, col))
    return columns, [f.attname for f in fields], converters


def fetch_one(model: Any, joins_and_where: str, params: list[Any]) -> Any:
    """One row as a full model instance (through `from_db`, like the ORM), from a prepared statement."""
    found = fetch_joined((model,), joins_and_where, params)
    return None if found is None else found[0]


def fetch_joined(models: tuple[Any, ...], joins_and_where: str, params: list[Any]) -> tuple[Any, ...] | None:
    """One row of several joined tables, one instance per model (None for a LEFT JOIN that found nothing).

    An item of `models` may be `(Model, ("id", "name", ...))` to load only those
    fields: the rest are deferred, as with `QuerySet.only()`. `joins_and_where`
    follows `FROM <first model's table>`; the tables must not be aliased.
    """
    pairs = [item if isinstance(item, tuple) else (item, None) for item in models]
    plans = [_plan(model, connection.vendor, only) for model, only in pairs]
    columns = ", ".join(plan[0] for plan in plans)
    with cursor() as cur:
        cur.execute(f"SELECT {columns} FROM {pairs[0][0]._meta.db_table} {joins_and_where}", params)
        row = cur.fetchone()
    if row is None:
        return None
    out = []
    start = 0
    for (model, _), plan in zip(pairs, plans, strict=True):
        values = row[start : start + len(plan[1])]
        start += len(plan[1])
        out.append(None if all(value is None for value in values) else _instance(model, plan, values))
    return tuple(out)


def fetch_all(model: Any, where_and_order: str, params: list[Any], only: tuple[str, ...] | None = None) -> list[Any]:
    """Rows of one table as model instances, like iterating a QuerySet, from a prepared statement.

    `where_and_order` follows `FROM <the model's table>`; `only`, as in fetch_joined.
    """
    plan = _plan(model, connection.vendor, only)
    with cursor() as cur:
        cur.execute(f"SELECT {plan[0]} FROM {model._meta.db_table} {where_and_order}", params)
        rows = cur.fetchall()
    return [_instance(model, plan, row) for row in rows]


def _instance(model: Any, plan: tuple[str, list[str], list[tuple[int, list[Any], Any]]], row: Any) -> Any:
    _, names, converters = plan
    values = list(row)
    for i, found, col in converters:  # SQLite text -> datetime, UUID, bool, as the ORM's compiler does
        for converter in found:
            values[i] = converter(values[i], col, connection)
    return model.from_db(connection.alias, names, values)


# ---- the reads of every visit: each is the QuerySet named in its docstring, without compiling it per request

_ENTRIES = Entry._meta.db_table
_NOT_SUPERSEDED = (
    f"NOT EXISTS (SELECT 1 FROM {_ENTRIES} c WHERE c.user_id = {_ENTRIES}.user_id AND c.target_seq = {_ENTRIES}.seq)"
)


def history_page(
    user_id: int, before: int | None, limit: int
) -> tuple[LedgerHead | None, list[tuple[Entry, Any, Any]]]:
    """The user's chain head, and `Entry.objects.for_user(u).filter(seq__lt=before).order_by("-seq")[:limit]` (no
    filter when before is None), each entry with its signed checkpoint `(head_hash, signature)` and the void or
    correction that replaced it `(seq, kind)`, None when there is none: all the history page reads, in one query
    (two when the page is empty)."""
    plan = _plan(Entry, connection.vendor, None)
    later = f"FROM {_ENTRIES} r WHERE r.user_id = {_ENTRIES}.user_id AND r.target_seq = {_ENTRIES}.seq"
    statement = (
        f"SELECT {plan[0]}, c.head_hash, c.signature, (SELECT r.seq {later} LIMIT 1), (SELECT r.kind {later} LIMIT 1), "
        f"h.seq, h.head_hash FROM {_ENTRIES} JOIN {LedgerHead._meta.db_table} h ON h.user_id = {_ENTRIES}.user_id "
        f"LEFT JOIN {Checkpoint._meta.db_table} c ON c.user_id = {_ENTRIES}.user_id AND c.seq = {_ENTRIES}.seq "
        f"WHERE {_ENTRIES}.user_id = %s"
    )
    params: list[Any] = [user_id]
    if before is not None:
        statement += f" AND {_ENTRIES}.seq < %s"
        params.append(before)
    with cursor() as cur:
        cur.execute(f"{statement} ORDER BY {_ENTRIES}.seq DESC LIMIT %s", [*params, limit])
        rows = cur.fetchall()
    if not rows:
        return fetch_one(LedgerHead, f"WHERE {LedgerHead._meta.db_table}.user_id = %s", [user_id]), []
    n = len(plan[1])
    head = LedgerHead(user_id=user_id, seq=rows[0][n + 4], head_hash=rows[0][n + 5])
    head._state.adding = False
    return head, [
        (
            _instance(Entry, plan, row[:n]),
            None if row[n] is None else (row[n], row[n + 1]),
            None if row[n + 2] is None else (row[n + 2], row[n + 3]),
        )
        for row in rows
    ]


def doses_page(user_id: int, *, effective: bool, after: tuple[datetime, int] | None, limit: int) -> list[Entry]:
    """`Entry.objects.for_user(u).doses()[.effective()]`, after the keyset cursor (occurred_at, seq), newest first."""
    where = ["user_id = %s", "kind = %s"]
    params: list[Any] = [user_id, Kind.DOSE.value]
    if effective:
        where.append(_NOT_SUPERSEDED)
    if after is not None:
        at = db_value(Entry, "occurred_at", after[0])
        where.append("(occurred_at < %s OR (occurred_at = %s AND seq < %s))")
        params += [at, at, after[1]]
    return fetch_all(
        Entry, f"WHERE {' AND '.join(where)} ORDER BY occurred_at DESC, seq DESC LIMIT %s", [*params, limit]
    )


def replacements(user_id: int, seqs: list[int]) -> list[Entry]:
    """`Entry.objects.for_user(u).filter(target_seq__in=seqs)`: the voids and corrections of those entries."""
    if not seqs:
        return []
    marks = ", ".join(["%s"] * len(seqs))
    return fetch_all(Entry, f"WHERE user_id = %s AND target_seq IN ({marks})", [user_id, *seqs])
