"""A person's API tokens under their own settings: make one (shown once), see when each was last used, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pushadmin.accounts.requests import AuthenticatedRequest
from pushadmin.api import tokens
from pushadmin.api.models import ApiToken
from pushadmin.api.token_forms import TokenForm


@require_http_methods(["GET", "POST"])
def token_list(request: AuthenticatedRequest) -> HttpResponse:
    form = TokenForm(request.POST or None, user=request.user)
    context: dict[str, object] = {}
    if request.method == "POST" and form.is_valid():
        try:
            made = tokens.create(
                request.user,
                form.cleaned_data["workspace"],
                name=form.cleaned_data["name"],
                roles=form.cleaned_data["roles"],
                expires_at=form.expires_at(),
                request=request,
            )
        except tokens.TokenRefused as refused:
            form.add_error("roles", str(refused))
        else:
            context["new_token"], context["new_secret"] = made.token, made.secret
            form = TokenForm(user=request.user)
    context["form"] = form
    context["tokens"] = ApiToken.objects.filter(user=request.user).select_related("workspace")
    status = 400 if form.errors else 200
    return render(request, "api/tokens.html", context, status=status)


@require_POST
def revoke(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.select_related("workspace"), pk=token_id, user=request.user)
    if tokens.revoke(token, user=request.user, request=request):
        done = _("Token “%(name)s” is revoked; calls made with it are refused from now on.")
        messages.success(request, done % {"name": token.name})
    else:
        messages.info(request, _("Token “%(name)s” was already revoked.") % {"name": token.name})
    return redirect("api_tokens:list")
