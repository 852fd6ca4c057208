# The per-user ledger tables' primary keys include the user id on PostgreSQL, as a table distributed by user
# needs (shotlee/ledger/distribution.py; docs/deploy.md, "Scaling out"). DDL only: no row is touched, so the
# append-only triggers are not involved (and ALTER TABLE ... ADD CONSTRAINT does not rebuild the table).

from django.db import migrations

from shotlee.ledger.distribution import user_in_primary_key


class Migration(migrations.Migration):
    dependencies = [("ledger", "0008_kind_from_registry")]

    operations = [
        user_in_primary_key("ledger_entry"),
        user_in_primary_key("ledger_checkpoint"),
        user_in_primary_key("ledger_idempotencyrecord"),
    ]
