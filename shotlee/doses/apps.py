from django.apps import AppConfig


class DosesConfig(AppConfig):
    name = "shotlee.doses"
