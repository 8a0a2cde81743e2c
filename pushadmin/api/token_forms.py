from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone

from pushadmin.accounts.models import Role, workspaces_of
from pushadmin.workspaces.models import Workspace

LIFETIMES = [("7", "7 days"), ("30", "30 days"), ("90", "90 days"), ("365", "1 year")]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is for, e.g. “CRM export”.")
    workspace = forms.ModelChoiceField(queryset=Workspace.objects.none())
    roles = forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple, help_text="Only roles you hold there count."
    )
    lifetime = forms.ChoiceField(label="Expires after", choices=LIFETIMES, initial="90")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Workspace]", self.fields["workspace"]).queryset = workspaces_of(user)

    def expires_at(self) -> Any:
        return timezone.now() + timedelta(days=int(self.cleaned_data["lifetime"]))
