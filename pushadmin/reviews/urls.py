from django.urls import path

from pushadmin.reviews import views

app_name = "reviews"

urlpatterns = [
    path("w/<int:workspace_id>/reviews/", views.queue, name="queue"),
    path("w/<int:workspace_id>/reviews/<int:campaign_id>/", views.review, name="review"),
    path("w/<int:workspace_id>/reviews/<int:campaign_id>/approve/", views.approve, name="approve"),
    path("w/<int:workspace_id>/reviews/<int:campaign_id>/reject/", views.reject, name="reject"),
    path("w/<int:workspace_id>/reviews/<int:campaign_id>/comments/", views.comment, name="comment"),
]
