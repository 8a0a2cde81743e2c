"""URLs: each app brings its own; workspace pages live under /w/<workspace_id>/."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("", include("pushadmin.accounts.urls")),
    path("", include("pushadmin.workspaces.urls")),
    path("", include("pushadmin.console.urls")),
    path("", include("pushadmin.reviews.urls")),
    path("", include("pushadmin.campaigns.urls")),
    path("", include("pushadmin.audiences.urls")),
    path("", include("pushadmin.audit.urls")),
    path("", include("pushadmin.delivery.urls")),
    path("", include("pushadmin.analytics.urls")),
    path("", include("pushadmin.safety.urls")),
    path("", include("pushadmin.notifications.urls")),
    path("", include("pushadmin.operations.urls")),
]
