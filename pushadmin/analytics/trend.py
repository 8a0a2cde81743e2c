"""The workspace's figures over time: a daily trend over up to 90 days, campaigns side by side, a CSV.

Read from the figures the sync keeps (no call to mPaaS while a page renders). A day is a day of
UTC+8, as mPaaS counts them; a task's figures count on the day it was sent (a loop's run on the
day it fired).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from pushadmin.analytics.funnel import CHANNEL_LABELS, Rates, rate
from pushadmin.analytics.models import ALL_CHANNELS, TaskFigures
from pushadmin.analytics.reading import ANDROID_CHANNELS
from pushadmin.analytics.sync import FIGURES
from pushadmin.mpaas.analysis import CHANNELS, PLATFORMS, PUSH_TYPES
from pushadmin.mpaas.validation import DEFAULT_STRATEGY_TIMEZONE, resolve_timezone
from pushadmin.workspaces.models import Workspace

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
CHANNELS_OF_PLATFORM = {
    "IOS": ("IOS",),
    "HARMONYOS": ("HARMONYOS",),
    "ANDROID": ANDROID_CHANNELS,
}
PUSH_TYPE_LABELS = {
    "SIMPLE": gettext_lazy("Simple"),
    "TEMPLATE": gettext_lazy("Template"),
    "MULTIPLE": gettext_lazy("Multiple"),
    "BROADCAST": gettext_lazy("Broadcast"),
}
FILTER_NAMES = {
    "platform": gettext_lazy("Platform"),
    "channel": gettext_lazy("Channel"),
    "push_type": gettext_lazy("Push type"),
}
CHOICES = {
    "platforms": [(p, {"IOS": "iOS", "ANDROID": "Android", "HARMONYOS": "HarmonyOS"}[p]) for p in PLATFORMS],
    "channels": [(c, CHANNEL_LABELS[c]) for c in CHANNELS],
    "push_types": [(t, PUSH_TYPE_LABELS.get(t, t.title())) for t in PUSH_TYPES],
    "periods": PERIODS,
}
# pushadmin sends every campaign with PushMultiple.
OUR_PUSH_TYPE = "MULTIPLE"
CHART_WIDTH = 720
CHART_HEIGHT = 160


@dataclass(frozen=True)
class Filters:
    platform: str = ""
    channel: str = ""
    push_type: str = ""
    days: int = DEFAULT_PERIOD
    problems: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> Filters:
        """The filters asked for; a value not offered is named in ``problems`` and not applied."""
        problems: list[str] = []
        values: dict[str, Any] = {}
        for name, allowed in (
            ("platform", PLATFORMS),
            ("channel", CHANNELS),
            ("push_type", PUSH_TYPES),
        ):
            value = (query.get(name) or "").strip()
            if value and value not in allowed:
                problems.append(
                    gettext("%(filter)s “%(value)s” is not one of the choices.")
                    % {"filter": FILTER_NAMES[name], "value": value[:40]}
                )
            elif value:
                values[name] = value
        raw_days = (query.get("days") or "").strip()
        if raw_days:
            if raw_days.isdigit() and int(raw_days) in PERIODS:
                values["days"] = int(raw_days)
            else:
                problems.append(gettext("Period must be 7, 30 or 90 days."))
        if (
            values.get("platform")
            and values.get("channel")
            and values["channel"] not in CHANNELS_OF_PLATFORM[values["platform"]]
        ):
            problems.append(gettext("That channel does not carry that platform's messages."))
        return cls(**values, problems=tuple(problems))

    def as_dict(self) -> dict[str, Any]:
        return {"platform": self.platform, "channel": self.channel, "push_type": self.push_type, "days": self.days}

    def query_string(self) -> str:
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in self.as_dict().items() if v})


def _zone() -> Any:
    return resolve_timezone(DEFAULT_STRATEGY_TIMEZONE)


def _rows(workspace: Workspace, filters: Filters, now: datetime) -> QuerySet[TaskFigures]:
    since = now - timedelta(days=filters.days)
    rows = TaskFigures.objects.filter(campaign__workspace=workspace, run_at__gte=since, run_at__lte=now)
    if filters.push_type and filters.push_type != OUR_PUSH_TYPE:
        return rows.none()
    if filters.channel:
        return rows.filter(channel=filters.channel)
    if filters.platform:
        return rows.filter(channel__in=CHANNELS_OF_PLATFORM[filters.platform])
    return rows.filter(channel=ALL_CHANNELS)


@dataclass
class Day(Rates):
    day: date
    push_total: int = 0
    pushed: int = 0
    arrived: int = 0
    opened: int = 0
    ignored: int = 0
    bars: list[tuple[str, int, int, int, int]] = field(default_factory=list)  # (css, x, y, width, height)


@dataclass
class Trend:
    days: list[Day]
    peak: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT

    @property
    def first_day(self) -> date | None:
        return self.days[0].day if self.days else None

    @property
    def last_day(self) -> date | None:
        return self.days[-1].day if self.days else None

    @property
    def totals(self) -> Day:
        total = Day(self.days[0].day if self.days else timezone.now().date())
        for day in self.days:
            for name in FIGURES:
                setattr(total, name, getattr(total, name) + getattr(day, name))
        return total


def daily_trend(workspace: Workspace, filters: Filters, now: datetime | None = None) -> Trend:
    now = now or timezone.now()
    zone = _zone()
    last = now.astimezone(zone).date()
    days = {last - timedelta(days=offset): Day(last - timedelta(days=offset)) for offset in range(filters.days)}
    for row in _rows(workspace, filters, now).values("run_at", *FIGURES):
        day = days.get(row["run_at"].astimezone(zone).date())
        if day is not None:
            for name in FIGURES:
                setattr(day, name, getattr(day, name) + row[name])
    ordered = [days[d] for d in sorted(days)]
    peak = max([d.pushed for d in ordered] + [1])
    slot = CHART_WIDTH / len(ordered)
    width = max(int(slot / 3) - 1, 1)
    for index, day in enumerate(ordered):
        for offset, (css, value) in enumerate(
            (("trend-pushed", day.pushed), ("trend-arrived", day.arrived), ("trend-opened", day.opened))
        ):
            height = round(CHART_HEIGHT * value / peak)
            day.bars.append((css, round(index * slot) + offset * (width + 1), CHART_HEIGHT - height, width, height))
    return Trend(ordered, peak)


@dataclass(frozen=True)
class Compared(Rates):
    campaign_id: int
    name: str
    sent: datetime
    push_total: int
    pushed: int
    arrived: int
    opened: int
    ignored: int


def compared(workspace: Workspace, filters: Filters, now: datetime | None = None, limit: int = 20) -> list[Compared]:
    """The latest campaigns with figures in the period, side by side (their rates, not only counts)."""
    now = now or timezone.now()
    found: dict[int, dict[str, Any]] = {}
    for row in _rows(workspace, filters, now).values("campaign_id", "campaign__name", "run_at", *FIGURES):
        entry = found.setdefault(
            row["campaign_id"], {"name": row["campaign__name"], "sent": row["run_at"], **dict.fromkeys(FIGURES, 0)}
        )
        entry["sent"] = min(entry["sent"], row["run_at"])
        for name in FIGURES:
            entry[name] += row[name]
    rows = [Compared(campaign_id=pk, **entry) for pk, entry in found.items()]
    return sorted(rows, key=lambda c: c.sent, reverse=True)[:limit]


CSV_HEADER = [
    "campaign_id",
    "campaign",
    "day (UTC+8)",
    "channel",
    "targets_pushed_to_mpaas",
    "pushed",
    "arrived",
    "opened",
    "ignored",
    "arrival_rate_percent",
    "open_rate_percent",
    "read_at",
]


def csv_rows(workspace: Workspace, filters: Filters, now: datetime | None = None) -> Iterator[list[Any]]:
    now = now or timezone.now()
    zone = _zone()
    grouped: dict[tuple[int, str, date, str], dict[str, Any]] = {}
    rows = _rows(workspace, filters, now).values(
        "campaign_id", "campaign__name", "run_at", "channel", "read_at", *FIGURES
    )
    for row in rows.order_by("run_at"):
        key = (row["campaign_id"], row["campaign__name"], row["run_at"].astimezone(zone).date(), row["channel"])
        entry = grouped.setdefault(key, {**dict.fromkeys(FIGURES, 0), "read_at": row["read_at"]})
        entry["read_at"] = max(entry["read_at"], row["read_at"])
        for name in FIGURES:
            entry[name] += row[name]
    for (campaign_id, name, day, channel), entry in grouped.items():
        yield [
            campaign_id,
            name,
            day.isoformat(),
            channel or "all",
            entry["push_total"],
            entry["pushed"],
            entry["arrived"],
            entry["opened"],
            entry["ignored"],
            rate(entry["arrived"], entry["pushed"]),
            rate(entry["opened"], entry["arrived"]),
            entry["read_at"].isoformat(),
        ]
