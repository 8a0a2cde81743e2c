from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from pushadmin.accounts.models import Membership, TOTPAuthenticator

if TYPE_CHECKING:
    _MembershipModelAdmin = admin.ModelAdmin[Membership]
    _AuthenticatorModelAdmin = admin.ModelAdmin[TOTPAuthenticator]
else:  # Django's ModelAdmin takes no type parameter at run time
    _MembershipModelAdmin = _AuthenticatorModelAdmin = admin.ModelAdmin


@login_not_required
def sign_in_through_pushadmin(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The Django admin signs in through pushadmin's own page, so its lockout and two-factor apply."""
    if request.user.is_authenticated:
        # Signed in but not staff: sending them back to sign-in would loop.
        raise PermissionDenied("The Django admin is for staff accounts only.")
    wanted = request.GET.get("next") or reverse("admin:index")
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': wanted})}")


admin.site.login = sign_in_through_pushadmin  # type: ignore[method-assign]


@admin.register(Membership)
class MembershipAdmin(_MembershipModelAdmin):
    list_display = ("user", "workspace", "role", "created_at")
    list_filter = ("role", "workspace")


@admin.register(TOTPAuthenticator)
class TOTPAuthenticatorAdmin(_AuthenticatorModelAdmin):
    """Staff can delete a lost authenticator so its owner enrols again; nobody can read or set its key."""

    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
