from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.models import Template
from tests.campaigns.composing import make_template
from tests.personas import Cast

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_marketer_creates_a_template_and_it_is_audited(cast: Cast) -> None:
    url = reverse("campaigns:template_create", kwargs={"workspace_id": cast.workspace.pk})
    response = client_for(cast.marketer).post(
        url,
        {
            "name": "spring",
            "title": "Hi #name#",
            "content": "You won #money# yuan",
            "sample_name": "Li",
            "sample_money": "8",
        },
    )
    assert response.status_code == 302
    template = Template.objects.get(workspace=cast.workspace, name="spring")
    assert template.sample_values == {"name": "Li", "money": "8"}
    assert AuditEntry.objects.filter(action="template.created", workspace=cast.workspace).exists()


def test_a_template_name_with_a_comma_is_refused_with_the_reason(cast: Cast) -> None:
    url = reverse("campaigns:template_create", kwargs={"workspace_id": cast.workspace.pk})
    response = client_for(cast.marketer).post(url, {"name": "a,b", "title": "t", "content": "c"})
    assert response.status_code == 200
    assert "refuses template names with commas" in response.content.decode()
    assert not Template.objects.exists()


def test_live_preview_lists_placeholders_and_renders_the_samples(cast: Cast) -> None:
    url = reverse("campaigns:template_preview", kwargs={"workspace_id": cast.workspace.pk})
    response = client_for(cast.marketer).post(
        url, {"title": "Hi #name#", "content": "Won #money#", "sample_name": "Zhang"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "#name#" in html and "#money#" in html
    assert "Hi Zhang" in html
    assert "No sample value for #money#" in html
    assert "<html" not in html
    assert response["Vary"].count("HX-Request") == 1


def test_script_in_template_text_and_samples_is_shown_as_text(cast: Cast) -> None:
    url = reverse("campaigns:template_preview", kwargs={"workspace_id": cast.workspace.pk})
    response = client_for(cast.marketer).post(url, {"title": XSS, "content": "#name#", "sample_name": XSS})
    html = response.content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_templates_of_another_workspace_are_not_found(cast: Cast) -> None:
    template = make_template(cast)
    url = reverse(
        "campaigns:template_edit", kwargs={"workspace_id": cast.other_workspace.pk, "template_id": template.pk}
    )
    assert client_for(cast.outsider).get(url).status_code == 404


def test_reviewers_see_the_template_list_read_only(cast: Cast) -> None:
    make_template(cast)
    response = client_for(cast.reviewer).get(
        reverse("campaigns:template_list", kwargs={"workspace_id": cast.workspace.pk})
    )
    html = response.content.decode()
    assert response.status_code == 200 and "demo-welcome" in html
    assert "New template" not in html


def test_editing_a_templates_text_voids_the_approval_of_campaigns_using_it(cast: Cast) -> None:
    from tests.campaigns.composing import make_campaign

    campaign = make_campaign(cast, [("u1", {"name": "a", "money": "1"})], status="approved")
    url = reverse(
        "campaigns:template_edit", kwargs={"workspace_id": cast.workspace.pk, "template_id": campaign.template_id}
    )
    data = {"name": "demo-welcome", "title": "New title", "content": campaign.template.content}
    assert client_for(cast.marketer).post(url, data).status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "draft" and campaign.revision == 2


@pytest.mark.parametrize("status", ["sending", "partly_sent", "failed"])
def test_a_template_in_use_by_a_campaign_that_may_still_send_cannot_change(cast: Cast, status: str) -> None:
    from tests.campaigns.composing import make_campaign

    campaign = make_campaign(cast, [("u1", {"name": "a", "money": "1"})], status=status, name="Live now")
    url = reverse(
        "campaigns:template_edit", kwargs={"workspace_id": cast.workspace.pk, "template_id": campaign.template_id}
    )
    data = {"name": "demo-welcome", "title": "New title", "content": campaign.template.content}
    response = client_for(cast.marketer).post(url, data)
    assert "may still send: Live now" in response.content.decode()
    assert Template.objects.get().title == "Congratulations"
