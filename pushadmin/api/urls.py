from django.urls import path

from pushadmin.api import token_views

app_name = "api_tokens"

urlpatterns = [
    path("accounts/api-tokens/", token_views.token_list, name="list"),
    path("accounts/api-tokens/<int:token_id>/revoke/", token_views.revoke, name="revoke"),
]
