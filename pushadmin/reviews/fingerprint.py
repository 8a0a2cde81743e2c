"""The fingerprint of exactly what a campaign will send, and the snapshot kept with an approval.

The fingerprint is a sha256 over the campaign's content (template name, title and text),
options, strategy, missing-data policy and fallbacks, delivery type, and every message row
(seq, target, values, extended params, MsgKey) in seq order. Rows are read in keyset pages,
so a campaign of a million targets is hashed in constant memory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from pushadmin.campaigns.models import Campaign
from pushadmin.delivery.models import Message

FINGERPRINT_VERSION = "pushadmin-fingerprint-1"
ROW_PAGE_SIZE = 5000


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def content_of(campaign: Campaign) -> dict[str, Any]:
    """Everything except the rows that decides what is sent (and what a reviewer compares)."""
    template = campaign.template
    return {
        "template": {"name": template.name, "title": template.title, "content": template.content},
        "delivery_type": campaign.delivery_type,
        "options": campaign.options,
        "strategy": campaign.strategy,
        "missing_policy": campaign.missing_policy,
        "fallback_values": campaign.fallback_values,
    }


def message_rows(campaign_id: int, page_size: int = ROW_PAGE_SIZE) -> Iterator[tuple[Any, ...]]:
    """(seq, target, values, extended_params, msg_key) of every row, in seq order."""
    fields = ("seq", "target", "values", "extended_params", "msg_key")
    last_seq = 0
    while True:
        page = list(
            Message.objects.filter(campaign_id=campaign_id, seq__gt=last_seq)
            .order_by("seq")
            .values_list(*fields)[:page_size]
        )
        if not page:
            return
        yield from page
        last_seq = page[-1][0]


def compute_fingerprint(campaign: Campaign) -> str:
    digest = hashlib.sha256()
    digest.update(FINGERPRINT_VERSION.encode() + b"\n")
    digest.update(_canonical(content_of(campaign)) + b"\n")
    count = 0
    for row in message_rows(campaign.pk):
        digest.update(_canonical(list(row)) + b"\n")
        count += 1
    digest.update(f"rows:{count}".encode())
    return digest.hexdigest()


def snapshot_of(campaign: Campaign) -> dict[str, Any]:
    """What an approval remembers so the next review can show a diff against it."""
    messages = Message.objects.filter(campaign_id=campaign.pk)
    return {
        **content_of(campaign),
        "name": campaign.name,
        "revision": campaign.revision,
        "audience": campaign.audience.name if campaign.audience_id else "",
        "message_count": messages.count(),
        "skipped_count": messages.filter(status="skipped").count(),
    }
