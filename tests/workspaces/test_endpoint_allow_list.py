"""Signed calls go only to allow-listed mPaaS gateways over https (loopback only in development).

Every address used here is loopback: refusals are proven with host names, patterns and the
text-only address check, which never resolves or connects.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from pushadmin.campaigns import test_send
from pushadmin.campaigns.models import Campaign, CampaignStatus
from pushadmin.delivery import clients, dispatch, queueing, sending
from pushadmin.delivery.models import Attempt, Batch
from pushadmin.mpaas.endpoints import (
    DEFAULT_ALLOWED_HOSTS,
    EndpointPolicy,
    EndpointRefused,
    host_matches,
    is_loopback,
    refusal,
)
from pushadmin.workspaces.endpoints import endpoint_refusal
from pushadmin.workspaces.models import Workspace
from tests.campaigns.composing import make_campaign
from tests.delivery.campaigns import approve, draft_campaign, point_at
from tests.mpaas.fake_gateway import FakeGateway, Reply, closed_port_url
from tests.personas import Cast
from tests.workspaces.test_settings_page import admin_client, settings_form

pytestmark = pytest.mark.django_db

PRODUCTION = EndpointPolicy(allowed_hosts=DEFAULT_ALLOWED_HOSTS, allow_loopback=False)
DEVELOPMENT = EndpointPolicy(allowed_hosts=DEFAULT_ALLOWED_HOSTS, allow_loopback=True)
REMOTE_CANARY = "REMOTE-TEXT-9f2c"


@pytest.mark.parametrize(
    "url",
    [
        "https://mpaas.cn-hangzhou.aliyuncs.com",
        "https://mpaas.aliyuncs.com",
        "https://MPAAS.cn-shanghai.aliyuncs.com:443",
    ],
)
def test_the_mpaas_gateways_are_allowed_in_production(url: str) -> None:
    assert refusal(url, PRODUCTION) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://mpaas.cn-hangzhou.aliyuncs.com",
        "https://internal.example",
        "https://mpaas.cn-hangzhou.aliyuncs.com.attacker.example",
        "https://mpaas.a.b.aliyuncs.com",
        "https://ecs.cn-hangzhou.aliyuncs.com",
        "https://mpaas.cn-hangzhou.aliyuncs.com:8443",
        "http://127.0.0.1:8765",
        "http://[::1]:8765",
        "https://localhost",
        "http://127.0.0.2",
    ],
)
def test_everything_else_is_refused_in_production(url: str) -> None:
    assert refusal(url, PRODUCTION)


def test_loopback_is_allowed_in_development_and_other_hosts_are_still_not() -> None:
    assert refusal("http://127.0.0.1:8765", DEVELOPMENT) is None
    assert refusal("http://[::1]:8765", DEVELOPMENT) is None
    assert refusal("http://localhost:8765", DEVELOPMENT) is None
    assert "Not allowed host" in (refusal("https://internal.example", DEVELOPMENT) or "")
    assert "https://" in (refusal("http://mpaas.cn-hangzhou.aliyuncs.com", DEVELOPMENT) or "")


def test_the_address_check_reads_the_text_only() -> None:
    assert all(is_loopback(host) for host in ("127.0.0.1", "127.9.8.7", "::1", "[::1]", "localhost", "LocalHost"))
    assert not any(is_loopback(host) for host in ("internal.example", "localhost.example", "mpaas.aliyuncs.com"))


def test_a_star_stands_for_exactly_one_label() -> None:
    assert host_matches("mpaas.cn-hangzhou.aliyuncs.com", "mpaas.*.aliyuncs.com")
    assert not host_matches("mpaas.aliyuncs.com", "mpaas.*.aliyuncs.com")
    assert not host_matches("mpaas.x.y.aliyuncs.com", "mpaas.*.aliyuncs.com")
    assert not host_matches("mpaas.x_y.aliyuncs.com", "mpaas.*.aliyuncs.com")


def test_the_allow_list_comes_from_the_setting(settings: Any) -> None:
    settings.PUSHADMIN_ALLOWED_ENDPOINT_HOSTS = ("push.gateway.example",)
    settings.PUSHADMIN_ENV = "production"
    assert endpoint_refusal("https://push.gateway.example") is None
    assert endpoint_refusal("https://mpaas.cn-hangzhou.aliyuncs.com")


def test_the_settings_form_names_the_field_and_the_reason_for_a_host_not_allowed(cast: Cast) -> None:
    response = admin_client(cast).post(
        f"/w/{cast.workspace.pk}/settings/", settings_form(cast.workspace, endpoint_url="https://internal.example")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "Not allowed host" in errors["endpoint_url"][0]
    assert Workspace.objects.get(pk=cast.workspace.pk).endpoint_url == "http://127.0.0.1:8765"


def test_in_production_the_form_refuses_loopback_and_plain_http(cast: Cast, settings: Any) -> None:
    settings.PUSHADMIN_ENV = "production"
    for url in ("http://127.0.0.1:8765", "http://mpaas.cn-hangzhou.aliyuncs.com"):
        response = admin_client(cast).post(
            f"/w/{cast.workspace.pk}/settings/", settings_form(cast.workspace, endpoint_url=url)
        )
        assert "endpoint_url" in response.context["form"].errors, url
    response = admin_client(cast).post(
        f"/w/{cast.workspace.pk}/settings/",
        settings_form(cast.workspace, endpoint_url="https://mpaas.cn-hangzhou.aliyuncs.com"),
    )
    assert response.status_code == 302


def test_a_client_is_never_built_for_an_endpoint_stored_before_the_rule(cast: Cast, settings: Any) -> None:
    Workspace.objects.filter(pk=cast.workspace.pk).update(endpoint_url="https://internal.example")
    with pytest.raises(EndpointRefused):
        clients.build_client(Workspace.objects.get(pk=cast.workspace.pk), timeout=1)
    settings.PUSHADMIN_ENV = "production"
    with pytest.raises(EndpointRefused):
        clients.build_client(cast.workspace, timeout=1)  # its loopback sandbox


def marketer_test_send(cast: Cast, campaign: Campaign) -> str:
    client = Client()
    client.force_login(cast.marketer)
    path = reverse("campaigns:test_send", kwargs={"workspace_id": cast.workspace.pk, "campaign_id": campaign.pk})
    return client.post(path, {"test_target": "userid-test"}, HTTP_HX_REQUEST="true").content.decode()


def test_a_test_send_to_a_stored_endpoint_not_allowed_is_refused_before_any_connection(
    cast: Cast, settings: Any
) -> None:
    campaign = make_campaign(cast, [("u1", {"name": "Zhang San", "money": "200"})])
    with FakeGateway() as gateway:
        Workspace.objects.filter(pk=cast.workspace.pk).update(endpoint_url=gateway.url)
        settings.PUSHADMIN_ENV = "production"
        html = marketer_test_send(cast, campaign)
    assert "not allowed host" in html
    assert gateway.received == []


@pytest.mark.parametrize("action", ["template_check_mpaas", "template_create_on_mpaas"])
def test_a_template_check_or_create_to_a_stored_endpoint_not_allowed_makes_no_connection(
    cast: Cast, settings: Any, action: str
) -> None:
    template = make_campaign(cast, [("u1", {"name": "Zhang San", "money": "200"})]).template
    client = Client()
    client.force_login(cast.marketer)
    path = reverse(f"campaigns:{action}", kwargs={"workspace_id": cast.workspace.pk, "template_id": template.pk})
    with FakeGateway() as gateway:
        Workspace.objects.filter(pk=cast.workspace.pk).update(endpoint_url=gateway.url)
        settings.PUSHADMIN_ENV = "production"
        html = client.post(path, follow=True).content.decode()
    assert "not allowed host" in html
    assert gateway.received == []


def test_a_test_send_names_the_class_of_failure_and_never_the_exceptions_text(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", {"name": "Zhang San", "money": "200"})])
    Workspace.objects.filter(pk=cast.workspace.pk).update(endpoint_url=closed_port_url())
    html = marketer_test_send(cast, campaign)
    assert "connection refused" in html
    assert "Errno" not in html and "ConnectError" not in html


def test_a_test_send_over_tls_to_a_plain_http_listener_says_tls_error(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", {"name": "Zhang San", "money": "200"})])
    with FakeGateway() as gateway:
        Workspace.objects.filter(pk=cast.workspace.pk).update(endpoint_url=gateway.url.replace("http:", "https:"))
        html = marketer_test_send(cast, campaign)
    assert "TLS error" in html
    assert "SSL" not in html


def test_a_test_send_that_gets_no_answer_in_time_says_timed_out(cast: Cast, monkeypatch: Any) -> None:
    monkeypatch.setattr(test_send, "TEST_TIMEOUT_SECONDS", 0.3)
    campaign = make_campaign(cast, [("u1", {"name": "Zhang San", "money": "200"})])
    with FakeGateway() as gateway:
        gateway.replies.append(Reply(200, b"{}", delay=1.0))
        Workspace.objects.filter(pk=cast.workspace.pk).update(endpoint_url=gateway.url)
        html = marketer_test_send(cast, campaign)
    assert "timed out" in html
    assert "ReadTimeout" not in html


def test_a_test_send_never_shows_the_remotes_own_text(cast: Cast) -> None:
    campaign = make_campaign(cast, [("u1", {"name": "Zhang San", "money": "200"})])
    with FakeGateway() as gateway:
        gateway.replies.append(Reply.json(400, {"RequestId": "R1", "Code": "Odd", "Message": REMOTE_CANARY}))
        gateway.replies.append(Reply(200, f"<html>{REMOTE_CANARY}</html>".encode()))
        Workspace.objects.filter(pk=cast.workspace.pk).update(endpoint_url=gateway.url)
        first = marketer_test_send(cast, campaign)
        second = marketer_test_send(cast, campaign)
    assert "Refused by the push service." in first and "No clear answer" in second
    assert REMOTE_CANARY not in first + second


def test_sending_from_a_stored_endpoint_not_allowed_pauses_with_the_class_of_failure(
    cast: Cast, settings: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    enqueued: list[int] = []
    monkeypatch.setattr(queueing, "enqueue", lambda batch_ids, countdown=None: enqueued.extend(batch_ids))
    with FakeGateway() as gateway:
        point_at(cast.workspace, gateway.url, calls_per_second=1000)
        campaign = approve(draft_campaign(cast.workspace, cast.marketer, 10), cast.reviewer)
        with django_capture_on_commit_callbacks(execute=True):
            dispatch.start_campaign(campaign.pk)
        settings.PUSHADMIN_ENV = "production"
        with django_capture_on_commit_callbacks(execute=False):
            outcome = sending.send_batch(enqueued[0])
    campaign.refresh_from_db()
    assert outcome == "not prepared"
    assert campaign.status == CampaignStatus.PAUSED
    assert "not allowed host" in campaign.pause_reason
    assert gateway.received == [] and not Attempt.objects.filter(campaign=campaign).exists()


def test_sending_pauses_with_the_class_of_failure_after_repeated_refused_connections(
    cast: Cast, settings: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PUSHADMIN_AUTO_PAUSE_AFTER = 2
    settings.PUSHADMIN_SEND_BACKOFF_BASE_MS = 1
    settings.PUSHADMIN_SEND_BACKOFF_CAP_MS = 1
    enqueued: list[int] = []
    monkeypatch.setattr(queueing, "enqueue", lambda batch_ids, countdown=None: enqueued.extend(batch_ids))
    point_at(cast.workspace, closed_port_url(), calls_per_second=1000)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, 10), cast.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.start_campaign(campaign.pk)
    for _ in range(5):
        if not enqueued:
            break
        batch_id = enqueued.pop()
        Batch.objects.filter(pk=batch_id).update(next_attempt_at=None)
        with django_capture_on_commit_callbacks(execute=True):
            sending.send_batch(batch_id)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    assert "connection refused" in campaign.pause_reason
    assert "Errno" not in campaign.pause_reason
    assert all("Errno" not in a.message for a in Attempt.objects.filter(campaign=campaign))
