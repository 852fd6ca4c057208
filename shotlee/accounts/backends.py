from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from shotlee.accounts.models import Profile
from shotlee.ledger import sql


class ProfileBackend(ModelBackend):
    """Django's model backend, loading the session's user together with the profile (its time zone): one query."""

    def get_user(self, user_id: Any) -> Any:
        User = get_user_model()
        users, profiles = User._meta.db_table, Profile._meta.db_table
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        found = sql.fetch_joined(
            (User, Profile), f"LEFT JOIN {profiles} ON {profiles}.user_id = {users}.id WHERE {users}.id = %s", [pk]
        )
        if found is None:
            return None
        user, profile = found
        if profile is not None:
            user._state.fields_cache["profile"] = profile
        return user if self.user_can_authenticate(user) else None
