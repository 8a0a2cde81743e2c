"""Who shaped what a campaign sends, and so may not approve it.

Four-eyes covers every part of the content, not only the campaign row: the people who created
or edited the campaign (its rows included), who wrote or changed the template's text, and who
created the audience or imported rows into it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from pushadmin.audiences.models import AudienceImport, ImportRunStatus
from pushadmin.campaigns.models import Campaign


@dataclass(frozen=True)
class Contribution:
    user_id: int
    username: str
    part: str  # "created this campaign", "wrote the template “x”", …


def contributions(campaign: Campaign) -> list[Contribution]:
    """Every (person, part) of the campaign's content, in the order a reviewer reads them."""
    parts: list[tuple[int, str]] = [(campaign.created_by_id, _("created this campaign"))]
    parts += [(pk, _("edited this campaign or its rows")) for pk in campaign.editors.values_list("pk", flat=True)]
    template = campaign.template
    parts.append((template.created_by_id, _("wrote the template “%(name)s”") % {"name": template.name}))
    parts += [
        (pk, _("changed the template “%(name)s”") % {"name": template.name})
        for pk in template.editors.values_list("pk", flat=True)
    ]
    if campaign.audience_id is not None:
        audience = campaign.audience
        assert audience is not None
        parts.append((audience.created_by_id, _("created the audience “%(name)s”") % {"name": audience.name}))
        importers = (
            AudienceImport.objects.filter(audience=audience, status=ImportRunStatus.DONE)
            .values_list("created_by_id", flat=True)
            .distinct()
        )
        parts += [(pk, _("imported rows into the audience “%(name)s”") % {"name": audience.name}) for pk in importers]
    names = dict(get_user_model().objects.filter(pk__in={pk for pk, _ in parts}).values_list("pk", "username"))
    seen: set[tuple[int, str]] = set()
    result = []
    for pk, part in parts:
        if (pk, part) not in seen:
            seen.add((pk, part))
            result.append(Contribution(pk, names.get(pk, "?"), part))
    return result


def why_excluded(campaign: Campaign, user_id: int) -> str | None:
    """The first part of the content this person shaped, as a reason they may not approve, or None."""
    for contribution in contributions(campaign):
        if contribution.user_id == user_id:
            return _("You %(part)s; four-eyes review needs someone who shaped none of its content.") % {
                "part": contribution.part
            }
    return None


def excluded_people(campaign: Campaign) -> dict[str, list[str]]:
    """Username → the parts they shaped, for the review page's 'who may not approve' list."""
    people: dict[str, list[str]] = {}
    for contribution in contributions(campaign):
        people.setdefault(contribution.username, []).append(contribution.part)
    return people
