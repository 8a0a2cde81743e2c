from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "pushadmin.delivery"
    label = "delivery"

    def ready(self) -> None:
        from pushadmin.delivery import filesystem_broker

        filesystem_broker.install()
