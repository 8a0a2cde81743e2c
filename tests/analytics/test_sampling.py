"""Without recent figures, the forecast's channel mix comes from asking mPaaS about a sample of the targets."""

from __future__ import annotations

from collections import Counter

import pytest

from pushadmin.analytics import forecast, sync
from pushadmin.analytics.models import DeviceSample, VendorLimit
from pushadmin.analytics.sampling import SAMPLE_SIZE, channel_of
from pushadmin.delivery.models import Message
from pushadmin.sandbox import phones
from tests.delivery.campaigns import draft_campaign, point_at

pytestmark = pytest.mark.django_db


def test_manufacturers_map_to_the_channel_mpaas_pushes_through():
    assert channel_of("android", "Xiaomi") == "MIUI"
    assert channel_of("android", "OnePlus") == "OPPO"
    assert channel_of("ios", "apple") == "IOS"
    assert channel_of("harmonyos", "huawei") == "HARMONYOS"
    assert channel_of("android", "Fairphone") == "ANDROID"


def test_a_draft_in_a_workspace_without_figures_gets_its_targets_devices_sampled(cast, mpaas_sandbox):
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=1000)
    campaign = draft_campaign(cast.workspace, cast.marketer, 1000, name="First campaign")
    assert not forecast.forecast(campaign).has_mix

    sync.run(seconds=30)

    sample = DeviceSample.objects.get(campaign=campaign)
    assert sample.size == SAMPLE_SIZE
    asked = Message.objects.filter(campaign=campaign, seq__in=range(1, 1001, 20)).values_list("target", flat=True)
    assert sample.channels == dict(Counter(phones.channel_of(target, 3).code for target in asked))
    assert mpaas_sandbox.stats()["callsByAction"]["PushQueryDeviceState"] == SAMPLE_SIZE

    VendorLimit.objects.create(workspace=cast.workspace, vendor="HMS", category="marketing", daily_limit=10, source="x")
    predicted = forecast.forecast(campaign)
    assert predicted.has_mix and "the devices of 50 targets asked of mPaaS" in predicted.mix_source
    huawei = next(v for v in predicted.vendors if v.vendor == "HMS")
    assert huawei.estimate == round(1000 * sample.channels.get("HMS", 0) / 50) and huawei.over

    sync.run(seconds=30)  # sampled once a day, not at every run
    assert DeviceSample.objects.count() == 1
