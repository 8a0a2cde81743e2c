from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pushadmin.console.recorded_reasons import readable
from pushadmin.webhooks import addresses
from pushadmin.webhooks.models import Event


class EndpointForm(forms.Form):
    url = forms.URLField(
        label="URL", max_length=500, assume_scheme="https", help_text=_("Where pushadmin POSTs each event.")
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(label=_("Events"), choices=Event.choices, widget=forms.CheckboxSelectMultiple)

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"].strip()
        reason = addresses.refusal(url)
        if reason:
            raise forms.ValidationError(readable(reason))
        return url

    def endpoint_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"url": data["url"], "description": data["description"], "events": sorted(data["events"])}
