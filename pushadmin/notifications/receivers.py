"""Who hears about which step of a campaign's life, in a sentence of its own."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from pushadmin.accounts import preferences
from pushadmin.accounts.models import Membership, Role
from pushadmin.campaigns.models import Campaign
from pushadmin.campaigns.signals import campaign_moved
from pushadmin.console import recorded_reasons
from pushadmin.notifications.models import Notification

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


def _authors(campaign: Campaign) -> set[int]:
    return {campaign.created_by_id, *campaign.editors.values_list("pk", flat=True)}


def _members(campaign: Campaign, role: str) -> set[int]:
    return set(
        Membership.objects.filter(workspace_id=campaign.workspace_id, role=role).values_list("user_id", flat=True)
    )


def recipients(campaign: Campaign, audience: str, actor: Any) -> list[int]:
    people = _members(campaign, Role.REVIEWER) if audience == REVIEWERS else _authors(campaign)
    if audience == AUTHORS_AND_ADMINS:
        people |= _members(campaign, Role.ADMIN)
    people.discard(getattr(actor, "pk", None))
    # Only people still in the workspace: a former member hears nothing more of it.
    still = set(Membership.objects.filter(workspace_id=campaign.workspace_id).values_list("user_id", flat=True))
    return sorted(people & still)


def notify(campaign: Campaign, action: str, actor: Any, detail: dict[str, Any]) -> list[Notification]:
    rule = RULES.get(action)
    if rule is None:
        return []
    audience, sentence, page = rule
    actor_name = actor.get_username() if isinstance(actor, User) else "pushadmin"
    given = str(detail.get("reason") or "").strip()
    link = reverse(page, kwargs={"workspace_id": campaign.workspace_id, "campaign_id": campaign.pk})

    people = recipients(campaign, audience, actor)
    languages = preferences.languages_for(people)

    def text_in(language: str) -> str:
        with translation.override(language):
            reason = recorded_reasons.readable(given) if given else gettext("no reason given")
            return gettext(sentence).format(name=campaign.name, actor=actor_name, reason=reason)[:500]

    made = Notification.objects.bulk_create(
        Notification(
            user_id=pk,
            workspace_id=campaign.workspace_id,
            campaign=campaign,
            kind=action,
            text=text_in(languages[pk]),
            link=link,
        )
        for pk in people
    )
    ids = [n.pk for n in made]  # SQLite and PostgreSQL both hand back the new ids
    if ids:
        transaction.on_commit(lambda: _mail_later(ids))
    return made


def _mail_later(ids: list[int]) -> None:
    from pushadmin.notifications.tasks import mail_notifications

    mail_notifications.delay(ids)


def _on_campaign_moved(sender: Any, campaign: Campaign, action: str, actor: Any, detail: Any, **_: Any) -> None:
    notify(campaign, action, actor, detail)


campaign_moved.connect(_on_campaign_moved, dispatch_uid="notifications-campaign-moved")
