"""Templates kept in step with mPaaS: create on mPaaS, check against it, and what pre-flight and review make of it.

Every call goes to the real sandbox process on 127.0.0.1 (`mpaas_sandbox`).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.models import MpaasState, Template
from pushadmin.campaigns.preflight import preflight
from pushadmin.mpaas import errors
from pushadmin.mpaas.client import MpaasClient
from pushadmin.mpaas.request_types import CreateTemplateRequest, DeleteTemplateRequest
from tests.campaigns.composing import make_campaign, make_template
from tests.fixtures.processes import TEST_ACCESS_KEY_ID, SandboxProcess
from tests.mpaas.fake_gateway import closed_port_url
from tests.personas import TEST_SECRET, Cast

pytestmark = pytest.mark.django_db

GOOD = {"name": "Zhang San", "money": "200"}


@pytest.fixture
def on_sandbox(cast: Cast, mpaas_sandbox: SandboxProcess) -> SandboxProcess:
    cast.workspace.endpoint_url = mpaas_sandbox.url
    cast.workspace.save()
    return mpaas_sandbox


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(cast: Cast, name: str, template: Template) -> str:
    return reverse(f"campaigns:{name}", kwargs={"workspace_id": cast.workspace.pk, "template_id": template.pk})


def post(cast: Cast, name: str, template: Template, user: Any = None, **data: str) -> Any:
    return client_for(user or cast.marketer).post(url(cast, name, template), data, follow=True)


def sandbox_client(sandbox: SandboxProcess) -> MpaasClient:
    return MpaasClient(sandbox.url, TEST_ACCESS_KEY_ID, TEST_SECRET)


def replace_on_sandbox(sandbox: SandboxProcess, name: str, title: str, content: str) -> None:
    """Someone changes the template in the mPaaS console: there is no update call, so delete and create."""
    app = {"app_id": "ONEX570DA89211721", "workspace_id": "default"}
    with sandbox_client(sandbox) as c:
        assert isinstance(c.delete_template(DeleteTemplateRequest(**app, template_name=name)).outcome, errors.Accepted)
        created = c.create_template(CreateTemplateRequest(**app, template_name=name, title=title, content=content))
        assert isinstance(created.outcome, errors.Accepted)


def test_create_on_mpaas_makes_the_template_that_push_multiple_then_renders(
    cast: Cast, on_sandbox: SandboxProcess
) -> None:
    template = make_template(cast, "spring-sale", title="Hi #name#", content="You won #money# yuan")
    campaign = make_campaign(cast, [("user-1", GOOD)], template=template)

    page = post(cast, "template_create_on_mpaas", template).content.decode()

    template.refresh_from_db()
    assert template.mpaas_state == MpaasState.MATCHES and template.mpaas_template_id
    assert "was created on mPaaS" in page and "Matches mPaaS" in page
    assert f"{template.mpaas_checked_at:%H:%M} UTC</time>" in page
    assert set(AuditEntry.objects.filter(object_id=str(template.pk)).values_list("action", flat=True)) >= {
        "template.created_on_mpaas",
        "template.checked",
    }
    test_send = reverse("campaigns:test_send", kwargs={"workspace_id": cast.workspace.pk, "campaign_id": campaign.pk})
    client_for(cast.marketer).post(test_send, {"test_target": "phone-7"})
    [message] = on_sandbox.messages(target="phone-7")
    assert (message["templateName"], message["title"], message["content"]) == (
        "spring-sale",
        "Hi Zhang San",
        "You won 200 yuan",
    )


def test_creating_a_name_mpaas_already_has_links_it_and_checks_it(cast: Cast, on_sandbox: SandboxProcess) -> None:
    template = make_template(cast, "demo-welcome")  # a start-up template of the sandbox, same text

    page = post(cast, "template_create_on_mpaas", template).content.decode()

    template.refresh_from_db()
    assert "was already on mPaaS" in page
    assert template.mpaas_state == MpaasState.MATCHES and template.mpaas_template_id


def test_a_change_on_mpaas_shows_as_a_difference_and_blocks_pre_flight(cast: Cast, on_sandbox: SandboxProcess) -> None:
    template = make_template(cast, "spring-sale", title="Hi #name#", content="You won #money# yuan")
    post(cast, "template_create_on_mpaas", template)
    replace_on_sandbox(on_sandbox, "spring-sale", "Hi #name#", "You lost #money# yuan")

    page = post(cast, "template_check_mpaas", template, **{"from": "edit"}).content.decode()

    template.refresh_from_db()
    assert template.mpaas_state == MpaasState.DIFFERS
    assert template.mpaas_differences == [("Content", "You lost #money# yuan", "You won #money# yuan")]
    assert "Differs from mPaaS" in page and "<del>You lost #money# yuan</del>" in page
    assert "<ins>You won #money# yuan</ins>" in page and 'id="mpaas-heading"' in page
    report = preflight(make_campaign(cast, [("u1", GOOD)], template=template))
    assert any(r.startswith("Template “spring-sale” differs from mPaaS (content)") for r in report.block_reasons)


def test_editing_the_text_here_marks_it_unchecked_and_the_next_check_shows_the_difference(
    cast: Cast, on_sandbox: SandboxProcess
) -> None:
    template = make_template(cast, "spring-sale", title="Hi #name#", content="You won #money# yuan")
    post(cast, "template_create_on_mpaas", template)
    edit = {"name": "spring-sale", "title": "Hello #name#", "content": "You won #money# yuan"}
    client_for(cast.marketer).post(url(cast, "template_edit", template), edit)
    template.refresh_from_db()
    assert template.mpaas_state == MpaasState.UNCHECKED and template.mpaas_checked_at is None
    assert "has not been checked against mPaaS" in " ".join(
        preflight(make_campaign(cast, [("u", GOOD)], template=template)).warnings
    )

    post(cast, "template_check_mpaas", template)

    template.refresh_from_db()
    assert template.mpaas_state == MpaasState.DIFFERS
    assert template.mpaas_differences == [("Title", "Hi #name#", "Hello #name#")]


def test_a_template_missing_on_mpaas_blocks_pre_flight(cast: Cast, on_sandbox: SandboxProcess) -> None:
    template = make_template(cast, "never-made")
    campaign = make_campaign(cast, [("u1", GOOD)], template=template)
    assert not preflight(campaign).blocks_submission

    page = post(cast, "template_check_mpaas", template).content.decode()

    template.refresh_from_db()
    assert template.mpaas_state == MpaasState.MISSING and "Not on mPaaS" in page
    reasons = preflight(campaign).block_reasons
    assert any(r.startswith("Template “never-made” is not on mPaaS: create it there or link") for r in reasons)


def test_the_review_page_shows_the_check_and_its_time(cast: Cast, on_sandbox: SandboxProcess) -> None:
    template = make_template(cast)
    campaign = make_campaign(cast, [("u1", GOOD)], template=template)
    review = reverse("reviews:review", kwargs={"workspace_id": cast.workspace.pk, "campaign_id": campaign.pk})
    assert "Not checked against mPaaS" in client_for(cast.reviewer).get(review).content.decode()

    post(cast, "template_check_mpaas", template)

    template.refresh_from_db()
    page = client_for(cast.reviewer).get(review).content.decode()
    assert "Matches mPaaS" in page and f"{template.mpaas_checked_at:%H:%M} UTC</time>" in page


def test_an_unreachable_mpaas_is_told_by_its_class_and_recorded_as_a_failed_check(cast: Cast) -> None:
    cast.workspace.endpoint_url = closed_port_url()
    cast.workspace.save()
    template = make_template(cast)

    page = post(cast, "template_check_mpaas", template).content.decode()

    template.refresh_from_db()
    assert template.mpaas_state == MpaasState.ERROR
    endpoint = cast.workspace.endpoint_url
    assert f"mPaaS could not be reached at {endpoint} (connection refused)" in page
    assert "Check against mPaaS failed" in page and "slow down" not in page
    assert "ConnectError" not in page and TEST_SECRET not in page
    assert "last check of template" in " ".join(
        preflight(make_campaign(cast, [("u", GOOD)], template=template)).warnings
    )


def test_wrong_credentials_are_shown_as_a_settings_problem_without_the_remote_text(
    cast: Cast, on_sandbox: SandboxProcess
) -> None:
    cast.workspace.set_secret("not-the-secret-Zq9")
    cast.workspace.save()
    template = make_template(cast)

    page = post(cast, "template_create_on_mpaas", template).content.decode()

    assert "refused this workspace&#x27;s settings (SignatureDoesNotMatch)" in page
    assert "string to sign" not in page and "not-the-secret-Zq9" not in page
    assert on_sandbox.stats()["rejectedByCode"] == {"SignatureDoesNotMatch": 1}
    template.refresh_from_db()
    assert template.mpaas_state == MpaasState.UNCHECKED


@pytest.mark.parametrize(
    ("persona", "status"), [("reviewer", 403), ("auditor", 403), ("admin", 403), ("outsider", 404)]
)
@pytest.mark.parametrize("action", ["template_create_on_mpaas", "template_check_mpaas"])
def test_only_a_marketer_of_the_workspace_may_create_or_check(
    cast: Cast, on_sandbox: SandboxProcess, persona: str, status: int, action: str
) -> None:
    template = make_template(cast)
    response = client_for(getattr(cast, persona)).post(url(cast, action, template))
    assert response.status_code == status
    assert on_sandbox.stats()["calls"] == 0
    assert not AuditEntry.objects.filter(action__startswith="template.c").exists()


def test_the_sync_actions_take_post_only(cast: Cast) -> None:
    template = make_template(cast)
    assert client_for(cast.marketer).get(url(cast, "template_check_mpaas", template)).status_code == 405


def test_the_demo_template_is_on_the_sandbox_and_matches_after_a_check(mpaas_sandbox: SandboxProcess) -> None:
    from pushadmin.console.demo import DEMO_TEMPLATE_NAME, load_demo

    with override_settings(PUSHADMIN_SANDBOX_URL=mpaas_sandbox.url):
        load_demo()
    template = Template.objects.get(name=DEMO_TEMPLATE_NAME)
    marketer = template.workspace.memberships.get(role="marketer").user
    check = reverse(
        "campaigns:template_check_mpaas", kwargs={"workspace_id": template.workspace_id, "template_id": template.pk}
    )
    page = client_for(marketer).post(check, follow=True).content.decode()
    template.refresh_from_db()
    assert template.mpaas_state == MpaasState.MATCHES
    assert "Matches mPaaS" in page
