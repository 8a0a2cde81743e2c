from django.urls import path

from pushadmin.console import views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("switch/", views.switch_workspace, name="switch"),
    path("w/<int:workspace_id>/", views.dashboard, name="dashboard"),
]
