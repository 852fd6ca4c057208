from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class ProfileBackend(ModelBackend):
    """Django's model backend, loading the session's user together with the profile (its time zone): one query."""

    def get_user(self, user_id: Any) -> Any:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        user = get_user_model()._default_manager.select_related("profile").filter(pk=pk).first()
        return user if user is not None and self.user_can_authenticate(user) else None
