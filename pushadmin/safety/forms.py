"""Forms of the safety pages: each field says what is wrong with it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pushadmin.audiences.csv_reading import MAX_TARGET_LENGTH
from pushadmin.safety.models import SuppressionReason


class SuppressionForm(forms.Form):
    target = forms.CharField(
        label=_("Target"), max_length=MAX_TARGET_LENGTH, help_text=_("The device id or user id, exactly as sent.")
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=SuppressionReason.choices)
    note = forms.CharField(
        label=_("Note"), max_length=300, required=False, help_text=_("For example the ticket or request number.")
    )


class SuppressionImportForm(forms.Form):
    upload = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "A 'target' column; optional 'reason' (opted out, complaint, legal hold) and 'note' columns. "
            "UTF-8 or GBK/GB18030; commas, semicolons or tabs."
        ),
    )
    reason = forms.ChoiceField(
        label=_("Reason for rows without one"), choices=SuppressionReason.choices, initial=SuppressionReason.OPTED_OUT
    )


class RemovalForm(forms.Form):
    why = forms.CharField(
        label=_("Why may this target be messaged again?"), max_length=300, help_text=_("Kept in the audit trail.")
    )


class RecallForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the recall"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The author is told, and the audit trail keeps it."),
    )


class CapExceptionForm(forms.Form):
    exception = forms.CharField(
        label=_("Why this campaign may pass the frequency cap"),
        max_length=300,
        help_text=_("Recorded with your approval; targets over the cap then receive this campaign."),
    )
