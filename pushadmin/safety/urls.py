from django.urls import path

from pushadmin.safety import views

app_name = "safety"

urlpatterns = [
    path("w/<int:workspace_id>/suppressions/", views.suppressions, name="suppressions"),
    path("w/<int:workspace_id>/suppressions/add/", views.add_suppression, name="add_suppression"),
    path("w/<int:workspace_id>/suppressions/import/", views.import_suppressions, name="import_suppressions"),
    path(
        "w/<int:workspace_id>/suppressions/<int:suppression_id>/remove/",
        views.remove_suppression,
        name="remove_suppression",
    ),
    path("w/<int:workspace_id>/campaigns/<int:campaign_id>/recall/", views.recall, name="recall"),
    path("w/<int:workspace_id>/campaigns/<int:campaign_id>/recall/start/", views.start_recall, name="start_recall"),
    path(
        "w/<int:workspace_id>/campaigns/<int:campaign_id>/service-notice/",
        views.service_notice,
        name="service_notice",
    ),
]
