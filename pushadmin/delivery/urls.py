from django.urls import path

from pushadmin.delivery import unknown_views, views

app_name = "delivery"

urlpatterns = [
    path("w/<int:workspace_id>/campaigns/<int:campaign_id>/sending/", views.progress, name="progress"),
    path("w/<int:workspace_id>/campaigns/<int:campaign_id>/sending/pause/", views.pause, name="pause"),
    path("w/<int:workspace_id>/campaigns/<int:campaign_id>/sending/resume/", views.resume, name="resume"),
    path("w/<int:workspace_id>/campaigns/<int:campaign_id>/sending/cancel/", views.cancel, name="cancel"),
    path("w/<int:workspace_id>/campaigns/<int:campaign_id>/sending/resend/", views.resend_failed, name="resend"),
    path(
        "w/<int:workspace_id>/campaigns/<int:campaign_id>/sending/unknown/",
        unknown_views.unknown_outcomes,
        name="unknown",
    ),
    path(
        "w/<int:workspace_id>/campaigns/<int:campaign_id>/sending/unknown/decide/",
        unknown_views.decide_unknown,
        name="decide_unknown",
    ),
]
