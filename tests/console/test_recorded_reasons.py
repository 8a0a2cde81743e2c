# ruff: noqa: RUF001 (the Chinese sentences are punctuated with full-width marks, as Chinese is)
"""Reasons stored in English (a pause, a disabled endpoint, a delivery's error) read in the reader's language."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from django.utils import timezone, translation

from pushadmin.audiences.csv_reading import CsvFileError, CsvStream, RowReject
from pushadmin.audiences.importing import run_import, store_upload
from pushadmin.audiences.models import Audience, AudienceImport, RejectedRow
from pushadmin.console import recorded_reasons as reasons
from pushadmin.delivery import scheduling, unknowns
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


# Audience files: each whole-file error and each row's reason is one message, stored in English.
FILE_ERRORS = [
    (b"", "The file is empty.", "文件是空的。"),
    (b"name,money\nLi,5\n", "Line 1 must name the columns and one must be 'target'", "第 1 行必须列出列名"),
    (b"target,name,NAME\n", "Line 1 names a column twice: name.", "第 1 行重复列出了同一列：name。"),
    (b"target,,name\n", "Line 1: column 2 has no name.", "第 1 行：第 2 列没有列名。"),
    (b"target,name\nu1,Li\nu2,\x00\n", "Line 3 contains a NUL byte", "第 3 行包含空字节（0x00）"),
    (
        b"target,name\nu1,Li\nu2,\xff\xfe\xfa\n",
        "Line 3 is not valid GB18030;",
        "第 3 行不是有效的 GB18030 编码",
    ),
    (
        b'target,name\nu1,"Li\n',
        "Line 2: a quoted value opens on this line and is never closed, so line 2 would",
        "第 2 行会被读作一个值",
    ),
    (b'target,name\nu1,"Li\nu2,Bo\n', "so lines 2 to 3 would be one value", "第 2 至 3 行会被读作一个值"),
    (
        b'target,"na\nme"\nu1,Li\n',
        "Line 1: a quoted value opens on this line and closes only on line 2",
        "直到第 2 行才闭合",
    ),
]


@pytest.mark.parametrize(("data", "english", "chinese"), FILE_ERRORS)
def test_an_audience_file_error_is_stored_in_english_and_reads_in_chinese(
    data: bytes, english: str, chinese: str
) -> None:
    with translation.override("zh-hans"), pytest.raises(CsvFileError) as raised:
        list(CsvStream(io.BytesIO(data)))
    stored = str(raised.value)
    assert stored.startswith(english) or english in stored
    with translation.override("zh-hans"):
        shown = reasons.readable(stored)
    assert chinese in shown and not latin_words(shown), shown
    with translation.override("en"):
        assert reasons.readable(stored) == stored


def test_every_reason_a_row_is_rejected_for_reads_in_chinese() -> None:
    data = (
        "target,name,extendedParams\n"
        ",Li,\n"  # 2: empty target
        f"{'u' * 129},Li,\n"  # 3: target too long
        f"u3,{'x' * 1001},\n"  # 4: value too long
        'u4,Li,"{bad"\n'  # 5: bad JSON
        'u5,Li,"{""a"": 1, ""action"": ""x""}"\n'  # 6: not text, and a reserved key
        "u6,Li,,extra\n"  # 7: one value too many
        'u7,"Li\nu8,Bo",\n'  # 8: a quote runs across lines
    ).encode()
    rejects = [row for row in CsvStream(io.BytesIO(data)) if isinstance(row, RowReject)]
    stored = {row.line_number: row.reason for row in rejects}
    assert stored[2] == "empty target"
    assert stored[5].startswith("bad JSON in extendedParams: ")
    assert stored[6] == (
        "extendedParams values must be text; not text for: a. "
        "extendedParams uses keys reserved by the push service: action."
    )
    assert stored[7] == "unknown column: 4 values but line 1 names 3 columns"
    with translation.override("zh-hans"):
        shown = {line: reasons.readable(reason) for line, reason in stored.items()}
    assert shown[2] == "推送目标为空"
    assert shown[3] == "推送目标超过 128 个字符"
    assert shown[4] == "#name# 的值超过 1000 个字符"
    assert shown[5].startswith("extendedParams 中的 JSON 有误：第 2 个字符处 ")
    assert (
        shown[6]
        == "extendedParams 的取值必须是文本；以下键的取值不是文本：a。extendedParams 使用了推送服务保留的键：action。"
    )
    assert shown[7] == "未知列：此行有 4 个值，但第 1 行只列出了 3 列"
    assert (
        shown[8] == '此行开始的带引号的值直到第 9 行才闭合，因此第 8 至 9 行未导入；一个值不能跨行（是否多了一个 "？）'
    )
    with translation.override("zh-hans"):
        assert reasons.readable(reasons.written(reasons.ROW_DUPLICATE, line=2)) == "推送目标重复（首次出现在第 2 行）"


def test_on_a_page_codes_inside_a_reason_are_marked_up_as_code_and_the_rest_is_escaped() -> None:
    stopped = reasons.written(reasons.BUILD_STOPPED, code="ConnectError")
    not_prepared = reasons.written(reasons.NOT_PREPARED, why="ValueError")
    bad_json = reasons.written(reasons.ROW_BAD_JSON, parser_message="Expecting value", at=1)
    with translation.override("zh-hans"):
        assert reasons.readable_html(stopped) == "因内部错误而停止（<code>ConnectError</code>）。"
        assert "<code>ValueError</code>" in reasons.readable_html(not_prepared)
        assert (
            reasons.readable_html(bad_json)
            == "extendedParams 中的 JSON 有误：第 1 个字符处 <code>Expecting value</code>"
        )
        assert reasons.readable(stopped) == "因内部错误而停止（ConnectError）。"
    left = reasons.written(reasons.LEFT_AS_UNKNOWN, name="rob", reason="<b>checked</b> with mPaaS")
    with translation.override("zh-hans"):
        assert reasons.readable_html(left) == "已由 rob 保留为未知：&lt;b&gt;checked&lt;/b&gt; with mPaaS"
    assert reasons.readable_html("<i>old</i>") == "&lt;i&gt;old&lt;/i&gt;"


@pytest.mark.django_db
def test_the_audience_page_and_the_rejected_rows_download_read_in_the_readers_language(cast: Cast) -> None:
    audience = Audience.objects.create(workspace=cast.workspace, name="会员", created_by=cast.marketer)
    done = import_file(cast, audience, b"target,name\nu1,Li\n,Wang\nu1,Zhang\n")
    failed = import_file(
        cast,
        Audience.objects.create(workspace=cast.workspace, name="坏文件", created_by=cast.marketer),
        b"target\nu1\n\x00\n",
    )
    assert done.rejected_rows.count() == 2 and failed.error.startswith("Line 3 contains a NUL byte")
    marketer = Client(headers={"accept-language": "zh-CN"})
    marketer.force_login(cast.marketer)
    ws = cast.workspace.pk
    page = marketer.get(f"/w/{ws}/audiences/{audience.pk}/").content.decode()
    assert "<td>推送目标为空</td>" in page and "<td>推送目标重复（首次出现在第 2 行）</td>" in page
    failed_page = marketer.get(f"/w/{ws}/audiences/{failed.audience_id}/").content.decode()
    assert "导入失败：第 3 行包含空字节（0x00）" in failed_page
    download = marketer.get(f"/w/{ws}/audiences/{audience.pk}/rejected.csv")
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert body.splitlines() == [
        '"行号","推送目标","原因"',
        '"3","","推送目标为空"',
        '"4","u1","推送目标重复（首次出现在第 2 行）"',
    ]
    assert RejectedRow.objects.filter(audience_import=done, reason="empty target").exists()


def import_file(cast: Cast, audience: Audience, data: bytes) -> AudienceImport:
    stored, size = store_upload([data])
    job = AudienceImport.objects.create(
        audience=audience, stored_name=stored, bytes_total=size, created_by=cast.marketer, original_name="会员.csv"
    )
    with translation.override("zh-hans"):  # a worker's language does not change what is stored
        finished = run_import(job.pk)
    assert finished is not None
    return finished


@pytest.mark.django_db
def test_messages_left_as_unknown_keep_an_english_note_that_reads_in_chinese(cast: Cast) -> None:
    note = reasons.written(reasons.LEFT_AS_UNKNOWN, name="rob.reviewer", reason="已与 mPaaS 核对")
    assert note.startswith(unknowns.LEFT_NOTE)
    with translation.override("zh-hans"):
        assert reasons.readable(note) == "已由 rob.reviewer 保留为未知：已与 mPaaS 核对"


def test_a_loop_waiting_for_room_keeps_its_reason_in_english_and_reads_in_chinese() -> None:
    stored = reasons.written(reasons.LOOP_WAITING_FOR_ROOM, needed=3, free=2, limit=100)
    assert "only 2 of 100 are free now" in stored
    with translation.override("zh-hans"):
        assert reasons.readable(stored).startswith(
            "循环推送需要在 mPaaS 上建立 3 个定时任务，但目前 100 个中只有 2 个空闲"
        )


LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]")
KEPT = {"extendedParams", "JSON", "UTF", "GBK", "CSV", "target", "name", "money", "MB", "mPaaS"}


def latin_words(text: str) -> set[str]:
    """English words left in a translated text (product names, formats and the file's own data aside)."""
    return {word for word in LATIN_WORD.findall(re.sub(r"\S*\d\S*", " ", text)) if word not in KEPT}
