from __future__ import annotations

import pytest

from pushadmin.campaigns.preflight import BAD_EXTENDED, DUPLICATE, MISSING, UNKNOWN, preflight
from tests.campaigns.composing import make_campaign
from tests.personas import Cast

pytestmark = pytest.mark.django_db

GOOD = {"name": "Zhang San", "money": "200"}


def test_a_clean_campaign_passes_and_counts_its_calls(cast: Cast) -> None:
    campaign = make_campaign(cast, [(f"user{i}", GOOD) for i in range(250)])
    report = preflight(campaign)
    assert not report.blocks_submission, report.block_reasons
    assert (report.total_rows, report.rows_to_send, report.calls) == (250, 250, 3)


def test_every_kind_of_row_problem_is_reported_with_its_row(cast: Cast) -> None:
    campaign = make_campaign(
        cast,
        [
            ("u1", GOOD),
            ("u2", {"name": "Li"}),
            ("u3", {**GOOD, "city": "Hangzhou"}),
            ("u1", GOOD),
            ("u5", GOOD, {"taskId": "mine"}),
        ],
    )
    report = preflight(campaign)
    assert [(p.seq, p.kind) for p in report.problems] == [(2, MISSING), (3, UNKNOWN), (4, DUPLICATE), (5, BAD_EXTENDED)]
    assert "#money#" in report.problems[0].message
    assert "row 1" in report.problems[2].message
    assert "taskId" in report.problems[3].message
    assert report.blocks_submission


def test_block_policy_blocks_on_a_missing_value_and_says_why(cast: Cast) -> None:
    report = preflight(make_campaign(cast, [("u1", GOOD), ("u2", {"name": "Li"})]))
    assert report.block_reasons == ["1 row misses a placeholder value and the policy is to block submission."]


def test_skip_policy_warns_and_leaves_the_row_out(cast: Cast) -> None:
    report = preflight(make_campaign(cast, [("u1", GOOD), ("u2", {"name": "Li"})], missing_policy="skip"))
    assert not report.blocks_submission
    assert (report.rows_to_send, report.rows_skipped) == (1, 1)
    assert any("skipped" in warning for warning in report.warnings)


def test_fallback_policy_fills_from_the_fallback_and_blocks_only_without_one(cast: Cast) -> None:
    filled = make_campaign(cast, [("u2", {"name": "Li"})], missing_policy="fallback", fallback_values={"money": "5"})
    assert not preflight(filled).blocks_submission
    unfilled = make_campaign(
        cast,
        [("u2", {"money": "5"})],
        template=filled.template,
        name="x",
        missing_policy="fallback",
        fallback_values={"money": "5"},
    )
    assert "no fallback" in preflight(unfilled).block_reasons[0]


def test_an_empty_campaign_and_a_bad_schedule_block_submission(cast: Cast) -> None:
    campaign = make_campaign(cast, [], strategy={"type": "fixed", "fixed_at": "2001-01-01T09:00"})
    reasons = preflight(campaign).block_reasons
    assert any("no rows" in reason for reason in reasons)
    assert any(reason.startswith("Schedule: The send time must be in the future") for reason in reasons)


def test_rows_still_being_built_block_submission(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", GOOD)], rows_state="building", rows_expected=10, rows_built=1)
    assert "still being created" in preflight(campaign).block_reasons[0]


def test_extended_params_rules_match_the_api_validation() -> None:
    from pushadmin.campaigns.preflight import extended_params_problem
    from pushadmin.mpaas.request_types import PushMultipleRequest, TargetMsg
    from pushadmin.mpaas.validation import validate_push_multiple

    cases = [None, {}, {"a": "1"}, {"a": 1}, {"taskId": "x"}, {f"k{i}": "v" for i in range(21)}, ["not", "a", "map"]]
    for value in cases:
        request = PushMultipleRequest(
            app_id="a",
            workspace_id="w",
            task_name="t",
            template_name="n",
            delivery_type=3,
            target_msgs=[TargetMsg(target="x", msg_key="k", extended_params=value)],
            expired_seconds=60,
        )
        api_says_bad = any(p.field == "TargetMsg.1.ExtendedParams" for p in validate_push_multiple(request))
        assert (extended_params_problem(value) is not None) == api_says_bad, value


def test_a_large_campaigns_row_scan_is_reused_until_its_next_edit(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db.models import F

    from pushadmin.campaigns import preflight as module
    from pushadmin.campaigns.models import Campaign

    monkeypatch.setattr(module, "CACHE_FROM_ROWS", 2)
    campaign = make_campaign(cast, [("u1", GOOD), ("u2", GOOD)])
    assert not preflight(campaign).blocks_submission
    campaign.messages.filter(seq=2).update(values={"name": "Li"})
    assert not preflight(campaign).blocks_submission, "same version: the scan is reused"
    Campaign.objects.filter(pk=campaign.pk).update(revision=F("revision") + 1)  # what record_edit does
    campaign.refresh_from_db()
    assert preflight(campaign).counts[MISSING] == 1
