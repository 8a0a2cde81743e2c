from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "pushadmin.workspaces"
    label = "workspaces"
