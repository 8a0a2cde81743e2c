from __future__ import annotations

from collections.abc import Callable

import pytest

from pushadmin.campaigns.models import Campaign
from pushadmin.delivery.models import Message
from pushadmin.reviews import fingerprint
from tests.personas import Cast
from tests.reviews.campaign_rows import make_campaign

pytestmark = pytest.mark.django_db


def change_title(c: Campaign) -> None:
    c.template.title = "Congrats!"
    c.template.save()


def change_content(c: Campaign) -> None:
    c.template.content += "."
    c.template.save()


def change_template_name(c: Campaign) -> None:
    c.template.name = "demo-welcome-2"
    c.template.save()


def change_field(name: str, value: object) -> Callable[[Campaign], None]:
    def change(c: Campaign) -> None:
        Campaign.objects.filter(pk=c.pk).update(**{name: value})

    return change


def change_row(**values: object) -> Callable[[Campaign], None]:
    def change(c: Campaign) -> None:
        Message.objects.filter(campaign=c, seq=3).update(**values)

    return change


def add_row(c: Campaign) -> None:
    Message.objects.create(campaign=c, seq=4, target="userid9", values={}, msg_key=c.msg_key_for(4))


CHANGES = {
    "template title": change_title,
    "template text": change_content,
    "template name": change_template_name,
    "options": change_field("options", {"expired_seconds": 60}),
    "strategy": change_field("strategy", {"type": "fixed", "at": "2030-01-01T08:00"}),
    "missing policy": change_field("missing_policy", "skip"),
    "fallbacks": change_field("fallback_values", {"name": "friend"}),
    "delivery type": change_field("delivery_type", 1),
    "a target": change_row(target="userid-other"),
    "a value": change_row(values={"name": "Wang Wu", "money": "1001"}),
    "extended params": change_row(extended_params={"k": "v"}),
    "a MsgKey": change_row(msg_key="pa-other-3"),
    "one more row": add_row,
}


@pytest.mark.parametrize("what", CHANGES)
def test_changing_anything_that_is_sent_changes_the_fingerprint(cast: Cast, what: str) -> None:
    campaign = make_campaign(cast.workspace, cast.marketer)
    before = fingerprint.compute_fingerprint(campaign)
    CHANGES[what](campaign)
    assert fingerprint.compute_fingerprint(Campaign.objects.get(pk=campaign.pk)) != before


def test_the_fingerprint_is_stable_and_ignores_what_is_not_sent(cast: Cast) -> None:
    campaign = make_campaign(cast.workspace, cast.marketer)
    before = fingerprint.compute_fingerprint(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(name="Renamed", pause_reason="x")
    assert fingerprint.compute_fingerprint(Campaign.objects.get(pk=campaign.pk)) == before


def test_rows_are_read_in_pages_and_hash_the_same_whatever_the_page_size(cast: Cast) -> None:
    rows = [(f"user{n}", {"name": f"N{n}", "money": str(n)}) for n in range(1, 26)]
    campaign = make_campaign(cast.workspace, cast.marketer, rows=rows)
    assert [r[0] for r in fingerprint.message_rows(campaign.pk, page_size=4)] == list(range(1, 26))
    assert list(fingerprint.message_rows(campaign.pk, page_size=4)) == list(fingerprint.message_rows(campaign.pk))
