from django.contrib.auth import views as auth_views
from django.urls import path

from pushadmin.accounts import invitation_views, own_account_views, preferences, views
from pushadmin.accounts.forms import ThrottledAuthenticationForm

app_name = "accounts"

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/preferences/", preferences.choose, name="preferences"),
    path("accounts/password/", own_account_views.change_password, name="password_change"),
    # Reset answers the same whether or not the address belongs to an account (no enumeration).
    path("accounts/password-reset/", own_account_views.LimitedPasswordResetView.as_view(), name="password_reset"),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        own_account_views.AuditedPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/two-factor/", own_account_views.two_factor_enrol, name="two_factor_enrol"),
    path("accounts/two-factor/verify/", own_account_views.two_factor_verify, name="two_factor_verify"),
    path("accounts/two-factor/recover/", own_account_views.two_factor_recover, name="two_factor_recover"),
    path("accounts/two-factor/recovery-codes/", own_account_views.recovery_codes_page, name="recovery_codes"),
    # The e-mailed link, then the page it leads to (before it: "accept" is not a token).
    path("invitations/accept/", invitation_views.accept, name="accept_invitation"),
    path("invitations/<str:token>/", invitation_views.open_link, name="invitation"),
    path("w/<int:workspace_id>/members/", views.members, name="members"),
    path("w/<int:workspace_id>/members/<int:membership_id>/remove/", views.remove_member, name="remove_member"),
    path("w/<int:workspace_id>/members/people/<int:user_id>/remove/", views.remove_person, name="remove_person"),
    path(
        "w/<int:workspace_id>/members/invitations/<int:invitation_id>/revoke/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path("w/<int:workspace_id>/members/sessions/", views.member_sessions, name="member_sessions"),
    path("w/<int:workspace_id>/members/sessions/<int:session_id>/end/", views.end_session, name="end_session"),
]
