"""The reviewer pack: what a reviewer needs to judge a campaign before approving it.

Samples are rendered by the same renderer that sending uses. Rows with a warning come
first; rows are scanned in keyset pages, so memory stays flat whatever the audience size.
"""

from __future__ import annotations

import difflib
import random
from dataclasses import dataclass, field
from typing import Any

from pushadmin.campaigns import payload, rendering
from pushadmin.campaigns.models import Campaign, DeliveryType, MissingDataPolicy
from pushadmin.campaigns.options import ChannelOptions
from pushadmin.campaigns.strategy import Strategy, summary
from pushadmin.delivery.models import Message, MessageStatus
from pushadmin.reviews.fingerprint import content_of, message_rows, snapshot_of
from pushadmin.reviews.models import Approval

WARNING_SAMPLES = 20
SCAN_LIMIT = 200_000


@dataclass
class Sample:
    label: str
    seq: int
    target: str
    msg_key: str
    title: str
    body: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class Breakdown:
    total: int = 0
    scanned: int = 0
    with_warning: int = 0
    missing_values: int = 0
    using_fallback: int = 0
    unknown_values: int = 0
    cut_by_vendor_limit: int = 0
    with_extended_params: int = 0
    skipped: int = 0

    @property
    def scan_complete(self) -> bool:
        return self.scanned >= self.total


def warnings_of(campaign: Campaign, rendered: rendering.Rendered) -> list[str]:
    warnings = []
    if rendered.missing:
        consequence = "row will be skipped" if campaign.missing_policy == MissingDataPolicy.SKIP else "no value"
        warnings.append(f"Missing {', '.join(rendered.missing)} ({consequence})")
    if rendered.used_fallback:
        warnings.append(f"Uses the fallback for {', '.join(rendered.used_fallback)}")
    if rendered.unknown:
        warnings.append(f"Values the template does not use: {', '.join(rendered.unknown)}")
    cut = rendered.truncated()
    if cut.title_cut or cut.body_cut:
        warnings.append(f"Longer than {cut.vendor} shows; the phone cuts it")
    return warnings


def _sample(campaign: Campaign, label: str, seq: int, target: str, values: Any, msg_key: str) -> Sample:
    template = campaign.template
    rendered = rendering.render(template.title, template.content, values, payload.fallback_for(campaign))
    return Sample(label, seq, target, msg_key, rendered.title, rendered.body, warnings_of(campaign, rendered))


def samples_and_breakdown(campaign: Campaign, rng: random.Random | None = None) -> tuple[list[Sample], Breakdown]:
    """Warning rows first (up to WARNING_SAMPLES), then the first, a random and the last row."""
    rows = Message.objects.filter(campaign=campaign)
    breakdown = Breakdown(total=rows.count(), skipped=rows.filter(status=MessageStatus.SKIPPED).count())
    warned: list[Sample] = []
    for seq, target, values, extended, msg_key in message_rows(campaign.pk):
        if breakdown.scanned >= SCAN_LIMIT:
            break
        breakdown.scanned += 1
        sample = _sample(campaign, "Warning", seq, target, values, msg_key)
        breakdown.with_extended_params += bool(extended)
        if not sample.warnings:
            continue
        breakdown.with_warning += 1
        breakdown.missing_values += any(w.startswith("Missing") for w in sample.warnings)
        breakdown.using_fallback += any(w.startswith("Uses the fallback") for w in sample.warnings)
        breakdown.unknown_values += any(w.startswith("Values the template") for w in sample.warnings)
        breakdown.cut_by_vendor_limit += any(w.startswith("Longer than") for w in sample.warnings)
        if len(warned) < WARNING_SAMPLES:
            warned.append(sample)
    return warned + _spread_samples(campaign, rows, {s.seq for s in warned}, rng or random.Random()), breakdown


def _spread_samples(campaign: Campaign, rows: Any, shown: set[int], rng: random.Random) -> list[Sample]:
    fields = ("seq", "target", "values", "msg_key")
    first = rows.order_by("seq").values_list(*fields).first()
    last = rows.order_by("-seq").values_list(*fields).first()
    if first is None or last is None:
        return []
    picks = [("First row", first), ("Last row", last)]
    if last[0] - first[0] > 1:
        middle = rows.filter(seq__gte=rng.randint(first[0] + 1, last[0] - 1)).order_by("seq").values_list(*fields)
        picks.insert(1, ("Random row", middle.first()))
    samples = []
    for label, row in picks:
        if row is not None and row[0] not in shown:
            shown.add(row[0])
            samples.append(_sample(campaign, label, *row))
    return samples


@dataclass
class Change:
    label: str
    before: str
    after: str
    words: list[tuple[str, str]] = field(default_factory=list)  # (equal|removed|added, text)


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.split(" "), after.split(" ")
    parts: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(("equal", " ".join(old[i1:i2])))
            continue
        if i2 > i1:
            parts.append(("removed", " ".join(old[i1:i2])))
        if j2 > j1:
            parts.append(("added", " ".join(new[j1:j2])))
    return parts


def readable(snapshot: dict[str, Any]) -> dict[str, str]:
    """A snapshot as the plain-language lines a reviewer compares."""
    template = snapshot.get("template", {})
    options = ChannelOptions.from_json(snapshot.get("options"))
    fallbacks = snapshot.get("fallback_values") or {}
    return {
        "Name": str(snapshot.get("name", "")),
        "Template": str(template.get("name", "")),
        "Title": str(template.get("title", "")),
        "Text": str(template.get("content", "")),
        "Delivery type": str(DeliveryType(snapshot["delivery_type"]).label) if snapshot.get("delivery_type") else "",
        "Options": "; ".join(f"{label}: {meaning}" for label, meaning, _ in options.plain_words()),
        "Schedule": summary(Strategy.from_json(snapshot.get("strategy"))),
        "Missing values": str(MissingDataPolicy(snapshot["missing_policy"]).label)
        if snapshot.get("missing_policy")
        else "",
        "Fallbacks": ", ".join(f"{k} = {v}" for k, v in sorted(fallbacks.items())),
        "Audience": str(snapshot.get("audience", "")),
        "Messages": str(snapshot.get("message_count", "")),
    }


def last_approved(campaign: Campaign) -> Approval | None:
    """The approval of the most recent earlier revision that was approved (voided or not)."""
    return (
        Approval.objects.filter(campaign=campaign, revision__lt=campaign.revision)
        .select_related("reviewer")
        .order_by("-revision", "-created_at")
        .first()
    )


def diff_against(approval: Approval | None, campaign: Campaign) -> list[Change]:
    if approval is None:
        return []
    before, after = readable(approval.snapshot), readable(snapshot_of(campaign))
    changes = []
    for label, old in before.items():
        new = after.get(label, "")
        if old != new:
            changes.append(Change(label, old, new, word_diff(old, new) if label in ("Title", "Text") else []))
    same_content = all(approval.snapshot.get(key) == value for key, value in content_of(campaign).items())
    if same_content and campaign.fingerprint and campaign.fingerprint != approval.fingerprint:
        # Only the rows can account for a different fingerprint: the snapshot keeps no copy of them.
        changes.append(Change("Rows", "as approved", "target rows changed (targets, values or MsgKeys)"))
    return changes
