from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shotlee.accounts"

    def ready(self) -> None:
        from shotlee.accounts import middleware  # noqa: F401  (connects the log-in signal receiver)
