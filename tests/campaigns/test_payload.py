from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pushadmin.campaigns.payload import build_push_request, is_skipped
from pushadmin.mpaas.wire import request_fields
from tests.campaigns.composing import make_campaign
from tests.personas import TEST_SECRET, Cast

pytestmark = pytest.mark.django_db


def test_the_request_carries_workspace_template_options_and_each_rows_values(cast: Cast) -> None:
    cast.workspace.tenant_id = "LZFPEFIM"
    cast.workspace.save()
    campaign = make_campaign(
        cast,
        [("userid1024", {"name": "Zhang San", "money": "200"}, {"deeplink": "app://win"})],
        delivery_type=3,
        options={
            "expired_seconds": 600,
            "notify_type": "notify",
            "silent": False,
            "classification": "0",
            "third_channel_category": {"hms": "9"},
            "notify_level": {"oppo": "16"},
            "mi_channel_id": "123321",
            "extended_params": {"campaign": "spring"},
        },
        strategy={"type": "immediate"},
    )
    fields = dict(request_fields(build_push_request(campaign, list(campaign.messages.all()))))
    assert fields["AppId"] == "ONEX570DA89211721"
    assert fields["WorkspaceId"] == "default"
    assert fields["TenantId"] == "LZFPEFIM"
    assert fields["TemplateName"] == "demo-welcome"
    assert fields["TaskName"] == "Spring promo"
    assert fields["DeliveryType"] == "3"
    assert fields["ExpiredSeconds"] == "600"
    assert fields["Silent"] == "0"
    assert fields["Classification"] == "0"
    assert fields["ThirdChannelCategory"] == '{"hms":"9"}'
    assert fields["NotifyLevel"] == '{"oppo":"16"}'
    assert fields["ExtendedParams"] == '{"campaign":"spring"}'
    assert fields["TargetMsg.1.Target"] == "userid1024"
    assert fields["TargetMsg.1.MsgKey"] == campaign.msg_key_for(1)
    assert json.loads(fields["TargetMsg.1.TemplateKeyValue"]) == {"name": "Zhang San", "money": "200"}
    assert fields["TargetMsg.1.ExtendedParams"] == '{"deeplink":"app://win"}'
    assert "StrategyType" not in fields
    assert TEST_SECRET not in repr(fields)


def test_fallback_values_are_sent_only_under_the_fallback_policy(cast: Cast) -> None:
    rows = [("u1", {"name": "Li"})]
    fallback = {"money": "10"}
    with_fallback = make_campaign(cast, rows, missing_policy="fallback", fallback_values=fallback)
    request = build_push_request(with_fallback, list(with_fallback.messages.all()))
    assert request.target_msgs[0].template_key_value == {"name": "Li", "money": "10"}
    blocked = make_campaign(cast, rows, template=with_fallback.template, name="b", fallback_values=fallback)
    assert build_push_request(blocked, list(blocked.messages.all())).target_msgs[0].template_key_value == {"name": "Li"}


def test_only_the_templates_placeholders_are_sent(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", {"name": "Li", "money": "1", "city": "Hangzhou"})])
    assert build_push_request(campaign, list(campaign.messages.all())).target_msgs[0].template_key_value == {
        "name": "Li",
        "money": "1",
    }


def test_a_loop_strategy_becomes_strategy_type_2_with_its_content(freeze_clock: datetime, cast: Cast) -> None:
    strategy = {
        "type": "loop",
        "time_zone": "Asia/Shanghai",
        "circle": "weekly",
        "days": [1, 5],
        "time": "09:45",
        "start_date": "2026-12-01",
        "end_date": "2027-01-31",
    }
    campaign = make_campaign(cast, [("u1", {"name": "a", "money": "1"})], strategy=strategy)
    fields = dict(request_fields(build_push_request(campaign, list(campaign.messages.all()))))
    assert fields["StrategyType"] == "2"
    assert json.loads(fields["StrategyContent"]) == {
        "startTime": int(datetime(2026, 11, 30, 16, 0, tzinfo=UTC).timestamp() * 1000),
        "endTime": int(datetime(2027, 1, 30, 16, 0, tzinfo=UTC).timestamp() * 1000),
        "circleType": 2,
        "circleValue": [1, 5],
        "time": "09:45:00",
    }


def test_skip_policy_marks_rows_that_miss_a_value(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", {"name": "a", "money": "1"}), ("u2", {"name": "b"})], missing_policy="skip")
    first, second = campaign.messages.all()
    assert not is_skipped(campaign, first)
    assert is_skipped(campaign, second)
