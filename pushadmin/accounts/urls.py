from django.contrib.auth import views as auth_views
from django.urls import path

from pushadmin.accounts import views

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("w/<int:workspace_id>/members/", views.members, name="members"),
    path("w/<int:workspace_id>/members/<int:membership_id>/remove/", views.remove_member, name="remove_member"),
]
