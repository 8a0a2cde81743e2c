"""The fingerprint of exactly what a campaign will send, and the snapshot kept with an approval.

The fingerprint is a sha256 over the campaign's content (template name, title and text),
options, strategy, missing-data policy and fallbacks, delivery type, and every message row
(seq, target, values, extended params, MsgKey) in seq order. Rows are read in keyset pages,
so a campaign of a million targets is hashed in constant memory; their values are hashed as
the JSON text stored (the same text the sender reads), so a re-save that only reorders keys
counts as a change and sends the campaign back for review, never the other way round.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import TextField
from django.db.models.functions import Cast

from pushadmin.campaigns.models import Campaign
from pushadmin.delivery.models import Message

FINGERPRINT_VERSION = "pushadmin-fingerprint-1"
ROW_PAGE_SIZE = 5000


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def content_of(campaign: Campaign) -> dict[str, Any]:
    """Everything except the rows that decides what is sent (and what a reviewer compares)."""
    from pushadmin.safety.evidence import bound_to_approval

    template = campaign.template
    return {
        "template": {"name": template.name, "title": template.title, "content": template.content},
        "delivery_type": campaign.delivery_type,
        "options": campaign.options,
        "strategy": campaign.strategy,
        "missing_policy": campaign.missing_policy,
        "fallback_values": campaign.fallback_values,
        # Whether quiet hours hold the campaign back (a service notice sends through them).
        **bound_to_approval(campaign),
    }


def message_rows(
    campaign_id: int, page_size: int = ROW_PAGE_SIZE, *, stored_json: bool = False
) -> Iterator[tuple[Any, ...]]:
    """(seq, target, values, extended_params, msg_key) of every row, in seq order.

    With `stored_json`, values and extended params come as the JSON text the database holds
    (what the sender will read back), which spares decoding a million dicts to hash them.
    """
    rows = Message.objects.filter(campaign_id=campaign_id).order_by("seq")
    if stored_json:
        rows = rows.annotate(values_text=Cast("values", TextField()), params_text=Cast("extended_params", TextField()))
        fields: tuple[str, ...] = ("seq", "target", "values_text", "params_text", "msg_key")
    else:
        fields = ("seq", "target", "values", "extended_params", "msg_key")
    last_seq = 0
    while True:
        page = list(rows.filter(seq__gt=last_seq).values_list(*fields)[:page_size])
        if not page:
            return
        yield from page
        last_seq = page[-1][0]


def compute_fingerprint(
    campaign: Campaign, on_row: Callable[[int, str, str | None, str | None], None] | None = None
) -> str:
    """The fingerprint; `on_row(seq, target, values JSON, params JSON)` sees each row of the same pass."""
    digest = hashlib.sha256()
    digest.update(FINGERPRINT_VERSION.encode() + b"\n")
    digest.update(_canonical(content_of(campaign)) + b"\n")
    count = 0
    for seq, target, values, params, msg_key in message_rows(campaign.pk, stored_json=True):
        # Unit separators keep fields apart: no target or value can imitate a boundary.
        digest.update(f"{seq}\x1f{target}\x1f{values}\x1f{params}\x1f{msg_key}\x1e".encode())
        if on_row is not None:
            on_row(seq, target, values, params)
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
        "audience": campaign.audience.name if campaign.audience is not None else "",
        "message_count": messages.count(),
        "skipped_count": messages.filter(status="skipped").count(),
    }
