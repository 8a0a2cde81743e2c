"""The author reads a rejection and the review comments on the campaign's own pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pushadmin.campaigns.workflow import submit_for_review
from pushadmin.reviews.approving import Shown, add_comment, reject
from tests.personas import Cast
from tests.reviews.campaign_rows import make_campaign, request_by

pytestmark = pytest.mark.django_db


def test_a_rejection_and_the_comments_show_on_the_detail_page_the_builder_and_the_list(cast: Cast) -> None:
    campaign = submit_for_review(make_campaign(cast.workspace, cast.marketer), request=request_by(cast.marketer))
    add_comment(campaign, request=request_by(cast.reviewer), body="Is 1000 yuan right for row 3?")
    reject(campaign, request=request_by(cast.reviewer), reason="Amounts <b>look</b> wrong", shown=Shown.of(campaign))
    client = Client()
    client.force_login(cast.marketer)
    kwargs = {"workspace_id": cast.workspace.pk, "campaign_id": campaign.pk}

    detail = client.get(reverse("campaigns:detail", kwargs=kwargs)).content.decode()
    banner = detail.split("data-open-rejection")[1].split("</div>")[0]
    assert "Rejected by rob.reviewer" in banner and "Amounts &lt;b&gt;look&lt;/b&gt; wrong" in banner
    comments = detail.split("data-review-comments")[1].split("</ul>")[0]
    assert comments.index("Amounts &lt;b&gt;look") < comments.index("Is 1000 yuan right for row 3?")

    builder = client.get(reverse("campaigns:edit", kwargs=kwargs)).content.decode()
    assert "data-open-rejection" in builder and "data-review-comments" not in builder

    listing = client.get(reverse("campaigns:list", kwargs={"workspace_id": cast.workspace.pk})).content.decode()
    assert "data-rejected>rejected</span>" in listing


def test_once_resubmitted_the_rejection_is_no_longer_shown_as_open(cast: Cast) -> None:
    campaign = submit_for_review(make_campaign(cast.workspace, cast.marketer), request=request_by(cast.marketer))
    campaign = reject(campaign, request=request_by(cast.reviewer), reason="No", shown=Shown.of(campaign))
    submit_for_review(campaign, request=request_by(cast.marketer))
    client = Client()
    client.force_login(cast.marketer)
    kwargs = {"workspace_id": cast.workspace.pk, "campaign_id": campaign.pk}
    detail = client.get(reverse("campaigns:detail", kwargs=kwargs)).content.decode()
    assert "data-open-rejection" not in detail and "data-review-comments" in detail
    listing = client.get(reverse("campaigns:list", kwargs={"workspace_id": cast.workspace.pk})).content.decode()
    assert "data-rejected" not in listing
