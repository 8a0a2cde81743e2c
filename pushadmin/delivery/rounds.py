"""Which rejected rows a "resend failed only" round takes.

Rows mPaaS refused for their own content would only be refused again, so a round leaves them
as they are; so does every row rejected in the round itself.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from pushadmin.campaigns.models import Campaign
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.mpaas import errors

# How the record of a row mPaaS refused on its own starts: sent again unchanged, it would be refused again.
CULPRIT_NOTE = "Refused for this row's own content"


def refused_for_own_content() -> Q:
    return Q(result_code__in=errors.ROW_CAUSED_CODES, result_message__startswith=CULPRIT_NOTE)


def rejected_before_this_round(campaign: Campaign) -> QuerySet[Message]:
    """Rejected rows a resend round has still to take (rows rejected in this round stay as they are,
    and so do rows refused for their own content, which would only be refused again)."""
    return Message.objects.filter(
        campaign=campaign, status=MessageStatus.REJECTED, send_round__lt=campaign.send_round
    ).exclude(refused_for_own_content())
