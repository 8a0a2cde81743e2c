"""How many of a campaign's messages each vendor will carry, against that vendor's daily limit.

The channel mix comes from the workspace's recent campaigns (what mPaaS reported per channel over
the last 30 days). The category each vendor sees comes from the campaign's options. The vendors'
daily limits for marketing ("public", "operational") messages are per app and depend on the
app's user count and rating, so an admin enters them from the vendor's console; each limit says
where it comes from. Messages in a vendor's service category ("private", "system") are not capped
per day once the vendor has approved the app's classification, so no limit applies to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django import forms
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from pushadmin.accounts.requests import WorkspaceRequest
from pushadmin.analytics.funnel import CHANNEL_LABELS
from pushadmin.analytics.models import ALL_CHANNELS, DeviceSample, TaskFigures, Vendor, VendorLimit
from pushadmin.audit import trail
from pushadmin.campaigns.models import Campaign
from pushadmin.campaigns.options import ChannelOptions
from pushadmin.delivery.models import Message
from pushadmin.mpaas.analysis import day_start_ms
from pushadmin.workspaces.models import Workspace

MIX_DAYS = 30
MARKETING = "marketing"
SERVICE = "service"
CATEGORY_CHOICES = [
    (MARKETING, gettext_lazy("Marketing (public / operational)")),
    (SERVICE, gettext_lazy("Service (private / system)")),
]
# The category as a word inside a sentence ("via Xiaomi marketing channel").
CATEGORY_WORDS = {MARKETING: gettext_lazy("marketing"), SERVICE: gettext_lazy("service")}
# Huawei's self-classification: 14 MARKETING; 1 to 13 are service kinds (IM, VOIP, SUBSCRIPTION … MAIL).
HMS_SERVICE_CATEGORIES = {str(n) for n in range(1, 14)}

# Where the rules come from, as shown next to each figure. The per-device caps are the vendors'
# published rules for marketing messages (they vary with the app's rating, hence a range).
RULE_SOURCES: dict[str, tuple[str, str]] = {
    "HMS": (
        gettext_noop(
            "Huawei Push Kit, “message classification and frequency control”: marketing messages capped per device "
            "per day (2 to 5 by app category); service kinds (set in ThirdChannelCategory.hms, approved by Huawei) "
            "uncapped.",
        ),
        "ThirdChannelCategory.hms",
    ),
    "HONOR": (
        gettext_noop(
            "Honor Push, “message classification”: marketing messages capped per device per day; "
            "service messages uncapped.",
        ),
        "ThirdChannelCategory.honor",
    ),
    "MIUI": (
        gettext_noop(
            "Xiaomi Push, “public and private message channels”: public messages capped per app per day by its active "
            "devices; private messages (a private channel id, MiChannelId) uncapped.",
        ),
        "MiChannelId",
    ),
    "OPPO": (
        gettext_noop(
            "OPPO Push, “public and private message”: public messages capped per app per day (a multiple of its "
            "registered users); private messages uncapped once the private channel is approved.",
        ),
        "ThirdChannelCategory.oppo",
    ),
    "VIVO": (
        gettext_noop(
            "vivo Push, “message classification”: operational messages (Classification 0) capped per app per day "
            "by its subscribed users; system messages (Classification 1) uncapped.",
        ),
        "Classification",
    ),
}


def category_for(vendor: str, options: ChannelOptions) -> str:
    """The category this vendor files the campaign's messages under, from its options."""
    if vendor == "HMS":
        return SERVICE if options.third_channel_category.get("hms") in HMS_SERVICE_CATEGORIES else MARKETING
    if vendor == "HONOR":
        return SERVICE if options.third_channel_category.get("honor") in ("1", "NORMAL") else MARKETING
    if vendor == "MIUI":
        return SERVICE if options.mi_channel_id else MARKETING
    if vendor == "OPPO":
        return SERVICE if options.third_channel_category.get("oppo") else MARKETING
    if vendor == "VIVO":
        # mPaaS's default Classification is 1 (system).
        return MARKETING if options.classification == "0" else SERVICE
    return SERVICE


def channel_mix(workspace: Workspace, *, days: int = MIX_DAYS) -> tuple[dict[str, float], str]:
    """Each channel's share of the messages mPaaS pushed for this workspace recently, and where it comes from.

    Without recent figures, the latest sample of targets' devices (PushQueryDeviceState) stands in.
    """
    mix = _figures_mix(workspace, days)
    if mix:
        return mix, gettext("the channel mix of this workspace's campaigns of the last %(days)s days") % {"days": days}
    sample = DeviceSample.objects.filter(workspace=workspace).order_by("-sampled_at").first()
    if sample is None or not sample.size:
        return {}, ""
    shares = {code: n / sample.size for code, n in sample.channels.items()}
    return shares, gettext("the devices of %(size)s targets asked of mPaaS on %(day)s") % {
        "size": sample.size,
        "day": f"{sample.sampled_at:%Y-%m-%d}",
    }


def _pushed_by_channel(workspace: Workspace, since: datetime) -> dict[str, int]:
    """Messages each channel carried for this workspace in runs since `since`, as far as the sync has read."""
    rows = (
        TaskFigures.objects.filter(campaign__workspace=workspace, run_at__gte=since)
        .exclude(channel=ALL_CHANNELS)
        .values("channel")
        .annotate(n=Sum("push_total"))
        .order_by()
    )
    return {row["channel"]: row["n"] or 0 for row in rows}


def _figures_mix(workspace: Workspace, days: int) -> dict[str, float]:
    counts = _pushed_by_channel(workspace, timezone.now() - timedelta(days=days))
    total = sum(counts.values())
    return {channel: n / total for channel, n in counts.items()} if total else {}


def sent_today(workspace: Workspace) -> dict[str, int]:
    """Messages each channel already carried for this workspace today (as far as the sync has read).

    Today as the vendors count it: their daily limits start again at midnight China time (UTC+8).
    """
    start = datetime.fromtimestamp(day_start_ms(timezone.now()) / 1000, tz=UTC)
    return _pushed_by_channel(workspace, start)


@dataclass(frozen=True)
class VendorForecast:
    vendor: str
    label: str
    category: str
    estimate: int
    today: int
    limit: int | None
    limit_source: str
    rule: str
    option: str

    @property
    def category_label(self) -> str:
        return str(CATEGORY_WORDS.get(self.category, self.category))

    @property
    def over(self) -> bool:
        return self.limit is not None and self.estimate + self.today > self.limit

    @property
    def warning(self) -> str:
        if not self.over or self.limit is None:
            return ""
        values = {
            "estimate": f"{self.estimate:,}",
            "vendor": self.label,
            "category": self.category_label,
            "today": f"{self.today:,}",
            "limit": f"{self.limit:,}",
            "service": CATEGORY_WORDS[SERVICE],
            "option": self.option,
        }
        if self.today:
            text = gettext(
                "≈ %(estimate)s via %(vendor)s %(category)s channel on top of %(today)s already sent today; the "
                "daily limit for this app is about %(limit)s — consider the “%(service)s” category (%(option)s) or a "
                "second day."
            )
        else:
            text = gettext(
                "≈ %(estimate)s via %(vendor)s %(category)s channel; the daily limit for this app is about %(limit)s — "
                "consider the “%(service)s” category (%(option)s) or a second day."
            )
        return text % values


@dataclass(frozen=True)
class Forecast:
    targets: int
    mix_source: str
    vendors: list[VendorForecast]
    has_mix: bool

    @property
    def warnings(self) -> list[str]:
        return [v.warning for v in self.vendors if v.over]


def forecast(campaign: Campaign) -> Forecast:
    workspace = campaign.workspace
    targets = Message.objects.filter(campaign=campaign).count() or campaign.rows_expected
    mix, source = channel_mix(workspace)
    options = ChannelOptions.from_json(campaign.options)
    limits = {(limit.vendor, limit.category): limit for limit in VendorLimit.objects.filter(workspace=workspace)}
    today = sent_today(workspace)
    vendors: list[VendorForecast] = []
    for vendor in Vendor.values:
        category = category_for(vendor, options)
        limit = limits.get((vendor, category))
        rule, option = RULE_SOURCES[vendor]
        vendors.append(
            VendorForecast(
                vendor=vendor,
                label=str(CHANNEL_LABELS[vendor]),
                category=category,
                estimate=round(targets * mix.get(vendor, 0.0)),
                today=today.get(vendor, 0),
                limit=None if category == SERVICE or limit is None else limit.daily_limit,
                limit_source=(limit.source if limit else "") if category == MARKETING else gettext("no daily cap"),
                rule=gettext(rule),
                option=option,
            )
        )
    return Forecast(targets=targets, mix_source=source, vendors=vendors, has_mix=bool(mix))


class VendorLimitForm(forms.Form):
    vendor = forms.ChoiceField(label=gettext_lazy("Vendor"), choices=Vendor.choices)
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=CATEGORY_CHOICES)
    daily_limit = forms.IntegerField(min_value=1, max_value=1_000_000_000, label=gettext_lazy("Daily limit (messages)"))
    source = forms.CharField(
        label=gettext_lazy("Source"),
        max_length=200,
        help_text=gettext_lazy("Where this number comes from, e.g. “Xiaomi console, Push, quota, 2026-12-01”."),
    )


def save_limit(request: WorkspaceRequest, form: VendorLimitForm) -> VendorLimit:
    data = form.cleaned_data
    with transaction.atomic():
        before = (
            VendorLimit.objects.filter(workspace=request.workspace, vendor=data["vendor"], category=data["category"])
            .values("daily_limit", "source")
            .first()
        )
        limit, _ = VendorLimit.objects.update_or_create(
            workspace=request.workspace,
            vendor=data["vendor"],
            category=data["category"],
            defaults={"daily_limit": data["daily_limit"], "source": data["source"], "updated_by": request.user},
        )
        trail.record(
            "analytics.vendor_limit_set",
            request=request,
            workspace=request.workspace,
            obj=limit,
            before=before,
            after={"daily_limit": limit.daily_limit, "source": limit.source},
            detail={"vendor": limit.vendor, "category": limit.category},
        )
    return limit


def limits_of(workspace: Workspace) -> list[VendorLimit]:
    return list(VendorLimit.objects.filter(workspace=workspace).order_by("vendor", "category"))
