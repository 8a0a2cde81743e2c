from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pushadmin.accounts.models import Role, workspaces_of
from pushadmin.workspaces.models import Workspace

LIFETIMES = [("7", _("7 days")), ("30", _("30 days")), ("90", _("90 days")), ("365", _("1 year"))]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What it is for, e.g. “CRM export”."))
    workspace = forms.ModelChoiceField(label=_("Workspace"), queryset=Workspace.objects.none())
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only roles you hold there count."),
    )
    lifetime = forms.ChoiceField(label=_("Expires after"), choices=LIFETIMES, initial="90")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Workspace]", self.fields["workspace"]).queryset = workspaces_of(user)

    def expires_at(self) -> Any:
        return timezone.now() + timedelta(days=int(self.cleaned_data["lifetime"]))
