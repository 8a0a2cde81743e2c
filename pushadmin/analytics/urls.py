from django.urls import path

from pushadmin.analytics import views

app_name = "analytics"

urlpatterns = [
    path("w/<int:workspace_id>/campaigns/<int:campaign_id>/figures/", views.campaign_figures, name="campaign"),
    path("w/<int:workspace_id>/campaigns/<int:campaign_id>/figures/refresh/", views.refresh_figures, name="refresh"),
    path("w/<int:workspace_id>/analytics/", views.workspace_figures, name="workspace"),
    path("w/<int:workspace_id>/analytics/figures.csv", views.workspace_figures_csv, name="csv"),
    path("w/<int:workspace_id>/analytics/vendor-limits/", views.save_vendor_limit, name="vendor_limit"),
]
