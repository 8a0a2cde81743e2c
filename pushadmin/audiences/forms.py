"""The audience form: a name, a delivery type, and a file or pasted rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pushadmin.audiences.models import Audience
from pushadmin.audiences.uploads import RefusedUpload
from pushadmin.workspaces.models import Workspace

if TYPE_CHECKING:
    _AudienceModelForm = forms.ModelForm[Audience]
else:  # Django's ModelForm takes no type parameter at run time
    _AudienceModelForm = forms.ModelForm


class AudienceForm(_AudienceModelForm):
    upload = forms.FileField(
        label=gettext_lazy("CSV file"),
        required=False,
        help_text=gettext_lazy(
            "A 'target' column, one column per placeholder, optionally 'extendedParams'. "
            "UTF-8 (with or without BOM) or GBK/GB18030; commas, semicolons or tabs."
        ),
    )
    pasted = forms.CharField(
        label=gettext_lazy("Or paste or type the rows"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "target,name,money\nuserid1024,Zhang San,200"}),
        help_text=gettext_lazy("The first line names the columns. A list of targets alone (one per line) works too."),
    )

    class Meta:
        model = Audience
        fields = ["name", "delivery_type"]
        labels = {"name": gettext_lazy("Name"), "delivery_type": gettext_lazy("Delivery type")}

    def __init__(
        self,
        *args: Any,
        workspace: Workspace,
        require_source: bool = True,
        refused_upload: RefusedUpload | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.instance.workspace = workspace
        self.require_source = require_source
        self.refused_upload = refused_upload  # skipped while the body streamed in (uploads.py)

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if Audience.objects.filter(workspace=self.workspace, name=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This workspace already has an audience called “%(name)s”.") % {"name": name})
        return name

    def clean_upload(self) -> Any:
        if self.refused_upload is not None:
            raise forms.ValidationError(self.refused_upload.message)
        upload = self.cleaned_data.get("upload")
        limit = settings.PUSHADMIN_MAX_UPLOAD_MB
        if upload and upload.size > limit * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is %(value)s MB; the limit is %(limit)s MB.")
                % {"value": f"{upload.size / 1048576:.0f}", "limit": limit}
            )
        return upload

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # ModelForm.clean returns cleaned_data
        upload, pasted = data.get("upload"), (data.get("pasted") or "").strip()
        if upload and pasted:
            self.add_error("pasted", _("Choose a file or paste rows, not both."))
        elif self.require_source and not upload and not pasted and "upload" not in self.errors:
            self.add_error("upload", _("Choose a CSV file or paste the rows."))
        return data

    def source_bytes(self) -> tuple[str, list[bytes]]:
        """('upload' | 'paste', the content in chunks) for the import to store."""
        upload = self.cleaned_data.get("upload")
        if upload:
            return "upload", upload.chunks()
        text = self.cleaned_data["pasted"].strip("\ufeff").strip()
        first = text.splitlines()[0] if text else ""
        if "target" not in [cell.strip().lower() for cell in first.replace(";", ",").replace("\t", ",").split(",")]:
            text = "target\n" + text  # a bare list of targets
        return "paste", [text.encode("utf-8") + b"\n"]
