"""A campaign's delivery funnel as the pages show it: our own counts, then what mPaaS said happened.

targets → accepted by mPaaS (our records) → pushed → arrived → opened (the rest of the arrivals
ignored), per vendor channel and platform, per run for loops, and its growth over the hours after
sending from the snapshots. Drawn on the server as SVG, with the same numbers in tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import F, Sum
from django.utils.translation import gettext, gettext_lazy

from pushadmin.analytics.models import ALL_CHANNELS, CampaignSync, Snapshot, TaskFigures
from pushadmin.analytics.sync import sums
from pushadmin.campaigns.models import Campaign
from pushadmin.delivery.finishing import message_counts
from pushadmin.delivery.models import MessageStatus

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CHANNEL_LABELS: dict[str, StrOrPromise] = {
    "HMS": gettext_lazy("Huawei (HMS)"),
    "HONOR": gettext_lazy("Honor"),
    "MIUI": gettext_lazy("Xiaomi"),
    "OPPO": "OPPO",
    "VIVO": "vivo",
    "FCM": "Google FCM",
    "ANDROID": gettext_lazy("mPaaS self-built"),
    "IOS": gettext_lazy("Apple (APNs)"),
    "HARMONYOS": "HarmonyOS",
}
PLATFORM_OF = {"IOS": "iOS", "HARMONYOS": "HarmonyOS"}
FUNNEL_WIDTH = 720
ROW_HEIGHT = 34
LABEL_WIDTH = 170
GROWTH_WIDTH = 720
GROWTH_HEIGHT = 160


def rate(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    count: int
    of_previous: float  # percent of the stage before
    of_targets: float
    width: int  # bar length in the SVG
    y: int


class Rates:
    """The rates (percent) of a row of figures: arrivals of the pushed, opens and ignores of the arrivals."""

    pushed: int
    arrived: int
    opened: int
    ignored: int

    @property
    def arrival_rate(self) -> float:
        return rate(self.arrived, self.pushed)

    @property
    def open_rate(self) -> float:
        return rate(self.opened, self.arrived)

    @property
    def ignore_rate(self) -> float:
        return rate(self.ignored, self.arrived)


@dataclass(frozen=True)
class Breakdown(Rates):
    """One channel's (or platform's, or run's) figures."""

    key: str
    label: str
    push_total: int
    pushed: int
    arrived: int
    opened: int
    ignored: int


@dataclass
class Growth:
    """Arrivals and opens over the hours after sending, one point per snapshot."""

    arrived_points: str = ""
    opened_points: str = ""
    hours: float = 0.0
    peak: int = 0
    rows: list[tuple[str, float, int, int]] = field(default_factory=list)  # (time, hours, arrived, opened)
    width: int = GROWTH_WIDTH
    height: int = GROWTH_HEIGHT


@dataclass
class CampaignFigures:
    stages: list[Stage]
    ignored: int
    channels: list[Breakdown]
    platforms: list[Breakdown]
    runs: list[Breakdown]
    growth: Growth
    own: dict[str, int]
    sync: CampaignSync | None
    has_figures: bool
    height: int = 0
    width: int = FUNNEL_WIDTH
    label_width: int = LABEL_WIDTH
    bar_room: int = FUNNEL_WIDTH - LABEL_WIDTH

    @property
    def own_outcomes(self) -> list[tuple[str, str, int]]:
        """Our own counts by message state, each with its label in the reader's language."""
        labels = dict(MessageStatus.choices)
        return [(status, str(labels.get(status, status)), count) for status, count in self.own.items()]

    @property
    def last_updated(self) -> datetime | None:
        return self.sync.last_read_at if self.sync else None


def _breakdown(key: str, label: str, values: dict[str, int]) -> Breakdown:
    return Breakdown(
        key,
        label,
        values.get("push_total", 0),
        values.get("pushed", 0),
        values.get("arrived", 0),
        values.get("opened", 0),
        values.get("ignored", 0),
    )


def campaign_figures(campaign: Campaign) -> CampaignFigures:
    own = message_counts(campaign.pk)
    targets = sum(own.values())
    accepted = own.get(MessageStatus.ACCEPTED, 0)
    total, by_channel = sums(campaign)
    counts = [
        ("targets", gettext("Targets"), targets),
        ("accepted", gettext("Accepted by mPaaS"), accepted),
        ("pushed", gettext("Pushed to channels"), total["pushed"]),
        ("arrived", gettext("Arrived on phones"), total["arrived"]),
        ("opened", gettext("Opened"), total["opened"]),
    ]
    stages: list[Stage] = []
    bar_room = FUNNEL_WIDTH - LABEL_WIDTH
    previous = targets
    for index, (key, label, count) in enumerate(counts):
        width = round(bar_room * count / targets) if targets else 0
        stages.append(Stage(key, label, count, rate(count, previous), rate(count, targets), width, index * ROW_HEIGHT))
        previous = count
    channels = [_breakdown(code, str(CHANNEL_LABELS.get(code, code)), values) for code, values in by_channel.items()]
    platforms: dict[str, dict[str, int]] = {}
    for code, values in by_channel.items():
        bucket = platforms.setdefault(PLATFORM_OF.get(code, "Android"), {})
        for name, value in values.items():
            bucket[name] = bucket.get(name, 0) + value
    sync = CampaignSync.objects.filter(campaign=campaign).first()
    return CampaignFigures(
        stages=stages,
        ignored=total["ignored"],
        channels=sorted(channels, key=lambda c: -c.push_total),
        platforms=[_breakdown(name, name, values) for name, values in sorted(platforms.items())],
        runs=runs_of(campaign),
        growth=growth_of(campaign),
        own=own,
        sync=sync,
        has_figures=TaskFigures.objects.filter(campaign=campaign).exists(),
        height=len(stages) * ROW_HEIGHT,
    )


def runs_of(campaign: Campaign) -> list[Breakdown]:
    """A loop's figures per run (its sub-tasks that fired at the same time, over all its calls)."""
    rows = (
        TaskFigures.objects.filter(campaign=campaign, channel=ALL_CHANNELS)
        .exclude(run_task_id=F("task_id"))
        .values("run_at")
        .annotate(
            push_total=Sum("push_total"),
            pushed=Sum("pushed"),
            arrived=Sum("arrived"),
            opened=Sum("opened"),
            ignored=Sum("ignored"),
        )
        .order_by("run_at")
    )
    return [
        _breakdown(
            str(index),
            gettext("Run %(number)s: %(when)s UTC") % {"number": index, "when": f"{row['run_at']:%Y-%m-%d %H:%M}"},
            {name: row[name] or 0 for name in ("push_total", "pushed", "arrived", "opened", "ignored")},
        )
        for index, row in enumerate(rows, start=1)
    ]


def growth_of(campaign: Campaign) -> Growth:
    snapshots = list(
        Snapshot.objects.filter(campaign=campaign).order_by("taken_at").values("taken_at", "arrived", "opened")
    )
    start = campaign.started_at
    if not snapshots or start is None:
        return Growth()
    points = [
        ((s["taken_at"] - start).total_seconds() / 3600, s["arrived"], s["opened"], s["taken_at"]) for s in snapshots
    ]
    hours = max(points[-1][0], 1.0)
    peak = max(max(p[1] for p in points), 1)

    def xy(h: float, value: int) -> str:
        return f"{round(GROWTH_WIDTH * max(h, 0) / hours, 1)},{round(GROWTH_HEIGHT - GROWTH_HEIGHT * value / peak, 1)}"

    return Growth(
        arrived_points=" ".join(xy(h, a) for h, a, _, _ in points),
        opened_points=" ".join(xy(h, o) for h, _, o, _ in points),
        hours=round(hours, 1),
        peak=peak,
        rows=[(f"{t:%Y-%m-%d %H:%M} UTC", round(h, 1), a, o) for h, a, o, t in points],
    )
