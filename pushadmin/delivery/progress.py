"""Figures for the progress page: counts, current rate, ETA and outcomes over time.

Everything is read from the message rows, the same rows the workers write, so what the
page shows is what the database holds (reliability notes, invariant I3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery.models import Attempt, AttemptResult, Message, MessageStatus

RATE_WINDOW_SECONDS = 20
CHART_BUCKETS = 24
CHART_WIDTH = 720
CHART_HEIGHT = 160
LIVE_STATES = (CampaignStatus.APPROVED, CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.PAUSED)


@dataclass(frozen=True)
class Bar:
    status: str
    label: str
    count: int
    total: int

    @property
    def percent(self) -> float:
        return round(100 * self.count / self.total, 1) if self.total else 0.0


@dataclass(frozen=True)
class ChartColumn:
    x: int
    width: int
    stacks: list[tuple[str, int, int]]  # (css class, y, height)
    label: str
    title: str


@dataclass
class Chart:
    columns: list[ChartColumn] = field(default_factory=list)
    peak: int = 0
    start_label: str = ""
    end_label: str = ""
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT


@dataclass
class Progress:
    counts: dict[str, int]
    total: int
    bars: list[Bar]
    remaining: int
    done: int
    rate_per_second: float
    eta_seconds: float | None
    live: bool
    api_calls: int
    chart: Chart

    @property
    def done_percent(self) -> float:
        return round(100 * self.done / self.total, 1) if self.total else 100.0

    @property
    def eta_text(self) -> str:
        if self.eta_seconds is None:
            return "—"
        seconds = int(self.eta_seconds)
        if seconds < 60:
            return f"{seconds} s"
        if seconds < 3600:
            return f"{seconds // 60} min {seconds % 60} s"
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def campaign_progress(campaign: Campaign, now: datetime | None = None) -> Progress:
    now = now or timezone.now()
    rows = Message.objects.filter(campaign=campaign).values("status").annotate(n=Count("pk")).order_by()
    counts = {row["status"]: row["n"] for row in rows}
    total = sum(counts.values())
    remaining = sum(counts.get(s, 0) for s in (MessageStatus.DRAFT, MessageStatus.PENDING, MessageStatus.IN_FLIGHT))
    bars = [
        Bar("accepted", _("Accepted"), counts.get(MessageStatus.ACCEPTED, 0), total),
        Bar("rejected", _("Rejected"), counts.get(MessageStatus.REJECTED, 0), total),
        Bar("unknown", _("Unknown"), counts.get(MessageStatus.UNKNOWN, 0), total),
        Bar("remaining", _("Remaining"), remaining, total),
    ]
    for status, label in (
        (MessageStatus.SKIPPED, _("Skipped")),
        (MessageStatus.CANCELLED, _("Cancelled")),
        (MessageStatus.SUPPRESSED, _("Suppressed")),
        (MessageStatus.CAPPED, _("Held back by the cap")),
        (MessageStatus.RECALLED, _("Recalled")),
    ):
        if counts.get(status):
            bars.append(Bar(str(status), label, counts[status], total))
    live = campaign.status in LIVE_STATES
    rate = recent_rate(campaign, now) if campaign.status == CampaignStatus.SENDING else 0.0
    eta = remaining / rate if rate > 0 and remaining else None
    return Progress(
        counts=counts,
        total=total,
        bars=bars,
        remaining=remaining,
        # Cancelled rows were never sent: they are not progress, whatever the campaign's state.
        done=total - remaining - counts.get(MessageStatus.CANCELLED, 0),
        rate_per_second=round(rate, 1),
        eta_seconds=eta,
        live=live,
        api_calls=Attempt.objects.filter(campaign=campaign).count(),
        chart=outcome_chart(campaign, now),
    )


def recent_rate(campaign: Campaign, now: datetime) -> float:
    """Messages settled per second over the last RATE_WINDOW_SECONDS, or since sending started if later.

    Dividing by the whole window while sending has run for only part of it would make the first
    seconds look several times slower than they are.
    """
    window_start = now - timedelta(seconds=RATE_WINDOW_SECONDS)
    recent = Attempt.objects.filter(campaign=campaign, settled__gt=0, started_at__gte=window_start)
    settled: int | None = recent.aggregate(n=Sum("settled"))["n"]
    if not settled:
        return 0.0
    since = max(window_start, campaign.started_at or window_start)
    elapsed = max((now - since).total_seconds(), 1.0)
    return settled / elapsed


CHART_CLASS: dict[str, str] = {
    AttemptResult.ACCEPTED: "chart-accepted",
    AttemptResult.REJECTED: "chart-rejected",
    AttemptResult.AMBIGUOUS: "chart-unknown",
}
CHART_WORD = {
    "chart-accepted": gettext_lazy("accepted"),
    "chart-rejected": pgettext_lazy("message outcome", "rejected"),
    "chart-unknown": gettext_lazy("unknown"),
}


def outcome_chart(campaign: Campaign, now: datetime) -> Chart:
    """Stacked columns of accepted / rejected / unknown messages per time slice since sending began.

    Read from the attempt rows (one per call, each knowing how many messages it settled), so a
    million-message campaign costs ten thousand small rows here, not a million.
    """
    calls = list(
        Attempt.objects.filter(campaign=campaign, settled__gt=0)
        .order_by("started_at")
        .values_list("started_at", "outcome", "settled")
    )
    if not calls:
        return Chart()
    start = calls[0][0]
    end = max(calls[-1][0], start + timedelta(seconds=CHART_BUCKETS))
    step = (end - start) / CHART_BUCKETS
    per_bucket: list[dict[str, int]] = [{} for _ in range(CHART_BUCKETS)]
    for started_at, outcome, settled in calls:
        index = min(int((started_at - start) / step), CHART_BUCKETS - 1)
        css = CHART_CLASS.get(outcome)
        if css:
            per_bucket[index][css] = per_bucket[index].get(css, 0) + settled
    peak = max(sum(b.values()) for b in per_bucket) or 1
    width = CHART_WIDTH // CHART_BUCKETS
    columns = []
    for index, bucket in enumerate(per_bucket):
        y = CHART_HEIGHT
        stacks = []
        for css in CHART_CLASS.values():
            height = round(CHART_HEIGHT * bucket.get(css, 0) / peak)
            if height:
                y -= height
                stacks.append((css, y, height))
        moment = timezone.localtime(start + step * index).strftime("%H:%M:%S")
        parts = _(", ").join(
            _("%(count)s %(outcome)s") % {"count": bucket.get(css, 0), "outcome": word}
            for css, word in CHART_WORD.items()
        )
        title = _("from %(moment)s: %(parts)s") % {"moment": moment, "parts": parts}
        columns.append(ChartColumn(index * width, width - 2, stacks, moment, title))
    return Chart(
        columns=columns,
        peak=peak,
        start_label=timezone.localtime(start).strftime("%H:%M:%S"),
        end_label=timezone.localtime(end).strftime("%H:%M:%S"),
    )
