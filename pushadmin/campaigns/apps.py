from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "pushadmin.campaigns"
    label = "campaigns"
