"""The AccessKey secret appears nowhere a person or a log can read it, after a full campaign;
nor do invitation tokens, authenticator keys, recovery codes or session keys.

A campaign is built, approved and really sent to the sandbox over HTTP (plus one call to an
endpoint that refuses connections); then every GET page of the project is opened by every
role, plain and as an htmx fragment, with the campaign's objects filling the URLs. Pages,
headers, downloads, log records (with tracebacks), audit entries and stored outcomes are
searched for the secret in clear and for its encrypted form; the log records also as the
JSON lines `LOG_FORMAT=json` writes, with their request, workspace, campaign and batch ids.
"""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import zipfile

import pytest
from django.core import mail
from django.test import Client

from pushadmin.accounts.models import SignedInSession, TOTPAuthenticator
from pushadmin.audit.models import AuditEntry
from pushadmin.campaigns.lifecycle import transition
from pushadmin.campaigns.models import CampaignStatus
from pushadmin.console.demo import DEMO_ACCESS_KEY_SECRET
from pushadmin.delivery import dispatch, sending
from pushadmin.delivery.models import Attempt, Batch, BatchStatus, Message
from pushadmin.operations.log_context import ContextFilter
from pushadmin.operations.log_format import JsonFormatter
from tests.accounts.authenticator import code_for, key_on_page
from tests.fixtures.processes import SandboxProcess
from tests.personas import TEST_SECRET, Cast
from tests.security.site_map import all_routes, concrete_path
from tests.security.world import World, build_world

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def readable(body: bytes) -> str:
    """The text of a response; an evidence pack (zip) is opened so its files are searched too."""
    if body.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(body)) as pack:
            return "\n".join(f"{name}: {pack.read(name).decode(errors='replace')}" for name in pack.namelist())
    return body.decode(errors="replace")


def a_closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sent_campaign_world(cast: Cast, sandbox_url: str) -> World:
    workspace = cast.workspace
    workspace.endpoint_url = sandbox_url
    workspace.calls_per_second = 100
    workspace.save()
    world = build_world(workspace, cast.marketer, "SCANk2", template_name="demo-welcome")
    campaign = world.objects["campaign"]
    Batch.objects.filter(campaign=campaign).delete()  # the world's hand-made batch; sending cuts its own
    campaign = transition(campaign, CampaignStatus.IN_REVIEW, action="campaign.submitted", actor=cast.marketer)
    campaign = transition(campaign, CampaignStatus.APPROVED, action="campaign.approved", actor=cast.reviewer)
    dispatch.start_campaign(campaign.pk)
    for batch in Batch.objects.filter(campaign=campaign, status=BatchStatus.PENDING):
        sending.send_batch(batch.pk)
    world.objects.update(
        campaign=campaign,
        batch=Batch.objects.filter(campaign=campaign).first(),
        message=Message.objects.filter(campaign=campaign).first(),
        attempt=Attempt.objects.filter(campaign=campaign).first(),
    )
    return world


def a_call_that_fails(cast: Cast) -> None:
    """The error path: connection refused, retried, recorded; its messages and logs are scanned too."""
    other = cast.other_workspace
    other.endpoint_url = f"http://127.0.0.1:{a_closed_port()}"
    other.set_secret(DEMO_ACCESS_KEY_SECRET)
    other.save()
    campaign = build_world(other, cast.outsider, "FAILm4").objects["campaign"]
    Batch.objects.filter(campaign=campaign).delete()
    transition(campaign, CampaignStatus.IN_REVIEW, action="campaign.submitted", actor=cast.outsider)
    transition(campaign, CampaignStatus.APPROVED, action="campaign.approved", actor=cast.outsider)
    dispatch.start_campaign(campaign.pk)
    for batch in Batch.objects.filter(campaign=campaign):
        sending.send_batch(batch.pk)


def people_secrets(cast: Cast) -> list[str]:
    """An invitation sent and accepted, an authenticator enrolled and a recovery code used, through
    the pages: their tokens, keys and codes, and the signed-in sessions' keys, to look for."""
    admin = Client()
    admin.force_login(cast.admin)
    admin.post(f"/w/{cast.workspace.pk}/members/", {"email": "tess@example.com", "role": "marketer"})
    link = re.search(r"http://testserver(/invitations/[^/\s]+/)", mail.outbox[-1].body).group(1)
    tess = Client(HTTP_USER_AGENT="SCAN browser")
    tess.get(link)
    form = {
        "username": "tess.totp",
        "password1": "a long enough passphrase 3",
        "password2": "a long enough passphrase 3",
    }
    assert tess.post("/invitations/accept/", form).status_code == 302
    key = key_on_page(tess.get("/accounts/two-factor/").content.decode())
    codes = re.findall(
        r"<li><code>([a-z0-9-]+)</code>", tess.post("/accounts/two-factor/", {"code": code_for(key)}).content.decode()
    )
    again = Client()
    again.post("/accounts/login/", {"username": "tess.totp", "password": "a long enough passphrase 3"})
    assert again.post("/accounts/two-factor/recover/", {"code": codes[0]}).status_code == 302
    device = TOTPAuthenticator.objects.get(user__username="tess.totp")
    sessions = list(SignedInSession.objects.values_list("session_key", flat=True))
    assert len(codes) == 10 and sessions
    return [link.split("/")[2], key, device.bin_key.hex(), device.key_encrypted, *codes, *sessions]


def test_no_page_fragment_download_log_or_audit_entry_shows_the_secret(
    cast: Cast, mpaas_sandbox: SandboxProcess, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    json_lines = io.StringIO()
    json_handler = logging.StreamHandler(json_lines)
    json_handler.setFormatter(JsonFormatter())
    json_handler.addFilter(ContextFilter())
    logging.getLogger().addHandler(json_handler)
    try:
        world = sent_campaign_world(cast, mpaas_sandbox.url)
        a_call_that_fails(cast)
        people = people_secrets(cast)
    finally:
        logging.getLogger().removeHandler(json_handler)
    assert Message.objects.filter(campaign=world.objects["campaign"], status="accepted").exists(), "nothing was sent"

    seen: list[str] = []
    opened = 0
    zips_opened = 0
    for route in all_routes():
        if route.in_admin_site or "GET" not in (route.methods or ("GET",)):
            continue
        path = concrete_path(route, cast.workspace.pk, world.ids_for(route))
        for user in cast.by_role().values():
            client = Client(raise_request_exception=False)
            client.force_login(user)
            for headers in ({}, {"HX-Request": "true"}):
                response = client.get(path, headers=headers)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                seen.append(f"{path} {response.status_code} {dict(response.headers)} {readable(body)}")
                opened += response.status_code == 200
                zips_opened += body.startswith(b"PK\x03\x04")
    seen.append(caplog.text)
    logged = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    assert any("campaign_id" in line and "batch_id" in line for line in logged), "no JSON log line to search"
    seen.append(json_lines.getvalue())
    seen.extend(str(row) for row in AuditEntry.objects.values("before", "after", "detail", "object_repr"))
    seen.extend(str(row) for row in Attempt.objects.values("code", "message"))
    seen.extend(str(row) for row in Message.objects.values("result_code", "result_message"))

    everything = "\n".join(seen)
    tokens = [cast.workspace.access_key_secret_encrypted, cast.other_workspace.access_key_secret_encrypted]
    for secret in [TEST_SECRET, DEMO_ACCESS_KEY_SECRET, *tokens, *people]:
        assert secret not in everything
    assert opened >= 4, "the crawl opened too few pages to mean anything"
    assert zips_opened or not any("evidence" in route.route for route in all_routes())
    assert "Connect" in caplog.text or Attempt.objects.exclude(outcome="accepted").exists()
