from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from pushadmin.accounts.models import Membership, Role


class MembershipForm(forms.Form):
    username = forms.CharField(max_length=150, help_text="An existing pushadmin user.")
    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, *args: object, workspace: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.workspace = workspace

    def clean_username(self) -> object:
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(f"No active user is called “{username}”.")
        return user

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        user, role = data.get("username"), data.get("role")
        if user and role and Membership.objects.filter(user=user, workspace=self.workspace, role=role).exists():
            raise forms.ValidationError(f"{user} already holds the role {Role(role).label} here.")
        return data
