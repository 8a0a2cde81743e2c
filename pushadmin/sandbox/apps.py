from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "pushadmin.sandbox"
    label = "sandbox"
