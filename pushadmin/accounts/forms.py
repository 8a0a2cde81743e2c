from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pushadmin.accounts import login_throttle
from pushadmin.accounts.models import Role
from pushadmin.audit import trail
from pushadmin.console.request_numbers import is_whole_number

if TYPE_CHECKING:
    _UserCreationForm = UserCreationForm[User]
else:  # Django's forms take no type parameter at run time
    _UserCreationForm = UserCreationForm


class InvitationForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"), max_length=254)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip()


class JoinForm(_UserCreationForm):
    """The invitee chooses a username and password (Django's validators), and confirms the
    authenticator when the workspace requires two-factor sign-in for the role."""

    code = forms.CharField(
        label=gettext_lazy("Six-digit code from the app"),
        min_length=6,
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]{6}"}),
    )

    def __init__(self, *args: Any, email: str, needs_code: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.email = email  # so the similarity validator compares the password with it
        if needs_code:
            self.fields["code"].required = True
        else:
            del self.fields["code"]


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing names and addresses with too many recent failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That username and password didn't match. Please try again.",
        "locked": "Too many failed sign-ins for this account or from your network. "
        "Sign-in is paused for %(minutes)s; try again later.",
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # a field is missing: no password is checked, nothing to count
        ip = login_throttle.client_ip(self.request)
        try:
            slots = login_throttle.take_slots(username, ip)
        except login_throttle.SignInPaused as paused:
            if paused.first_refusal:  # one entry per pause, not one per refused attempt
                trail.record(
                    "user.login_locked",
                    actor_label=f"anonymous ({login_throttle.normalise(username)})",
                    request=self.request,
                    detail={
                        "username": login_throttle.normalise(username),
                        "paused": paused.paused,
                        "seconds_left": paused.seconds_left,
                    },
                )
            minutes = max(1, math.ceil(paused.seconds_left / 60))
            raise ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"minutes": f"{minutes} minute" + ("" if minutes == 1 else "s")},
            ) from None
        try:
            data = super().clean()
        except ValidationError:
            login_throttle.forget_old_counters()  # the slot taken stays as the failure
            raise
        login_throttle.forgive(slots)
        return data


class OneTimeCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Six-digit code"),
        min_length=6,
        max_length=6,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]{6}", "autofocus": True}
        ),
        help_text=gettext_lazy("From your authenticator app; it changes every 30 seconds."),
    )

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"].replace(" ", "")
        if not is_whole_number(code):
            raise forms.ValidationError(_("The code is six digits, 0 to 9."))
        return code


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Recovery code"),
        max_length=40,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "autofocus": True}),
        help_text=gettext_lazy("One of the ten codes you saved when you set up two-factor sign-in, e.g. abcde-fghjk."),
    )
