"""Forms of the template pages and of the campaign builder's settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from pushadmin.audiences.models import Audience
from pushadmin.campaigns import rendering
from pushadmin.campaigns.models import Campaign, MissingDataPolicy, Template
from pushadmin.console.request_numbers import is_whole_number
from pushadmin.workspaces.models import Workspace

if TYPE_CHECKING:
    _TemplateModelForm = forms.ModelForm[Template]
    _CampaignModelForm = forms.ModelForm[Campaign]
else:  # Django's ModelForm takes no type parameter at run time
    _TemplateModelForm = _CampaignModelForm = forms.ModelForm

SAMPLE_PREFIX = "sample_"
FALLBACK_PREFIX = "fallback_"


class TemplateForm(_TemplateModelForm):
    class Meta:
        model = Template
        fields = ["name", "title", "content"]
        widgets = {"content": forms.Textarea(attrs={"rows": 4})}
        labels = {"name": gettext_lazy("Name"), "title": gettext_lazy("Title"), "content": gettext_lazy("Content")}
        help_texts = {
            "title": gettext_lazy("Shown in bold on the phone. May use #placeholders#."),
            "content": gettext_lazy("Write placeholders as #name#; each target supplies its own value."),
        }

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.instance.workspace = workspace
        for name in self.placeholder_names():
            initial = (self.instance.sample_values or {}).get(name, "")
            self.fields[SAMPLE_PREFIX + name] = forms.CharField(
                label=_("Sample value for #%(name)s#") % {"name": name},
                required=False,
                max_length=1000,
                initial=initial,
            )

    def placeholder_names(self) -> list[str]:
        title = self.data.get("title", self.instance.title) if self.is_bound else self.instance.title
        content = self.data.get("content", self.instance.content) if self.is_bound else self.instance.content
        return rendering.template_placeholders(title or "", content or "")

    def sample_fields(self) -> list[forms.BoundField]:
        return [self[SAMPLE_PREFIX + name] for name in self.placeholder_names()]

    def sample_values(self) -> dict[str, str]:
        if not self.is_bound:
            saved = self.instance.sample_values or {}
            return {name: saved[name] for name in self.placeholder_names() if saved.get(name)}
        source = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        values = {}
        for name in self.placeholder_names():
            value = source.get(SAMPLE_PREFIX + name) if source else self.data.get(SAMPLE_PREFIX + name)
            if value:
                values[name] = value
        return values

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if "," in name:
            raise forms.ValidationError(_("The API refuses template names with commas (it would read two templates)."))
        clash = Template.objects.filter(workspace=self.workspace, name=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("This workspace already has a template called “%(name)s”.") % {"name": name})
        return name

    def save(self, commit: bool = True) -> Template:
        self.instance.sample_values = self.sample_values()
        return super().save(commit=commit)


class CampaignForm(_CampaignModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "template", "delivery_type", "audience", "missing_policy"]
        labels = {
            "name": gettext_lazy("Name"),
            "template": gettext_lazy("Template"),
            "delivery_type": gettext_lazy("Delivery type"),
            "missing_policy": gettext_lazy("When a row misses a value"),
            "audience": gettext_lazy("Audience (optional)"),
        }
        help_texts = {
            "audience": gettext_lazy(
                "Its members become the rows below. Choosing a different audience replaces the rows."
            ),
            "delivery_type": gettext_lazy("What the targets are: device ids or user ids."),
        }
        widgets = {"missing_policy": forms.RadioSelect}

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.instance.workspace = workspace
        # The model's foreign keys and choices field get these form fields by default.
        template_field = cast("forms.ModelChoiceField[Template]", self.fields["template"])
        audience_field = cast("forms.ModelChoiceField[Audience]", self.fields["audience"])
        template_field.queryset = Template.objects.filter(workspace=workspace)
        audience_field.queryset = Audience.objects.filter(workspace=workspace)
        audience_field.label_from_instance = audience_label  # type: ignore[method-assign,assignment]
        cast(forms.ChoiceField, self.fields["missing_policy"]).choices = MissingDataPolicy.choices
        # The fallback fields follow the template being chosen (the posted one), decided once here:
        # validation later sets the instance's template, and the fields must not change under it.
        self._placeholders = self._placeholders_of(self._chosen_template())
        for name in self._placeholders:
            self.fields[FALLBACK_PREFIX + name] = forms.CharField(
                label=_("Fallback for #%(name)s#") % {"name": name},
                required=False,
                max_length=1000,
                initial=(self.instance.fallback_values or {}).get(name, ""),
                help_text=_("Used only under the fallback policy, for rows without a value."),
            )

    def _chosen_template(self) -> Template | None:
        posted = self.data.get("template") if self.is_bound else None
        if posted and is_whole_number(str(posted)):
            return Template.objects.filter(workspace=self.workspace, pk=int(posted)).first()
        return self.instance.template if self.instance.template_id else None

    @staticmethod
    def _placeholders_of(template: Template | None) -> list[str]:
        return rendering.template_placeholders(template.title, template.content) if template else []

    def placeholder_names(self) -> list[str]:
        return self._placeholders

    def fallback_fields(self) -> list[forms.BoundField]:
        return [self[FALLBACK_PREFIX + name] for name in self.placeholder_names()]

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # ModelForm.clean returns cleaned_data
        audience = data.get("audience")
        if audience and data.get("delivery_type") and audience.delivery_type != data["delivery_type"]:
            self.add_error(
                "audience",
                _("“%(name)s” holds %(lower)s targets; choose the same delivery type or another audience.")
                % {"name": audience.name, "lower": audience.get_delivery_type_display().lower()},
            )
        return data

    def fallback_values(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[FALLBACK_PREFIX + name]
            for name in self.placeholder_names()
            if self.cleaned_data.get(FALLBACK_PREFIX + name)
        }


def audience_label(audience: Audience) -> str:
    """An audience as the builder's list names it: its name and how many targets it holds."""
    return ngettext("%(name)s (%(count)s target)", "%(name)s (%(count)s targets)", audience.member_count) % {
        "name": audience.name,
        "count": f"{audience.member_count:,}",
    }
