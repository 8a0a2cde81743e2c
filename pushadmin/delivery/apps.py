from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "pushadmin.delivery"
    label = "delivery"
