from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pushadmin.audit.models import AuditEntry
from pushadmin.workspaces.models import Workspace
from tests.personas import TEST_SECRET, Cast

pytestmark = pytest.mark.django_db


def settings_form(workspace: Workspace, **changes: str) -> dict[str, str]:
    data = {
        "name": workspace.name,
        "app_id": workspace.app_id,
        "mpaas_workspace_id": workspace.mpaas_workspace_id,
        "tenant_id": "",
        "region": "cn-hangzhou",
        "endpoint_url": workspace.endpoint_url,
        "api_version": "2019-08-21",
        "access_key_id": workspace.access_key_id,
        "access_key_secret": "",
        "signature_scheme": "v3",
        "calls_per_second": "20",
        "ambiguous_policy": "mark_unknown",
        "required_approvals": "1",
    }
    data.update(changes)
    return data


def admin_client(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def test_settings_page_says_a_secret_is_set_but_never_shows_it(cast: Cast) -> None:
    page = admin_client(cast).get(f"/w/{cast.workspace.pk}/settings/").content.decode()
    assert "AccessKey secret:" in page and "<strong>set</strong>" in page
    assert TEST_SECRET not in page
    assert cast.workspace.access_key_secret_encrypted not in page


def test_secret_is_stored_encrypted_and_blank_keeps_it(cast: Cast) -> None:
    client = admin_client(cast)
    response = client.post(f"/w/{cast.workspace.pk}/settings/", settings_form(cast.workspace, calls_per_second="7"))
    assert response.status_code == 302
    workspace = Workspace.objects.get(pk=cast.workspace.pk)
    assert workspace.calls_per_second == 7
    assert workspace.reveal_secret_for_signing() == TEST_SECRET
    assert TEST_SECRET not in workspace.access_key_secret_encrypted


def test_changing_the_secret_is_audited_without_the_secret(cast: Cast) -> None:
    client = admin_client(cast)
    client.post(
        f"/w/{cast.workspace.pk}/settings/", settings_form(cast.workspace, access_key_secret="brand-new-secret-1")
    )
    workspace = Workspace.objects.get(pk=cast.workspace.pk)
    assert workspace.reveal_secret_for_signing() == "brand-new-secret-1"
    assert AuditEntry.objects.filter(action="workspace.credential_changed", workspace=workspace).count() == 1
    for entry in AuditEntry.objects.all():
        dump = f"{entry.before}{entry.after}{entry.detail}"
        assert "brand-new-secret-1" not in dump and TEST_SECRET not in dump


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("endpoint_url", "ftp://example.invalid", "Use an http:// or https:// address"),
        ("endpoint_url", "https://mpaas.example.com/api?x=1", "Give only the scheme, host and port"),
        ("calls_per_second", "0", "greater than or equal to 1"),
        ("app_id", "bad id!", "Letters, digits"),
        ("required_approvals", "3", "less than or equal to 2"),
        ("name", "", "This field is required"),
    ],
)
def test_bad_input_gets_a_field_error_and_saves_nothing(cast: Cast, field: str, value: str, message: str) -> None:
    before = Workspace.objects.values().get(pk=cast.workspace.pk)
    response = admin_client(cast).post(
        f"/w/{cast.workspace.pk}/settings/", settings_form(cast.workspace, **{field: value})
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert Workspace.objects.values().get(pk=cast.workspace.pk) == before


def installation_admin_client() -> tuple[Client, object]:
    staff = get_user_model().objects.create_user("sam.staff", password="a long staff passphrase 1", is_staff=True)
    client = Client()
    client.force_login(staff)
    return client, staff


def test_a_new_workspace_needs_a_secret_and_makes_its_creator_admin(cast: Cast) -> None:
    client, staff = installation_admin_client()
    data = settings_form(cast.workspace, name="Brand new")
    response = client.post("/workspaces/new/", data)
    assert "Enter the AccessKey secret" in response.content.decode()
    assert not Workspace.objects.filter(name="Brand new").exists()
    response = client.post("/workspaces/new/", {**data, "access_key_secret": "s3cr3t-value"})
    created = Workspace.objects.get(name="Brand new")
    assert response.status_code == 302
    assert created.memberships.filter(user=staff, role="admin").exists()


def test_marketers_cannot_create_workspaces(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.marketer)
    assert client.get("/workspaces/new/").status_code == 403


def test_a_workspace_admin_cannot_create_workspaces(cast: Cast) -> None:
    data = {**settings_form(cast.workspace, name="Scanner"), "access_key_secret": "s3cr3t-value"}
    client = admin_client(cast)
    assert client.get("/workspaces/new/").status_code == 403
    assert client.post("/workspaces/new/", data).status_code == 403
    assert not Workspace.objects.filter(name="Scanner").exists()


def test_test_connection_says_whether_a_signed_call_works_and_names_a_wrong_secret(cast: Cast, mpaas_sandbox) -> None:
    from django.urls import reverse

    workspace = cast.workspace
    workspace.endpoint_url = mpaas_sandbox.url
    workspace.save()
    client = admin_client(cast)
    url = reverse("workspaces:test_connection", kwargs={"workspace_id": workspace.pk})
    page = client.post(url, follow=True).content.decode()
    assert f"Connection works: mPaaS at {mpaas_sandbox.url} answered a signed call." in page

    workspace.set_secret("not-the-secret-the-sandbox-knows")
    workspace.save()
    page = client.post(url, follow=True).content.decode()
    assert "Connection failed:" in page and "enter the workspace&#x27;s AccessKey id and secret again" in page
    assert "not-the-secret-the-sandbox-knows" not in page
    tested = AuditEntry.objects.filter(action="workspace.connection_tested").order_by("pk")
    assert [entry.detail["ok"] for entry in tested] == [True, False]
