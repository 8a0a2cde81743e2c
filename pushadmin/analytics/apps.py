from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "pushadmin.analytics"
    label = "analytics"
    verbose_name = "Delivery analytics"
