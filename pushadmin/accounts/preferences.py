"""Each person's language and colour theme: saved on their account, chosen from the header.

Without a saved language the browser's Accept-Language decides (Django's LocaleMiddleware,
which also reads the language cookie the header's form sets for people not signed in).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from pushadmin.accounts.models import Language, Preference, Theme
from pushadmin.audit import trail


def saved_preference(request: HttpRequest) -> Preference | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    # Read once a request (the middleware and the header both ask), also when the person saved none.
    if not hasattr(request, "_pushadmin_preference"):
        request._pushadmin_preference = Preference.objects.filter(user=user).first()  # type: ignore[attr-defined]
    saved: Preference | None = request._pushadmin_preference  # type: ignore[attr-defined]
    return saved


def languages_for(user_ids: Iterable[int]) -> dict[int, str]:
    """The language to write to each person in where no request of theirs says it (mail sent by a worker,
    notifications made by someone else's action), read in one query."""
    ids = set(user_ids)
    chosen = dict(Preference.objects.filter(user_id__in=ids).values_list("user_id", "language"))
    return {pk: chosen.get(pk) or settings.LANGUAGE_CODE for pk in ids}


class PreferenceMiddleware:
    """Speaks the signed-in person's saved language, whatever their browser asks for."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        preference = saved_preference(request)
        if preference is not None and preference.language:
            translation.activate(preference.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


def appearance(request: HttpRequest) -> dict[str, Any]:
    """The header's switcher: languages, themes and what this person has chosen."""
    preference = saved_preference(request)
    return {
        "pref_languages": Language.choices,
        "pref_language": preference.language if preference else _cookie_language(request),
        "pref_themes": Theme.choices,
        "pref_theme": preference.theme if preference else Theme.SYSTEM,
    }


def _cookie_language(request: HttpRequest) -> str:
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return chosen if chosen in Language.values else ""


def _back(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return wanted
    return reverse(settings.LOGIN_REDIRECT_URL)


@login_not_required
@require_POST
def choose(request: HttpRequest) -> HttpResponse:
    """Saves the language and theme picked in the header, then goes back to the page it was on.

    People not signed in (the sign-in page) keep their language in a cookie only.
    """
    language = request.POST.get("language", "")
    theme = request.POST.get("theme", "")
    if language not in Language.values:
        language = ""
    response = HttpResponseRedirect(_back(request))
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax", secure=request.is_secure()
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    if request.user.is_authenticated:
        with transaction.atomic():
            preference, _ = Preference.objects.select_for_update().get_or_create(user=request.user)
            before = {"language": preference.language, "theme": preference.theme}
            preference.language = language
            if theme in Theme.values:
                preference.theme = theme
            after = {"language": preference.language, "theme": preference.theme}
            if after != before:
                preference.save(update_fields=["language", "theme"])
                trail.record("user.preferences_changed", request=request, obj=request.user, before=before, after=after)
    return response
