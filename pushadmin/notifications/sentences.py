"""What each step of a campaign's life says to the people who hear of it, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext, gettext_noop

from pushadmin.console import recorded_reasons

REVIEWERS, AUTHORS, AUTHORS_AND_ADMINS = "reviewers", "authors", "authors and admins"

# action → (who hears, what they read, which page it opens); each reads it in their own language.
RULES: dict[str, tuple[str, str, str]] = {
    "campaign.submitted": (
        REVIEWERS,
        gettext_noop("“{name}” waits for your review ({actor} submitted it)."),
        "reviews:review",
    ),
    "campaign.approved": (AUTHORS, gettext_noop("“{name}” was approved by {actor}."), "delivery:progress"),
    "campaign.rejected": (AUTHORS, gettext_noop("“{name}” was rejected by {actor}: {reason}"), "campaigns:detail"),
    "campaign.paused": (AUTHORS_AND_ADMINS, gettext_noop("“{name}” was paused by {actor}."), "delivery:progress"),
    "campaign.auto_paused": (AUTHORS_AND_ADMINS, gettext_noop("“{name}” paused itself: {reason}"), "delivery:progress"),
    "campaign.sent": (AUTHORS, gettext_noop("“{name}” was sent: every message was accepted."), "delivery:progress"),
    "campaign.partly_sent": (
        AUTHORS,
        gettext_noop("“{name}” finished partly sent; see the rejected messages."),
        "delivery:progress",
    ),
    "campaign.failed": (
        AUTHORS_AND_ADMINS,
        gettext_noop("“{name}” failed: no message was accepted."),
        "delivery:progress",
    ),
    "campaign.recalled": (
        AUTHORS_AND_ADMINS,
        gettext_noop("“{name}” was recalled from phones by {actor}: {reason}"),
        "safety:recall",
    ),
}


def sentence_text(sentence: str, params: Mapping[str, Any]) -> str:
    """`sentence` (a msgid of RULES) in the active language, filled from the stored `params`."""
    given = str(params.get("reason") or "")
    # A reason the product wrote (an automatic pause) reads in the active language too; a person's as typed.
    reason = recorded_reasons.readable(given) if given else gettext("no reason given")
    return gettext(sentence).format(name=params.get("name", ""), actor=params.get("actor", ""), reason=reason)[:500]


def text_of(kind: str, params: Mapping[str, Any], stored: str) -> str:
    """A notification in the active language; one written before its params were kept reads as stored."""
    rule = RULES.get(kind)
    if rule is None or not params:
        return stored
    return sentence_text(rule[1], params)
