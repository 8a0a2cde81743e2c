"""Rows longer than mPaaS takes are named before review and handled by the campaign's policy."""

from __future__ import annotations

import pytest

from pushadmin.campaigns.models import MissingDataPolicy
from pushadmin.campaigns.preflight import TOO_LONG, preflight
from pushadmin.campaigns.rows import row_page
from pushadmin.mpaas.validation import MAX_CONTENT_LENGTH, MAX_TITLE_LENGTH
from tests.campaigns.composing import make_campaign, make_template
from tests.personas import Cast

pytestmark = pytest.mark.django_db

GOOD = {"name": "Zhang San", "money": "200"}
LONG_NAME = "N" * 240  # fills the title below past its limit


def rows_with_three_overlong() -> list[tuple[str, dict[str, str]]]:
    return [(f"user{i}", {**GOOD, "name": LONG_NAME} if i in (7, 50, 99) else GOOD) for i in range(1, 121)]


def test_each_overlong_row_is_named_with_its_length_and_blocks_submission(cast: Cast) -> None:
    template = make_template(cast, title="Dear #name#")
    campaign = make_campaign(cast, rows_with_three_overlong(), template=template)
    report = preflight(campaign)
    too_long = [problem for problem in report.problems if problem.kind == TOO_LONG]
    assert [problem.seq for problem in too_long] == [7, 50, 99]
    assert too_long[0].message == (
        f"Too long: the title has 245 characters once filled, mPaaS takes at most {MAX_TITLE_LENGTH}."
    )
    assert report.blocks_submission
    assert any("3 row(s) are longer than mPaaS takes" in reason for reason in report.block_reasons)


def test_under_the_skip_policy_overlong_rows_are_left_out_and_the_rest_can_be_submitted(cast: Cast) -> None:
    template = make_template(cast, title="Dear #name#")
    campaign = make_campaign(cast, rows_with_three_overlong(), template=template, missing_policy=MissingDataPolicy.SKIP)
    report = preflight(campaign)
    assert not report.blocks_submission, report.block_reasons
    assert (report.rows_to_send, report.rows_skipped, report.calls) == (117, 3, 2)
    assert any("they will be skipped" in warning for warning in report.warnings)


def test_an_overlong_text_is_a_problem_too(cast: Cast) -> None:
    long_money = "9" * MAX_CONTENT_LENGTH
    campaign = make_campaign(cast, [("u1", {**GOOD, "money": long_money}), ("u2", GOOD)])
    messages = [(p.seq, p.message) for p in preflight(campaign).problems if p.kind == TOO_LONG]
    assert messages == [
        (1, f"Too long: the text has 4,049 characters once filled, mPaaS takes at most {MAX_CONTENT_LENGTH:,}.")
    ]


def test_the_builder_marks_the_overlong_rows_and_filters_them(cast: Cast) -> None:
    template = make_template(cast, title="Dear #name#")
    campaign = make_campaign(cast, rows_with_three_overlong(), template=template)
    page = row_page(campaign, problems_only=True)
    assert [row.seq for row in page.rows] == [7, 50, 99]
    assert page.rows[0].problems == [
        f"Too long: the title has 245 characters once filled, mPaaS takes at most {MAX_TITLE_LENGTH}."
    ]


LOOP = {
    "type": "loop",
    "time_zone": "Asia/Shanghai",
    "circle": "daily",
    "days": [],
    "time": "09:45",
    "start_date": "2026-12-01",
    "end_date": "2027-01-31",
}


def test_a_loop_needing_more_tasks_than_mpaas_holds_cannot_be_submitted(freeze_clock: object, cast: Cast) -> None:
    rows = [(f"user{i}", GOOD) for i in range(1, 10_102)]  # 102 calls: 102 tasks on mPaaS
    report = preflight(make_campaign(cast, rows, strategy=LOOP))
    assert report.calls == 102 and report.blocks_submission
    assert report.block_reasons == [
        "A loop needs one scheduled task on mPaaS per call (102 here) and mPaaS holds at most 100; "
        "split the audience into campaigns of at most 10,000 targets."
    ]


def test_a_loop_that_fits_in_mpaas_passes(freeze_clock: object, cast: Cast) -> None:
    rows = [(f"user{i}", GOOD) for i in range(1, 10_001)]
    assert not preflight(make_campaign(cast, rows, strategy=LOOP)).blocks_submission
