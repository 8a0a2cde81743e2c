"""The sandbox's phones and analysis calls over real HTTP, through our client and the official Tea SDK."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alibabacloud_mpaas20200710 import models
from alibabacloud_mpaas20200710.client import Client
from alibabacloud_tea_openapi import models as openapi_models

from pushadmin.mpaas import analysis, errors
from pushadmin.mpaas.client import MpaasClient, SignatureScheme
from pushadmin.mpaas.request_types import (
    PushMultipleRequest,
    PushQueryDeviceStateRequest,
    QueryPushAnalysisCoreIndexRequest,
    QueryPushAnalysisTaskDetailRequest,
    QueryPushAnalysisTaskListRequest,
    StrategyContent,
    TargetMsg,
)
from pushadmin.sandbox import phones
from tests.sandbox.conftest import KEY_ID, SECRET, Sandbox

APP = {"app_id": "ONEX570DA89211721", "workspace_id": "test"}
VALUES = {"money": "200", "name": "Zhang San"}
SCHEMES: list[SignatureScheme] = ["v3", "v1"]


def client(sandbox: Sandbox, scheme: SignatureScheme = "v3") -> MpaasClient:
    return MpaasClient(sandbox.url, KEY_ID, SECRET, signature=scheme, api_version="2020-07-10")


def push(c: MpaasClient, count: int, *, name: str = "batch", prefix: str | None = None, **extra: Any) -> str:
    prefix = prefix or uuid.uuid4().hex[:10]
    targets = [TargetMsg(target=f"user-{i}", msg_key=f"{prefix}-{i}", template_key_value=VALUES) for i in range(count)]
    request = PushMultipleRequest(
        **APP,
        task_name=name,
        template_name="demo-welcome",
        delivery_type=3,
        expired_seconds=600,
        target_msgs=targets,
        **extra,
    )
    outcome = c.push_multiple(request).outcome
    assert isinstance(outcome, errors.Accepted) and outcome.push_result_data
    return outcome.push_result_data


def days() -> tuple[int, int]:
    today = analysis.day_start_ms(datetime.now(UTC))
    return today - 6 * analysis.DAY_MS, today


def core(c: MpaasClient, **filters: Any) -> analysis.CoreIndex:
    start, end = days()
    result = c.query_push_analysis_core_index(
        QueryPushAnalysisCoreIndexRequest(**APP, start_time=start, end_time=end, **filters)
    )
    assert isinstance(result.outcome, errors.Accepted), result.outcome
    assert result.value is not None
    return result.value


def truth(sandbox: Sandbox, *task_ids: str) -> dict[str, Any]:
    response = sandbox.post("/_sandbox/analytics/truth", {"taskIds": list(task_ids)})
    response.raise_for_status()
    return response.json()


def test_a_targets_channel_comes_from_its_id_and_a_messages_fate_from_its_msg_key() -> None:
    assert phones.channel_of("user-42", 3) == phones.channel_of("user-42", 3)
    assert phones.channel_of("device-1", 2).code == "IOS"
    assert phones.channel_of("device-1", 7).code == "HARMONYOS"
    assert phones.channel_of("device-9", 1).platform == "ANDROID"
    seen = {phones.channel_of(f"user-{i}", 3).code for i in range(2000)}
    assert seen == {"HMS", "HONOR", "MIUI", "OPPO", "VIVO", "FCM", "ANDROID", "IOS"}
    assert phones.fate("k-1", "user-1", 3) == phones.fate("k-1", "user-1", 3)


def test_arrival_and_open_rates_differ_by_channel() -> None:
    by_channel: dict[str, list[phones.Fate]] = {}
    for i in range(20_000):
        one = phones.fate(f"k-{i}", f"user-{i}", 3)
        by_channel.setdefault(one.channel.code, []).append(one)
    arrival = {code: sum(f.arrives_at is not None for f in fates) / len(fates) for code, fates in by_channel.items()}
    assert arrival["IOS"] > arrival["HMS"] > arrival["MIUI"] > arrival["FCM"] > arrival["ANDROID"]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_figures_accrue_over_simulated_hours_and_equal_the_ground_truth(
    sandbox: Sandbox, scheme: SignatureScheme
) -> None:
    sandbox.post("/_sandbox/phones", {"clockSpeed": 0, "advanceHours": 0}).raise_for_status()
    with client(sandbox, scheme) as c:
        task = push(c, 100)
        fresh = core(c, task_id=task)
        assert (fresh.push_total, fresh.arrived, fresh.opened) == (100, 0, 0)
        assert fresh.pushed > 90
        # Six minutes in: arrival delays average 0.1-2 h by channel, so some have arrived and some not
        # (at one hour every arrival of a run of 100 could already be in, and the look proved nothing).
        sandbox.post("/_sandbox/phones", {"advanceHours": 0.1}).raise_for_status()
        early = core(c, task_id=task)
        sandbox.post("/_sandbox/phones", {"advanceHours": 80}).raise_for_status()
        later = core(c, task_id=task)
        assert 0 < early.arrived < later.arrived and early.opened <= later.opened
        assert later.ignored == later.arrived - later.opened
        expected = truth(sandbox, task)
        assert expected["total"] == {
            "pushTotal": 100,
            "pushed": later.pushed,
            "arrived": later.arrived,
            "opened": later.opened,
            "ignored": later.ignored,
        }
        for code, figures in expected["channels"].items():
            one = core(c, task_id=task, channel=code)
            assert (one.push_total, one.arrived, one.opened) == (
                figures["pushTotal"],
                figures["arrived"],
                figures["opened"],
            ), code


def test_task_list_finds_a_task_by_its_name_even_when_the_answer_was_dropped(sandbox: Sandbox) -> None:
    start, _ = days()
    with client(sandbox) as c:
        sandbox.post("/_sandbox/faults", {"dropAfterAccept": 1.0}).raise_for_status()
        request = PushMultipleRequest(
            **APP,
            task_name="spring [b1 r1]",
            template_name="demo-welcome",
            delivery_type=3,
            expired_seconds=600,
            target_msgs=[TargetMsg(target="u", msg_key=uuid.uuid4().hex, template_key_value=VALUES)],
        )
        assert isinstance(c.push_multiple(request).outcome, errors.Ambiguous)
        sandbox.post("/_sandbox/faults", {"dropAfterAccept": 0.0}).raise_for_status()
        found = c.query_push_analysis_task_list(
            QueryPushAnalysisTaskListRequest(**APP, start_time=start, task_name="spring [b1 r1]")
        )
        assert found.value is not None and [t.task_name for t in found.value] == ["spring [b1 r1]"]
        absent = c.query_push_analysis_task_list(
            QueryPushAnalysisTaskListRequest(**APP, start_time=start, task_name="spring [b2 r1]")
        )
        assert absent.value == ()


def test_a_loop_has_a_sub_task_per_run_with_its_own_figures(sandbox: Sandbox) -> None:
    sandbox.post("/_sandbox/phones", {"clockSpeed": 0, "advanceHours": 0}).raise_for_status()
    now = datetime.now(UTC)
    start, _ = days()
    with client(sandbox) as c:
        loop = StrategyContent(
            start_time=int(now.timestamp() * 1000),
            end_time=int((now + timedelta(days=3)).timestamp() * 1000),
            circle_type=1,
            time="00:00:00",
        )
        task = push(c, 50, strategy_type=2, strategy_content=loop)

        def listed() -> analysis.TaskSummary:
            found = c.query_push_analysis_task_list(
                QueryPushAnalysisTaskListRequest(**APP, start_time=start, task_id=task)
            )
            assert found.value is not None
            return found.value[0]

        assert listed().sub_tasks == ()  # no run has fired yet
        assert core(c, task_id=task).push_total == 0

        sandbox.post("/_sandbox/phones", {"advanceHours": 80}).raise_for_status()
        runs = listed().sub_tasks
        assert len(runs) == 3 and len({run.task_id for run in runs}) == 3
        last = analysis.day_start_ms(now + timedelta(days=4))
        per_run = [
            c.query_push_analysis_core_index(
                QueryPushAnalysisCoreIndexRequest(**APP, start_time=start, end_time=last, task_id=run.task_id)
            ).value
            for run in runs
        ]
        assert all(figures is not None and figures.push_total == 50 for figures in per_run)
        assert len({(f.arrived, f.opened) for f in per_run if f is not None}) > 1  # each run its own dice
        detail = c.query_push_analysis_task_detail(QueryPushAnalysisTaskDetailRequest(**APP, task_id=task))
        assert detail.value is not None and detail.value.push_num == 150
        assert detail.value.push_arrival_num == sum(f.arrived for f in per_run if f is not None)


def test_refusals_name_the_field_with_mpaas_codes(sandbox: Sandbox) -> None:
    start, end = days()
    with client(sandbox) as c:
        long = c.query_push_analysis_core_index(
            QueryPushAnalysisCoreIndexRequest(**APP, start_time=end - 120 * analysis.DAY_MS, end_time=end)
        )
        assert isinstance(long.outcome, errors.Rejected) and long.outcome.code == "3028"
        assert "at most 90" in (long.outcome.message or "")
        missing = c.query_push_analysis_task_detail(QueryPushAnalysisTaskDetailRequest(**APP, task_id="nope"))
        assert isinstance(missing.outcome, errors.Rejected) and missing.outcome.code == "3028"
        inside_a_day = c.query_push_analysis_core_index(
            QueryPushAnalysisCoreIndexRequest(**APP, start_time=start + 1000, end_time=end, channel="APNS")
        )
        assert isinstance(inside_a_day.outcome, errors.Rejected)
        assert "StartTime" in (inside_a_day.outcome.message or "") and "Channel" in (inside_a_day.outcome.message or "")


def test_analysis_failures_knob_throttles_only_analysis_calls(sandbox: Sandbox) -> None:
    sandbox.post("/_sandbox/phones", {"analysisFailure": 1.0}).raise_for_status()
    with client(sandbox) as c:
        task = push(c, 3)  # sending is unaffected
        start, end = days()
        result = c.query_push_analysis_core_index(
            QueryPushAnalysisCoreIndexRequest(**APP, start_time=start, end_time=end, task_id=task)
        )
        assert isinstance(result.outcome, errors.Retryable) and result.outcome.reason == errors.THROTTLED


def test_device_state_tells_the_vendor_of_a_target(sandbox: Sandbox) -> None:
    with client(sandbox) as c:
        state = c.push_query_device_state(PushQueryDeviceStateRequest(**APP, target="user-7", target_type=3))
    assert state.value is not None
    expected = phones.channel_of("user-7", 3)
    assert (state.value.manufacturer, state.value.platform) == (expected.manufacturer, expected.platform.lower())


def test_the_official_sdk_reads_the_sandboxs_core_index(sandbox: Sandbox) -> None:
    with client(sandbox) as c:
        task = push(c, 20)
    start, end = days()
    sdk = Client(
        openapi_models.Config(
            access_key_id=KEY_ID, access_key_secret=SECRET, endpoint=sandbox.endpoint, protocol="http"
        )
    )
    reply = sdk.query_push_analysis_core_index(
        models.QueryPushAnalysisCoreIndexRequest(**APP, start_time=start, end_time=end, task_id=task)
    )
    data = reply.body.result_content.data
    assert data.push_total_num == 20.0 and data.push_num is not None
    listed = sdk.query_push_analysis_task_list(models.QueryPushAnalysisTaskListRequest(**APP, start_time=start))
    assert [t.task_id for t in listed.body.result_content.data] == [task]
    state = sdk.push_query_device_state(models.PushQueryDeviceStateRequest(**APP, target="user-1", target_type=3))
    assert state.body.success is True and state.body.data.manufacturer
    assert json.dumps(state.body.to_map())  # a well-formed reply the SDK models fully


def test_unknown_or_out_of_range_phone_knobs_are_refused_by_name(sandbox: Sandbox) -> None:
    refused = sandbox.post("/_sandbox/phones", {"clockSpeed": -1})
    assert refused.status_code == 400 and "clockSpeed" in refused.json()["error"]
    assert "unknown phone knob 'speed'" in sandbox.post("/_sandbox/phones", {"speed": 2}).json()["error"]
    assert sandbox.get("/_sandbox/phones")["clockSpeed"] == 1.0  # nothing half applied
    bad = sandbox.post("/_sandbox/analytics/truth", {"taskIds": "abc"})
    assert bad.status_code == 400


def test_a_recalled_task_stops_arriving_while_others_go_on(sandbox: Sandbox) -> None:
    import time

    from pushadmin.mpaas.request_types import RevokePushTaskRequest

    sandbox.post("/_sandbox/phones", {"clockSpeed": 3600}).raise_for_status()  # a second is an hour
    with client(sandbox) as c:
        recalled, kept = push(c, 100), push(c, 100)
        assert isinstance(c.revoke_push_task(RevokePushTaskRequest(**APP, task_id=recalled)).outcome, errors.Accepted)
        at_recall = core(c, task_id=recalled)
        time.sleep(1.5)
        assert core(c, task_id=recalled).arrived == at_recall.arrived
        assert core(c, task_id=kept).arrived > at_recall.arrived
