"""The meanings of mPaaS result codes in the reader's language.

`pushadmin.mpaas.errors.MEANINGS` marks its plain-English meanings for the catalogue itself (with a
marker of its own: it knows nothing of Django). Messages keep the English meaning they were recorded
with, and pages translate it when they show it.
"""

from __future__ import annotations

from django.utils.translation import gettext


def in_language(text: str) -> str:
    """A recorded meaning (or any text) in the active language; text without a translation as it is."""
    return gettext(text) if text else text
