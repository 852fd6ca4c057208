from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "shotlee.reports"
