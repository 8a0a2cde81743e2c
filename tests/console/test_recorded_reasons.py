# ruff: noqa: RUF001 (the Chinese sentences are punctuated with full-width marks, as Chinese is)
"""Reasons stored in English (a pause, a disabled endpoint, a delivery's error) read in the reader's language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone, translation

from pushadmin.console import recorded_reasons as reasons
from pushadmin.delivery import scheduling
from pushadmin.mpaas import errors
from pushadmin.webhooks.models import Delivery, DeliveryStatus, Endpoint
from pushadmin.workspaces import encryption
from tests.personas import Cast


def test_a_stored_reason_is_english_whatever_language_is_active() -> None:
    with translation.override("zh-hans"):
        stored = reasons.written(reasons.PAUSED_BY, name="mia.marketer")
    assert stored == "Paused by mia.marketer."


def test_a_stored_reason_reads_in_chinese_with_its_values() -> None:
    stored = reasons.written(
        reasons.QUIET_HOURS_UNTIL, start="22:00", end="08:00", zone="Asia/Shanghai", resume="08:00"
    )
    with translation.override("zh-hans"):
        shown = reasons.readable(stored)
    assert shown == "处于工作空间的免打扰时段（22:00 至 08:00 Asia/Shanghai）；将于 08:00（Asia/Shanghai）自动恢复。"
    with translation.override("en"):
        assert reasons.readable(stored) == stored


def test_the_explanation_inside_a_reason_is_translated_too() -> None:
    stored = reasons.written(reasons.SETTINGS_REFUSED, code="3022", why=errors.MEANINGS["3022"])
    with translation.override("zh-hans"):
        assert reasons.readable(stored) == "mPaaS 拒绝了凭证或设置（3022）：此工作空间中不存在该模板。"


def test_a_reason_written_before_its_message_existed_is_shown_as_stored() -> None:
    old = "Paused because the moon was full."
    with translation.override("zh-hans"):
        assert reasons.readable(old) == old
        assert reasons.readable("") == ""


def test_a_reason_that_only_starts_like_a_message_is_not_taken_for_it() -> None:
    stored = reasons.written(reasons.PAUSED_BY, name="abe") + " And something else"
    with translation.override("zh-hans"):
        assert reasons.readable(stored) == stored


@pytest.mark.django_db
def test_the_webhook_pages_read_their_stored_reasons_in_chinese(cast: Cast) -> None:
    endpoint = Endpoint.objects.create(
        workspace=cast.workspace,
        url="https://hooks.example.com/x",
        events=["campaign.approved"],
        secret_encrypted=encryption.encrypt("whsec_x"),
        enabled=False,
        disabled_reason=reasons.written(reasons.ENDPOINT_DISABLED_AFTER, limit=20),
    )
    Delivery.objects.create(
        endpoint=endpoint,
        event="campaign.approved",
        message_id="msg_1",
        payload={},
        status=DeliveryStatus.FAILED,
        attempts=1,
        last_error=reasons.ENDPOINT_IS_DISABLED,
        created_at=timezone.now(),
    )
    admin = Client(headers={"accept-language": "zh-CN"})
    admin.force_login(cast.admin)
    listed = admin.get(f"/w/{cast.workspace.pk}/webhooks/").content.decode()
    assert "已停用：连续 20 次投递失败后已停用。" in listed and "推送活动已批准" in listed
    detail = admin.get(f"/w/{cast.workspace.pk}/webhooks/{endpoint.pk}/").content.decode()
    assert "该端点已停用。" in detail and "失败（不再重试）" in detail and "重新发送" in detail


def test_what_mpaas_did_with_a_cancel_reads_sentence_by_sentence() -> None:
    cancellation = scheduling.MpaasCancellation(
        cancelled=["t1", "t2"],
        refused=[scheduling.RefusedTask("t3", "3028", errors.MEANINGS["3028"])],
        failure="ServiceUnavailable: try later",
        remaining=["t4"],
    )
    stored = cancellation.summary()
    assert stored.startswith("mPaaS cancelled 2 scheduled tasks. mPaaS refused to cancel 1 scheduled task: t3 (3028: ")
    with translation.override("zh-hans"):
        shown = reasons.readable(stored)
    assert shown.startswith("mPaaS 已取消 2 个定时任务。mPaaS 拒绝取消 1 个定时任务：t3 (3028: ")
    assert shown.endswith(
        "其消息可能已经发出。CancelPushScheduler 调用失败，涉及 1 个定时任务：ServiceUnavailable: try later"
    )
