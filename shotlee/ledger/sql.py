"""The statements that run inside the chain lock, on every write, without compiling a query each time.

Every write holds the user's chain lock while it reads the head, runs the
rules' reads and inserts the record, so that section is kept short (the bench's
"POST /api/v1/doses" rows). The ORM spends most of a small read compiling it;
here:

* reads are ordinary QuerySets, written once with the ORM (so "effective" and
  every other condition has one definition), compiled to SQL once per database
  connection and then run with new values (`Compiled`);
* the three writes (entry, checkpoint, head) are INSERT/UPDATE statements built
  from the models' own metadata, with values prepared by the fields themselves,
  so the rows are exactly what the ORM would store.

`cursor()` runs them on the driver's own cursor, inside Django's error
translation (an IntegrityError is still django.db's, so lost races are retried),
but without Django's per-statement wrappers; when queries are being logged
(DEBUG, or a test counting them) it is Django's cursor, so every statement is
seen. This module is the only place with SQL text (ruff's S608 is off here only).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX
from django.db.models import DateTimeField, Model, QuerySet, UUIDField

from shotlee.ledger.models import Checkpoint, Entry, LedgerHead


class _DriverCursor:
    """The DB-API cursor, for statements written with %s placeholders (as for Django's cursor)."""

    __slots__ = ("raw", "qmark")

    def __init__(self, raw: Any, qmark: bool) -> None:
        self.raw = raw
        self.qmark = qmark

    def execute(self, statement: str, params: list[Any]) -> None:
        self.raw.execute(FORMAT_QMARK_REGEX.sub("?", statement).replace("%%", "%") if self.qmark else statement, params)

    def fetchone(self) -> Any:
        return self.raw.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self.raw.fetchall())


@contextmanager
def cursor() -> Iterator[Any]:
    """A cursor for the statements of this module (see the module docstring)."""
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the proxy that looks it up on every attribute
    if db.queries_logged:
        with db.cursor() as logged:
            yield logged
        return
    db.ensure_connection()
    with db.wrap_database_errors:
        raw = db.connection.cursor()
        try:
            yield _DriverCursor(raw, db.vendor == "sqlite")
        finally:
            raw.close()


# ---- reads: QuerySets compiled once per connection

_PREP_FIELDS: dict[type, Any] = {datetime: DateTimeField(), uuid.UUID: UUIDField()}


def _prepare(value: Any) -> Any:
    """A parameter as the ORM passes it to the driver (times and UUIDs as the engine stores them)."""
    field = _PREP_FIELDS.get(type(value))
    return value if field is None else field.get_db_prep_value(value, connection, prepared=False)


def _stand_in(kind: type, index: int) -> Any:
    if kind is int:
        return 7_000_000_000_000 + index
    if kind is str:
        return f"\x1fparam-{index}\x1f"
    if kind is datetime:
        return datetime(1971, 1, 1, tzinfo=UTC) + timedelta(microseconds=index + 1)
    if kind is uuid.UUID:
        return uuid.UUID(int=0x5E7_0000 + index)
    raise TypeError(f"Compiled parameters are int, str, datetime or UUID, not {kind.__name__}")


class Compiled:
    """A QuerySet compiled to SQL once per connection, then run with new values.

    `build(**params)` returns the QuerySet, ending in `values_list()`. It is
    compiled once with stand-in values of the declared types; each call runs
    that SQL with the caller's values, prepared as the ORM prepares them, and
    converts the columns back as the ORM does. `tests/test_compiled.py` checks
    each one against its QuerySet on both engines.
    """

    def __init__(self, build: Callable[..., QuerySet[Any, Any]], **params: type) -> None:
        self.build = build
        self.params = params

    def _compile(self) -> tuple[str, list[tuple[str | None, Any]], Any, dict[int, Any]]:
        stand_ins = {name: _stand_in(kind, i) for i, (name, kind) in enumerate(self.params.items())}
        compiler = self.build(**stand_ins).query.get_compiler(connection=connection)
        statement, compiled = compiler.as_sql()
        by_prepared = {_key(_prepare(value)): name for name, value in stand_ins.items()}
        # Each compiled parameter is a stand-in (the caller's value goes there, in the same wrapper the ORM used:
        # psycopg's Int8 for a bigint on PostgreSQL) or a constant of the query.
        slots: list[tuple[str | None, Any]] = []
        for value in compiled:
            name = by_prepared.get(_key(value))
            wrapper = type(value) if isinstance(value, int) and type(value) not in (int, bool) else None
            slots.append((name, wrapper) if name else (None, value))
        missing = set(self.params) - {name for name, _ in slots if name}
        if missing:
            raise ValueError(f"parameters {sorted(missing)} do not appear in the compiled query")
        converters = compiler.get_converters([column for column, _, _ in compiler.select])
        return statement, slots, compiler, converters

    def __call__(self, **values: Any) -> list[tuple[Any, ...]]:
        cache = connection.__dict__.setdefault("_shotlee_compiled", {})  # per connection: compilers hold it
        if self not in cache:
            cache[self] = self._compile()
        statement, slots, compiler, converters = cache[self]
        params = [
            (_prepare(values[name]) if wrapper is None else wrapper(values[name])) if name else wrapper
            for name, wrapper in slots
        ]
        with cursor() as cur:
            cur.execute(statement, params)
            rows = cur.fetchall()
        if converters:
            return [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return [tuple(row) for row in rows]


def _key(value: Any) -> str:
    """A parameter's identity for matching stand-ins (an Int8 is its int)."""
    return repr(int(value)) if isinstance(value, int) and not isinstance(value, bool) else repr(value)


# ---- the chain head and the three writes

HEAD = Compiled(
    lambda user_id: LedgerHead.objects.select_for_update().filter(user_id=user_id).values_list("seq", "head_hash"),
    user_id=int,
)


def _insert(model: type[Model]) -> tuple[str, list[Any]]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column or f.name) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({marks})", fields  # noqa: S608  # nosec B608  # table and columns from the model; values are parameters


ENTRY_INSERT, ENTRY_FIELDS = _insert(Entry)
CHECKPOINT_INSERT, CHECKPOINT_FIELDS = _insert(Checkpoint)
HEAD_UPDATE = f"UPDATE {LedgerHead._meta.db_table} SET seq = %s, head_hash = %s, updated_at = %s WHERE user_id = %s"  # noqa: S608  # nosec B608  # table from the model; values are parameters


def lock_head(user_id: int) -> LedgerHead | None:
    """Read the chain head, locking its row on PostgreSQL (SQLite's IMMEDIATE transaction already holds the lock)."""
    rows = HEAD(user_id=user_id)
    if not rows:
        return None
    head = LedgerHead(user_id=user_id, seq=rows[0][0], head_hash=rows[0][1])
    head._state.adding = False
    return head


def _row(fields: list[Any], instance: Model) -> list[Any]:
    return [f.get_db_prep_save(getattr(instance, f.attname), connection) for f in fields]


def insert(entry: Entry) -> None:
    with cursor() as cur:
        cur.execute(ENTRY_INSERT, _row(ENTRY_FIELDS, entry))


def insert_checkpoint(checkpoint: Checkpoint) -> None:
    with cursor() as cur:
        cur.execute(CHECKPOINT_INSERT, _row(CHECKPOINT_FIELDS, checkpoint))


def move_head(head: LedgerHead, now: datetime) -> None:
    updated_at = LedgerHead._meta.get_field("updated_at").get_db_prep_save(now, connection)
    with cursor() as cur:
        cur.execute(HEAD_UPDATE, [head.seq, head.head_hash, updated_at, head.user_id])
