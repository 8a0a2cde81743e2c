from django.apps import AppConfig


class AudiencesConfig(AppConfig):
    name = "pushadmin.audiences"
    label = "audiences"
