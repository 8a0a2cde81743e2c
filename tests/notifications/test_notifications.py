"""People hear about the campaigns they take part in: under the bell, and by e-mail unless they turn it off."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from pushadmin.accounts.models import Role
from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.campaigns.workflow import submit_for_review
from pushadmin.notifications import mailing
from pushadmin.notifications.models import MailChoice, Notification
from pushadmin.reviews.approving import Shown, approve, reject
from tests.personas import Cast, make_user
from tests.reviews.campaign_rows import make_campaign, request_by

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def texts_for(user: Any) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("pk").values_list("text", flat=True))


def submitted(cast: Cast) -> Campaign:
    return submit_for_review(make_campaign(cast.workspace, cast.marketer), request=request_by(cast.marketer))


def test_reviewers_hear_that_a_review_waits_and_the_submitter_does_not(cast: Cast) -> None:
    campaign = submitted(cast)
    assert texts_for(cast.reviewer) == ["“Spring bonus” waits for your review (mia.marketer submitted it)."]
    assert texts_for(cast.marketer) == [] and texts_for(cast.auditor) == []
    note = Notification.objects.get(user=cast.reviewer)
    assert note.link == reverse(
        "reviews:review", kwargs={"workspace_id": cast.workspace.pk, "campaign_id": campaign.pk}
    )


def test_the_author_hears_of_the_approval_and_of_a_rejection_with_its_reason(cast: Cast) -> None:
    campaign = submitted(cast)
    approve(campaign, request=request_by(cast.reviewer), shown=Shown.of(campaign))
    other = submit_for_review(
        make_campaign(cast.workspace, cast.marketer, name="Autumn"), request=request_by(cast.marketer)
    )
    reject(other, request=request_by(cast.reviewer), reason="Amounts look wrong", shown=Shown.of(other))
    assert texts_for(cast.marketer) == [
        "“Spring bonus” was approved by rob.reviewer.",
        "“Autumn” was rejected by rob.reviewer: Amounts look wrong",
    ]


def test_a_pause_reaches_the_authors_and_the_admins_and_the_end_reaches_the_authors(cast: Cast) -> None:
    campaign = submitted(cast)
    campaign = approve(campaign, request=request_by(cast.reviewer), shown=Shown.of(campaign))
    campaign = transition(campaign, CampaignStatus.SENDING, action="campaign.sending_started")
    detail = {"reason": "10 calls in a row failed"}
    campaign = transition(campaign, CampaignStatus.PAUSED, action="campaign.auto_paused", detail=detail)
    campaign = transition(campaign, CampaignStatus.SENDING, action="campaign.resumed", actor=cast.marketer)
    transition(campaign, CampaignStatus.PARTLY_SENT, action="campaign.partly_sent")
    paused = "“Spring bonus” paused itself: 10 calls in a row failed"
    assert texts_for(cast.admin) == [paused]
    assert texts_for(cast.marketer)[-2:] == [paused, "“Spring bonus” finished partly sent; see the rejected messages."]


def test_the_bell_counts_unread_and_the_page_marks_them_read(cast: Cast) -> None:
    submitted(cast)
    reviewer = client_for(cast.reviewer)
    dashboard = reviewer.get(reverse("console:home"), follow=True).content.decode()
    assert '<span class="count" aria-label="1 unread">1</span>' in dashboard
    page = reviewer.get(reverse("notifications:list")).content.decode()
    assert "waits for your review" in page and "1 unread" in page
    reviewer.post(reverse("notifications:mark_all_read"))
    assert not Notification.objects.filter(user=cast.reviewer, read_at=None).exists()
    assert 'class="count"' not in reviewer.get(reverse("notifications:list")).content.decode()


def test_mail_goes_to_people_with_an_address_unless_they_turned_it_off(cast: Cast, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PUSHADMIN_SITE_URL = "https://push.example.test"
    make_user("rita.reviewer", cast.workspace, Role.REVIEWER)  # no address: told under the bell only
    cast.reviewer.email = "rob@example.test"
    cast.reviewer.save()
    submitted(cast)
    every = list(Notification.objects.values_list("pk", flat=True))
    assert len(every) == 2

    assert mailing.mail(every) == 1
    (message,) = mail.outbox
    assert message.to == ["rob@example.test"]
    assert message.subject == "[pushadmin] “Spring bonus” waits for your review (mia.marketer submitted it)."
    assert "Open: https://push.example.test/w/" in message.body

    mail.outbox.clear()
    page = client_for(cast.reviewer).post(reverse("notifications:mail_choice"), {}, follow=True).content.decode()
    assert "no longer e-mailed" in page
    assert MailChoice.objects.get(user=cast.reviewer).send_mail is False
    assert mailing.mail(every) == 0 and mail.outbox == []
