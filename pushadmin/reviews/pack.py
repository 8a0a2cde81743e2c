"""The reviewer pack: what a reviewer needs to judge a campaign before approving it.

Samples are rendered by the same renderer that sending uses. Rows with a preflight problem
come first; preflight (the builder's own check) reads the rows once in bounded memory.
"""

from __future__ import annotations

import difflib
import random
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from pushadmin.campaigns import payload, preflight, rendering
from pushadmin.campaigns.models import Campaign, DeliveryType, MissingDataPolicy
from pushadmin.campaigns.options import ChannelOptions
from pushadmin.campaigns.strategy import Strategy, summary
from pushadmin.delivery.models import Message
from pushadmin.reviews import approved_rows
from pushadmin.reviews.fingerprint import content_of, snapshot_of
from pushadmin.reviews.models import Approval, ApprovedRows

WARNING_SAMPLES = 20


@dataclass
class Sample:
    label: str
    seq: int
    target: str
    msg_key: str
    title: str
    body: str
    warnings: list[str] = field(default_factory=list)


def warnings_of(campaign: Campaign, rendered: rendering.Rendered) -> list[str]:
    """What a reviewer should notice about one rendered row (preflight adds the row-level problems)."""
    warnings = []
    if rendered.used_fallback:
        warnings.append(_("Uses the fallback for %(join)s") % {"join": ", ".join(rendered.used_fallback)})
    cut = rendered.truncated()
    if cut.title_cut or cut.body_cut:
        warnings.append(_("Longer than %(vendor)s shows; the phone cuts it") % {"vendor": cut.vendor})
    return warnings


def _sample(campaign: Campaign, label: str, seq: int, target: str, values: Any, msg_key: str) -> Sample:
    template = campaign.template
    rendered = rendering.render(template.title, template.content, values, payload.fallback_for(campaign))
    return Sample(label, seq, target, msg_key, rendered.title, rendered.body, warnings_of(campaign, rendered))


def samples_and_report(
    campaign: Campaign, rng: random.Random | None = None
) -> tuple[list[Sample], preflight.PreflightReport]:
    """Rows with a preflight problem first (up to WARNING_SAMPLES), then the first, a random and the last row.

    Preflight reads every row once in bounded memory; the samples are a handful of lookups.
    """
    report = preflight.preflight(campaign)
    problems: dict[int, list[str]] = {}
    for problem in report.problems:
        if problem.seq in problems or len(problems) < WARNING_SAMPLES:
            problems.setdefault(problem.seq, []).append(problem.message)
    rows = Message.objects.filter(campaign=campaign)
    warned = []
    for seq, target, values, msg_key in rows.filter(seq__in=problems).order_by("seq").values_list(*SAMPLE_FIELDS):
        sample = _sample(campaign, "Warning", seq, target, values, msg_key)
        sample.warnings = problems[seq] + sample.warnings
        warned.append(sample)
    return warned + _spread_samples(campaign, rows, set(problems), rng or random.Random()), report


SAMPLE_FIELDS = ("seq", "target", "values", "msg_key")


def _spread_samples(campaign: Campaign, rows: Any, shown: set[int], rng: random.Random) -> list[Sample]:
    first = rows.order_by("seq").values_list(*SAMPLE_FIELDS).first()
    last = rows.order_by("-seq").values_list(*SAMPLE_FIELDS).first()
    if first is None or last is None:
        return []
    picks = [(_("First row"), first), (_("Last row"), last)]
    if last[0] - first[0] > 1:
        middle = rows.filter(seq__gte=rng.randint(first[0] + 1, last[0] - 1)).order_by("seq")
        picks.insert(1, (_("Random row"), middle.values_list(*SAMPLE_FIELDS).first()))
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
        "Kind": "Service notice (sends through quiet hours)" if snapshot.get("service_notice") else "Marketing",
    }


def rows_summary(rows: approved_rows.RowsDiff) -> str:
    parts = [
        f"{count:,} row{'' if count == 1 else 's'} {what}"
        for count, what in ((rows.changed, "changed"), (rows.added, "added"), (rows.removed, "removed"))
        if count
    ]
    return "target rows changed: " + ", ".join(parts) + f" ({rows.unchanged:,} unchanged)"


def last_approved(campaign: Campaign) -> Approval | None:
    """The approval of the most recent earlier revision that was approved (voided or not)."""
    return (
        Approval.objects.filter(campaign=campaign, revision__lt=campaign.revision)
        .select_related("reviewer")
        .order_by("-revision", "-created_at")
        .first()
    )


def rows_diff_against(approval: Approval | None, campaign: Campaign) -> approved_rows.RowsDiff | None:
    """Rows added, removed and changed since the approved revision; None when its rows were not kept."""
    if approval is None:
        return None
    kept = ApprovedRows.objects.filter(campaign=campaign, revision=approval.revision).first()
    if kept is None:
        return None
    return approved_rows.diff(approved_rows.unpack(bytes(kept.packed)), approved_rows.current_rows(campaign.pk))


def diff_against(
    approval: Approval | None, campaign: Campaign, rows: approved_rows.RowsDiff | None = None
) -> list[Change]:
    """What a reviewer sees changed since `approval`; `rows` is its row diff when the approved rows were kept."""
    if approval is None:
        return []
    before, after = readable(approval.snapshot), readable(snapshot_of(campaign))
    changes = []
    for label, old in before.items():
        new = after.get(label, "")
        if old != new:
            changes.append(Change(label, old, new, word_diff(old, new) if label in ("Title", "Text") else []))
    same_content = all(approval.snapshot.get(key) == value for key, value in content_of(campaign).items())
    if rows is not None:
        if rows.any:
            changes.append(Change("Rows", _("as approved"), rows_summary(rows)))
    elif same_content and campaign.fingerprint and campaign.fingerprint != approval.fingerprint:
        # Only the rows can account for a different fingerprint, and this approval kept no copy of them.
        changes.append(Change("Rows", _("as approved"), _("target rows changed (targets, values or MsgKeys)")))
    return changes
