"""Pages about one's own account: password change and reset, two-factor enrolment and verification."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from pushadmin.accounts import limits, login_throttle, recovery_codes, two_factor
from pushadmin.accounts.forms import OneTimeCodeForm, RecoveryCodeForm
from pushadmin.accounts.requests import AuthenticatedRequest
from pushadmin.audit import trail


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return wanted
    return reverse(settings.LOGIN_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
@never_cache
def change_password(request: AuthenticatedRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            trail.record("user.password_changed", request=request, obj=user)
        # Keeps this session; every other session of the person ends at its next request.
        update_session_auth_hash(request, user)
        messages.success(request, _("Password changed. Your other sessions have been signed out."))
        return redirect("console:home")
    return render(request, "accounts/password_change.html", {"form": form})


@require_http_methods(["GET", "POST"])
@never_cache
def two_factor_enrol(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if two_factor.confirmed_device(user) is not None:
        return redirect("accounts:recovery_codes")
    device = two_factor.pending_device(user)
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                trail.record("user.two_factor_enrolled", request=request, obj=user)
                codes = recovery_codes.issue(user, request)
            otp_login(request, device)
            # Shown in this response only: the codes are stored hashed and cannot be shown again.
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _next_url(request)})
        form.add_error("code", _("That code does not match. Check the clock on your phone and use the newest code."))
    context = {
        "form": form,
        "qr_code": two_factor.qr_code_data_uri(device),
        "key": two_factor.base32_key(device),
        "required": two_factor.is_required_for(user),
        "next": _next_url(request),
    }
    return render(request, "accounts/two_factor_enrol.html", context)


@require_http_methods(["GET", "POST"])
@never_cache
def two_factor_verify(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    device = two_factor.confirmed_device(user)
    if device is None:
        if two_factor.is_required_for(user):
            return redirect(f"{reverse('accounts:two_factor_enrol')}?{urlencode({'next': _next_url(request)})}")
        messages.info(request, _("Two-factor sign-in is not set up for your account."))
        return redirect(_next_url(request))
    if two_factor.is_verified(user):
        return redirect(_next_url(request))
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _throttle = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["code"]):
            otp_login(request, device)
            trail.record("user.two_factor_verified", request=request, obj=user)
            return redirect(_next_url(request))
        trail.record("user.two_factor_failed", request=request, obj=user)
        message = (
            "Too many wrong codes; wait a minute before trying again."
            if not allowed
            else "That code is not valid or was already used. Enter the newest code from your app."
        )
        form.add_error("code", message)
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)})


@require_http_methods(["GET", "POST"])
@never_cache
def recovery_codes_page(request: AuthenticatedRequest) -> HttpResponse:
    """The two-factor page of an enrolled person: how many recovery codes are left, and a new set."""
    if two_factor.confirmed_device(request.user) is None:
        return redirect("accounts:two_factor_enrol")
    if request.method == "POST":
        codes = recovery_codes.issue(request.user, request)
        return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("console:home")})
    left = recovery_codes.unused_count(request.user)
    return render(request, "accounts/recovery_codes.html", {"left": left})


@require_http_methods(["GET", "POST"])
@never_cache
def two_factor_recover(request: AuthenticatedRequest) -> HttpResponse:
    """Sign-in's second step with a recovery code instead of the authenticator's code."""
    user = request.user
    device = two_factor.confirmed_device(user)
    if device is None or two_factor.is_verified(user):
        return redirect(_next_url(request))
    form = RecoveryCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _throttle = device.verify_is_allowed()
        if allowed and recovery_codes.redeem(user, form.cleaned_data["code"], request):
            device.throttle_reset()
            otp_login(request, device)
            messages.warning(
                request,
                _("Recovery code used; %(unused_count)s left.") % {"unused_count": recovery_codes.unused_count(user)},
            )
            return redirect(_next_url(request))
        device.throttle_increment()  # the authenticator's own throttle: guesses here count there too
        trail.record("user.two_factor_failed", request=request, obj=user, detail={"with": "recovery code"})
        message = "Too many wrong codes; wait a minute." if not allowed else "That recovery code is not valid or used."
        form.add_error("code", message)
    return render(request, "accounts/two_factor_recover.html", {"form": form, "next": _next_url(request)})


class LimitedPasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, limited per e-mail address and per client address.

    A refused request answers exactly as a sent link does, so the limit reveals nothing about
    which addresses have accounts, and nobody can flood a mailbox with reset messages.
    """

    email_template_name = "registration/password_reset_email.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        # The address is kept hashed: the counters must not become a list of typed addresses.
        email = hashlib.sha256(form.cleaned_data["email"].strip().lower().encode()).hexdigest()
        keyed_limits = [(f"password_reset.email:{email}", settings.PUSHADMIN_RESETS_PER_EMAIL)]
        ip = login_throttle.client_ip(self.request)
        if ip:
            keyed_limits.append((f"password_reset.client:{ip}", settings.PUSHADMIN_RESETS_PER_CLIENT))
        if limits.take_all(keyed_limits):
            return super().form_valid(form)
        return HttpResponseRedirect(self.get_success_url())


class AuditedPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset-link page; a completed reset lands in the audit trail."""

    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            trail.record("user.password_reset", actor=form.user, request=self.request, obj=form.user)
        return response
