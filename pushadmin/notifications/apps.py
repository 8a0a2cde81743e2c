from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "pushadmin.notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pushadmin.notifications import receivers  # noqa: F401  (connects the lifecycle receiver)
