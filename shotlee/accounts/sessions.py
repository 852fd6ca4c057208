"""The database session store, reading the session row with a prepared statement.

Every page view loads its session first; Django's store compiles the same
QuerySet for it each time. Writes, expiry and key rotation are Django's own.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from shotlee.ledger import sql


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Any:
        found = sql.fetch_one(
            Session,
            f"WHERE {Session._meta.db_table}.session_key = %s AND {Session._meta.db_table}.expire_date > %s",
            [self.session_key, sql.db_value(Session, "expire_date", timezone.now())],
        )
        if found is None:
            self._session_key = None  # as Django's store does: the key is unknown or expired
        return found
