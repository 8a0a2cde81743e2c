"""The invitee's side of an invitation: the e-mailed link, then joining or accepting.

The link's token is moved into the session (as its hash) and the browser sent on to a URL
without it, so the token does not stay in the address bar, the history or a Referer header.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import login as otp_login

from pushadmin.accounts import invitations, two_factor
from pushadmin.accounts.forms import JoinForm
from pushadmin.accounts.models import Invitation

TEMPLATE = "accounts/invitation.html"


@login_not_required
@require_GET
@never_cache
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    hashed = invitations.token_hash(token)
    if invitations.pending_by_hash(hashed) is None:
        return render(request, TEMPLATE, {"state": "gone"})
    request.session[invitations.SESSION_KEY] = hashed
    return redirect("accounts:accept_invitation")


@login_not_required
@require_http_methods(["GET", "POST"])
@never_cache
def accept(request: HttpRequest) -> HttpResponse:
    invitation = invitations.pending_by_hash(request.session.get(invitations.SESSION_KEY))
    if invitation is None:
        return render(request, TEMPLATE, {"state": "gone"})
    if request.user.is_authenticated:
        return _accept_signed_in(request, invitation)
    if invitations.address_has_account(invitation.email):
        sign_in = f"{reverse('accounts:login')}?next={reverse('accounts:accept_invitation')}"
        return render(request, TEMPLATE, {"state": "sign_in", "invitation": invitation, "sign_in": sign_in})
    return _join(request, invitation)


def _done(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    request.session.pop(invitations.SESSION_KEY, None)
    return redirect("console:dashboard", workspace_id=invitation.workspace_id)


def _accept_signed_in(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    user = cast(User, request.user)
    if user.email.lower() != invitation.email.lower():
        return render(request, TEMPLATE, {"state": "other_account", "invitation": invitation})
    if request.method == "POST":
        try:
            invitations.accept_signed_in(request, invitation, user)
        except invitations.InvitationGone:
            return render(request, TEMPLATE, {"state": "gone"})
        return _done(request, invitation)
    return render(request, TEMPLATE, {"state": "confirm", "invitation": invitation})


def _join(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    needs_code = two_factor.role_requires_it(invitation.workspace.require_two_factor, invitation.role)
    key = invitations.enrolment_key(invitation) if needs_code else None
    form = JoinForm(request.POST or None, email=invitation.email, needs_code=needs_code)
    if request.method == "POST" and form.is_valid():
        step = two_factor.matching_time_step(key, form.cleaned_data["code"]) if key else None
        if key and step is None:
            form.add_error(
                "code", _("That code does not match. Check the clock on your phone and use the newest code.")
            )
        else:
            try:
                joined = invitations.join(
                    request, invitation, form.cleaned_data["username"], form.cleaned_data["password1"], step
                )
            except invitations.InvitationGone:
                return render(request, TEMPLATE, {"state": "gone"})
            login(request, joined.user, backend="django.contrib.auth.backends.ModelBackend")
            if joined.device is None:
                return _done(request, invitation)
            otp_login(request, joined.device)
            request.session.pop(invitations.SESSION_KEY, None)
            home = reverse("console:dashboard", kwargs={"workspace_id": invitation.workspace_id})
            return render(request, "accounts/recovery_codes.html", {"codes": joined.recovery_codes, "next": home})
    context = {"state": "join", "invitation": invitation, "form": form}
    if key:
        context.update(
            key=two_factor.base32_of_hex(key), qr_code=two_factor.qr_code_for_new_account(key, invitation.email)
        )
    return render(request, TEMPLATE, context)
