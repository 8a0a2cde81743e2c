"""Template filters for text recorded in English and shown in the reader's language."""

from __future__ import annotations

from django import template

from pushadmin.audit.descriptions import describe
from pushadmin.console.code_meanings import in_language
from pushadmin.console.recorded_reasons import readable_html

register = template.Library()


@register.filter
def meaning(text: object) -> str:
    """An mPaaS result code's recorded meaning, translated when the catalogue knows it."""
    return in_language(str(text)) if text else ""


@register.filter
def action_words(action: object) -> str:
    """An audit action code (`campaign.approved`) in the reader's words."""
    return describe(str(action))


@register.filter
def reason(text: object) -> str:
    """A reason stored in English (a pause, a disabled endpoint, a delivery's error) in the reader's words,
    its codes marked up as code."""
    return readable_html(str(text)) if text else ""
