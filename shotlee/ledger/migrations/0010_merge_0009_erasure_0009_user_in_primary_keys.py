# Both 0009s: account erasure (its tombstone and gate tables) and the user id in the per-user tables' primary keys.
# The tombstone is a per-user table too, so on PostgreSQL its primary key gets the user id as well
# (shotlee/ledger/distribution.py; docs/deploy.md, "Scaling out").

from django.db import migrations

from shotlee.ledger.distribution import user_in_primary_key


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0009_erasure"),
        ("ledger", "0009_user_in_primary_keys"),
    ]

    operations = [user_in_primary_key("ledger_tombstone")]
