"""Who hears about which step of a campaign's life, in a sentence of its own."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from pushadmin.accounts import preferences
from pushadmin.accounts.models import Membership, Role
from pushadmin.campaigns.models import Campaign
from pushadmin.campaigns.signals import campaign_moved
from pushadmin.notifications.models import Notification
from pushadmin.notifications.sentences import AUTHORS_AND_ADMINS, REVIEWERS, RULES, sentence_text


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
    params = {
        "name": campaign.name,
        "actor": actor.get_username() if isinstance(actor, User) else "pushadmin",
        "reason": str(detail.get("reason") or "").strip(),
    }
    link = reverse(page, kwargs={"workspace_id": campaign.workspace_id, "campaign_id": campaign.pk})

    people = recipients(campaign, audience, actor)
    languages = preferences.languages_for(people)

    def text_in(language: str) -> str:
        with translation.override(language):
            return sentence_text(sentence, params)

    made = Notification.objects.bulk_create(
        Notification(
            user_id=pk,
            workspace_id=campaign.workspace_id,
            campaign=campaign,
            kind=action,
            text=text_in(languages[pk]),  # for the mail, in the language the person chose
            params=params,  # the page writes it again in the language of whoever reads it
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
