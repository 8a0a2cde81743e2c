from __future__ import annotations

from django import forms


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason for rejecting",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The author sees this and the campaign goes back to draft.",
        error_messages={"required": "Say why you reject it, so the author knows what to change."},
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Write something before posting a comment."},
    )
