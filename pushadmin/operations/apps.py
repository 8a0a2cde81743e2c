from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "pushadmin.operations"
    label = "operations"

    def ready(self) -> None:
        from pushadmin.operations import worker_signals  # noqa: F401  (connects the Celery signal receivers)
