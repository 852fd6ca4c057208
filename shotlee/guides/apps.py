from django.apps import AppConfig


class GuidesConfig(AppConfig):
    name = "shotlee.guides"
