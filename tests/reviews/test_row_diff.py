"""The review diff covers rows: added, removed and changed since the last approval, the first ones side by side."""

from __future__ import annotations

import pytest

from pushadmin.campaigns.models import Campaign
from pushadmin.campaigns.workflow import record_edit, submit_for_review
from pushadmin.delivery.models import Message
from pushadmin.reviews import approved_rows
from pushadmin.reviews.approving import Shown, approve
from tests.personas import Cast
from tests.reviews.campaign_rows import make_campaign, request_by, review_url
from tests.reviews.test_views import client_for

pytestmark = pytest.mark.django_db


def approved_then_edited(cast: Cast, edit) -> Campaign:
    campaign = submit_for_review(make_campaign(cast.workspace, cast.marketer), request=request_by(cast.marketer))
    campaign = approve(campaign, request=request_by(cast.reviewer), shown=Shown.of(campaign))
    edit(campaign)
    campaign = record_edit(Campaign.objects.get(pk=campaign.pk), request=request_by(cast.marketer))
    return submit_for_review(campaign, request=request_by(cast.marketer))


def test_a_changed_value_appears_with_its_row_before_and_after(cast: Cast) -> None:
    def raise_money(campaign: Campaign) -> None:
        Message.objects.filter(campaign=campaign, seq=1).update(values={"name": "Zhang San", "money": "999"})

    campaign = approved_then_edited(cast, raise_money)
    page = client_for(cast.reviewer).get(review_url(campaign)).content.decode()
    assert "target rows changed: 1 row changed (2 unchanged)" in page
    assert "1 changed · 0 added · 0 removed · 2 unchanged." in page
    table = page.split("data-row-changes")[1].split("</table>")[0]
    assert (
        '<th scope="row" rowspan="1">1</th><td><code>money</code></td><td><del>200</del></td><td><ins>999</ins></td>'
        in table
    )
    assert "Zhang San" not in table  # an unchanged value is not repeated


def test_added_and_removed_rows_are_counted_and_named(cast: Cast) -> None:
    def add_and_remove(campaign: Campaign) -> None:
        Message.objects.filter(campaign=campaign, seq=2).delete()
        values = {"name": "Zhao Liu", "money": "5"}
        Message.objects.create(campaign=campaign, seq=4, target="u4", values=values, msg_key=campaign.msg_key_for(4))

    campaign = approved_then_edited(cast, add_and_remove)
    page = client_for(cast.reviewer).get(review_url(campaign)).content.decode()
    assert "target rows changed: 1 row added, 1 row removed (2 unchanged)" in page
    assert "Added rows: 4" in page and "Removed rows: 2" in page


def test_the_diff_walks_both_sides_in_order_and_lists_the_first_changes_only() -> None:
    before = [(seq, f"t{seq}", '{"n": "a"}', None) for seq in range(1, 5001)]
    after = [(seq, f"t{seq}", '{"n": "b"}' if seq % 2 else '{"n": "a"}', None) for seq in range(2, 5003)]
    packer = approved_rows.RowPacker()
    for row in before:
        packer.add(*row)
    blob = packer.finish()
    raw = sum(len(str(list(row))) for row in before)
    assert len(blob) < raw / 4  # packed
    result = approved_rows.diff(approved_rows.unpack(blob), iter(after))
    assert (result.changed, result.added, result.removed, result.unchanged) == (2499, 2, 1, 2500)
    assert [change.seq for change in result.first_changes] == [3, 5, 7, 9, 11, 13, 15, 17, 19, 21]
    assert result.first_changes[0].differences == [("n", "a", "b")]
    assert result.first_removed == [1] and result.first_added == [5001, 5002]


def test_the_same_json_in_another_key_order_is_not_a_change() -> None:
    result = approved_rows.diff(
        iter([(1, "t", '{"a": "1", "b": "2"}', None)]), iter([(1, "t", '{"b":"2","a":"1"}', None)])
    )
    assert not result.any and result.unchanged == 1
