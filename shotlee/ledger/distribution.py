"""Schema steps for sharding PostgreSQL by user (Citus, the user id as distribution column; docs/deploy.md,
"Scaling out").

A distributed table's primary and unique keys must include its distribution column, so the per-user tables with
an `id` primary key get `PRIMARY KEY (id, user_id)` on PostgreSQL. Django still treats `id` as the primary key:
it stays unique (it comes from the identity sequence) and nothing refers to these tables by foreign key. `id`
comes first so new rows still go to the right-hand end of the index, and a lookup by `id` can still use it.
SQLite keeps `id` alone: it is never sharded, and changing a primary key there means rebuilding the table.

One caveat for later migrations: Django cannot alter the `id` field of these tables on PostgreSQL any more (it
looks for a primary key on `id` alone); such a change has to drop and restore this key around it.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _set_primary_key(table: str, columns: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'", [table])
            (name,) = cursor.fetchone()
        quote = schema_editor.quote_name
        schema_editor.execute(
            f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}, "
            f"ADD CONSTRAINT {quote(name)} PRIMARY KEY ({columns})"
        )

    return run


def user_in_primary_key(table: str) -> migrations.RunPython:
    """A migration step: on PostgreSQL, the primary key of `table` becomes (id, user_id); reversible."""
    return migrations.RunPython(_set_primary_key(table, "id, user_id"), _set_primary_key(table, "id"))
