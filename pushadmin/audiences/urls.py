from django.urls import path

from pushadmin.audiences import views

app_name = "audiences"

W = "w/<int:workspace_id>/audiences/"

urlpatterns = [
    path(W, views.audience_list, name="list"),
    path(W + "new/", views.audience_create, name="create"),
    path(W + "<int:audience_id>/", views.audience_detail, name="detail"),
    path(W + "<int:audience_id>/replace/", views.audience_replace, name="replace"),
    path(W + "<int:audience_id>/rejected.csv", views.rejected_rows_csv, name="rejected_csv"),
]
