from django.urls import path

from pushadmin.campaigns import row_views, template_views, views

app_name = "campaigns"

W = "w/<int:workspace_id>/"
C = W + "campaigns/<int:campaign_id>/"

urlpatterns = [
    path(W + "templates/", template_views.template_list, name="template_list"),
    path(W + "templates/new/", template_views.template_create, name="template_create"),
    path(W + "templates/preview/", template_views.template_preview, name="template_preview"),
    path(W + "templates/<int:template_id>/", template_views.template_edit, name="template_edit"),
    path(W + "templates/<int:template_id>/duplicate/", template_views.template_duplicate, name="template_duplicate"),
    path(
        W + "templates/<int:template_id>/mpaas/create/",
        template_views.template_create_on_mpaas,
        name="template_create_on_mpaas",
    ),
    path(
        W + "templates/<int:template_id>/mpaas/check/",
        template_views.template_check_mpaas,
        name="template_check_mpaas",
    ),
    path(W + "campaigns/", views.campaign_list, name="list"),
    path(W + "campaigns/new/", views.campaign_create, name="create"),
    path(W + "campaigns/schedule-preview/", views.strategy_preview, name="strategy_preview"),
    path(C, views.campaign_detail, name="detail"),
    path(C + "edit/", views.campaign_edit, name="edit"),
    path(C + "submit/", views.campaign_submit, name="submit"),
    path(C + "duplicate/", views.campaign_duplicate, name="duplicate"),
    path(C + "test-send/", views.campaign_test_send, name="test_send"),
    path(C + "rows/", row_views.rows_table, name="rows"),
    path(C + "rows/preview/", row_views.row_preview, name="row_preview"),
    path(C + "rows/blank/", row_views.blank_row, name="blank_row"),
    path(C + "rows/paste/", row_views.paste_rows, name="paste_rows"),
    path(C + "rows/progress/", row_views.rows_progress, name="rows_progress"),
    path(C + "rows/rebuild/", row_views.rebuild_rows, name="rebuild_rows"),
]
