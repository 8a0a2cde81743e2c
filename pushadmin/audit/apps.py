from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "pushadmin.audit"
    label = "audit"
