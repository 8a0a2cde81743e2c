from django.urls import path

from pushadmin.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("w/<int:workspace_id>/webhooks/", views.endpoint_list, name="list"),
    path("w/<int:workspace_id>/webhooks/<int:endpoint_id>/", views.endpoint, name="endpoint"),
    path("w/<int:workspace_id>/webhooks/<int:endpoint_id>/toggle/", views.toggle, name="toggle"),
    path(
        "w/<int:workspace_id>/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/send-again/",
        views.send_again,
        name="send_again",
    ),
]
