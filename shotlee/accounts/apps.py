from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shotlee.accounts"

    def ready(self) -> None:
        from shotlee.accounts import (
            audit,  # noqa: F401  connects the log-in events (lib.audit)
            middleware,  # noqa: F401  (connects the log-in signal receiver)
        )
