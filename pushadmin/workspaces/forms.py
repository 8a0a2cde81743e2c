from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pushadmin.workspaces.endpoints import endpoint_refusal
from pushadmin.workspaces.models import Workspace

if TYPE_CHECKING:
    _WorkspaceModelForm = forms.ModelForm[Workspace]
else:  # Django's ModelForm takes no type parameter at run time
    _WorkspaceModelForm = forms.ModelForm


class WorkspaceForm(_WorkspaceModelForm):
    """The secret is write-only: the field is always empty and blank keeps the stored one."""

    endpoint_url = forms.URLField(
        label=gettext_lazy("Endpoint URL"),
        max_length=200,
        assume_scheme="https",
        help_text=gettext_lazy("For example https://mpaas.cn-hangzhou.aliyuncs.com or the local sandbox."),
    )
    access_key_secret = forms.CharField(
        label=gettext_lazy("AccessKey secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Stored encrypted and never shown again. Leave blank to keep the current secret."),
    )

    class Meta:
        model = Workspace
        fields = [
            "name",
            "app_id",
            "mpaas_workspace_id",
            "tenant_id",
            "region",
            "endpoint_url",
            "api_version",
            "access_key_id",
            "signature_scheme",
            "calls_per_second",
            "ambiguous_policy",
            "required_approvals",
            "require_two_factor",
            "time_zone",
            "quiet_hours_start",
            "quiet_hours_end",
            "cap_messages",
            "cap_period",
        ]
        widgets = {
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        # Given here: a label from the model is capitalised, which would read "MPaaS AppId".
        labels = {
            "name": gettext_lazy("Name"),
            "app_id": gettext_lazy("mPaaS AppId"),
            "mpaas_workspace_id": gettext_lazy("mPaaS WorkspaceId"),
            "region": gettext_lazy("Region"),
            "signature_scheme": gettext_lazy("Signature version"),
            "required_approvals": gettext_lazy("Required approvals"),
            "time_zone": gettext_lazy("Time zone"),
            "quiet_hours_start": gettext_lazy("Quiet hours start"),
            "quiet_hours_end": gettext_lazy("Quiet hours end"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Left out, they keep what the workspace has (settings posted before these fields existed still save).
        for name in ("time_zone", "cap_period"):
            self.fields[name].required = False

    def clean_time_zone(self) -> str:
        value: str = self.cleaned_data.get("time_zone") or ""
        return value.strip() or self.instance.time_zone

    def clean_cap_period(self) -> str:
        value: str = self.cleaned_data.get("cap_period") or ""
        return value or self.instance.cap_period

    def clean_endpoint_url(self) -> str:
        url: str = self.cleaned_data["endpoint_url"].rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise forms.ValidationError(_("Use an http:// or https:// address."))
        parts = urlsplit(url)
        if parts.path or parts.query or parts.fragment or parts.username:
            # The API is served at "/" of the host; anything else would be signed and sent wrongly.
            raise forms.ValidationError(
                _("Give only the scheme, host and port, e.g. https://mpaas.cn-hangzhou.aliyuncs.com")
            )
        reason = endpoint_refusal(url)
        if reason:
            raise forms.ValidationError(reason)
        return url

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("quiet_hours_start"), data.get("quiet_hours_end")
        if (start is None) != (end is None):
            missing = "quiet_hours_end" if end is None else "quiet_hours_start"
            self.add_error(missing, _("Give both the start and the end of the quiet hours, or neither."))
        elif start is not None and start == end:
            self.add_error("quiet_hours_end", _("The quiet hours must end at another time than they start."))
        if not self.instance.has_secret and not data.get("access_key_secret"):
            self.add_error("access_key_secret", _("Enter the AccessKey secret for this AccessKey ID."))
        return data

    def save(self, commit: bool = True) -> Workspace:
        workspace = super().save(commit=False)
        if self.cleaned_data.get("access_key_secret"):
            workspace.set_secret(self.cleaned_data["access_key_secret"])
        if commit:
            workspace.save()
        return workspace

    def audit_values(self) -> dict[str, Any]:
        values = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        values["access_key_secret"] = "changed" if self.cleaned_data.get("access_key_secret") else ""
        return values
