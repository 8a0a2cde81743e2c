"""Session rules that apply to every page: an absolute lifetime and the two-factor gate."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode

from pushadmin.accounts import two_factor

SIGNED_IN_AT_KEY = "pushadmin_signed_in_at"


@receiver(user_logged_in)
def remember_sign_in_time(sender: object, request: HttpRequest, **kwargs: object) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT_KEY] = int(timezone.now().timestamp())


class SessionLifetimeMiddleware:
    """Ends a session a fixed time after sign-in, however active it stayed (ASVS 7.3.2),
    and marks signed-in pages as not to be cached.

    The idle timeout is the session cookie age, renewed on every request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            # A session from before this rule started counts from now.
            signed_in_at = request.session.setdefault(SIGNED_IN_AT_KEY, int(timezone.now().timestamp()))
            max_age = settings.PUSHADMIN_SESSION_MAX_HOURS * 3600
            if timezone.now().timestamp() - signed_in_at > max_age:
                logout(request)
                return redirect(f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}")
        response = self.get_response(request)
        if request.user.is_authenticated and not response.has_header("Cache-Control"):
            # Pages for a signed-in person hold campaign data: keep them out of shared and
            # back-button caches (ASVS 14.3.2). Static files never reach this middleware.
            add_never_cache_headers(response)
        return response


class TwoFactorMiddleware:
    """After the password, a person with an authenticator must enter a code before any page;
    one whose workspace requires two-factor for their role must first enrol one."""

    OPEN_URL_NAMES = (
        "accounts:two_factor_verify",
        "accounts:two_factor_recover",
        "accounts:two_factor_enrol",
        "accounts:logout",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or two_factor.is_verified(user) or self._is_open(request):
            return self.get_response(request)
        if two_factor.confirmed_device(user) is not None:
            target = "accounts:two_factor_verify"
        elif two_factor.is_required_for(user):
            target = "accounts:two_factor_enrol"
        else:
            return self.get_response(request)
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")

    def _is_open(self, request: HttpRequest) -> bool:
        if request.path.startswith(f"/{settings.STATIC_URL.strip('/')}/"):
            return True
        match = getattr(request, "resolver_match", None)
        if match is None:
            from django.urls import Resolver404, resolve

            try:
                match = resolve(request.path_info)
            except Resolver404:
                return False
        return match.view_name in self.OPEN_URL_NAMES


class HtmxSignInRedirectMiddleware:
    """An htmx request whose session ended gets the sign-in page as a full-page redirect.

    Following the 302 inside htmx would swap the whole sign-in page into a table cell.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.headers.get("HX-Request") == "true" and response.status_code == 302:
            location = response.get("Location", "")
            sign_in_pages = (reverse(settings.LOGIN_URL), reverse("accounts:two_factor_verify"))
            if location.startswith(sign_in_pages):
                redirect_response = HttpResponse(status=204)
                redirect_response["HX-Redirect"] = location
                return redirect_response
        return response
