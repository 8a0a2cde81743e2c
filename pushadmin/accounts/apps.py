from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pushadmin.accounts"
    label = "accounts"

    def ready(self) -> None:
        from pushadmin.accounts import signals  # noqa: F401  (connects the receivers)
