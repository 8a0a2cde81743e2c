from django.urls import path

from pushadmin.audit import views

app_name = "audit"

urlpatterns = [
    path("w/<int:workspace_id>/history/", views.campaign_history, name="history"),
    path("w/<int:workspace_id>/history/messages/", views.message_history, name="messages"),
    path("w/<int:workspace_id>/history/calls/", views.call_history, name="calls"),
    path("w/<int:workspace_id>/history/figures/", views.figure_history, name="figures"),
    path("w/<int:workspace_id>/trail/", views.trail_history, name="trail"),
    path("w/<int:workspace_id>/trail/verify/", views.trail_verify, name="trail_verify"),
    path("w/<int:workspace_id>/trail/check/", views.trail_check, name="trail_check"),
    path("audit/chain/", views.installation_chain, name="installation_chain"),
    path("w/<int:workspace_id>/history/export/<slug:kind>.csv", views.export, name="export"),
    path("w/<int:workspace_id>/history/campaigns/<int:campaign_id>/", views.evidence, name="evidence"),
    path(
        "w/<int:workspace_id>/history/campaigns/<int:campaign_id>/evidence.zip",
        views.evidence_pack,
        name="evidence_pack",
    ),
]
