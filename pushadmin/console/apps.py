from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "pushadmin.console"
    label = "console"
