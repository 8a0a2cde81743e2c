from django.urls import path

from pushadmin.workspaces import views

app_name = "workspaces"

urlpatterns = [
    path("workspaces/new/", views.create, name="create"),
    path("w/<int:workspace_id>/settings/", views.edit, name="edit"),
    path("w/<int:workspace_id>/settings/test-connection/", views.test_connection, name="test_connection"),
]
