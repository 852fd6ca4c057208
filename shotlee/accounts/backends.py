from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from shotlee.accounts.throttle import password_slot


class ProfileBackend(ModelBackend):
    """Django's model backend, loading the session's user together with the profile (its time zone): one query.

    A password check takes one of the process's slots (accounts.throttle.password_slot). Django's backend hashes
    the password for an unknown username too, so both take the same time and the same answer.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        with password_slot():
            return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id: Any) -> Any:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        user = get_user_model()._default_manager.select_related("profile").filter(pk=pk).first()
        return user if user is not None and self.user_can_authenticate(user) else None
