"""Templates kept in step with mPaaS: create one there, or check ours against what it holds.

Both are explicit actions of a marketer, one or two signed calls each; pages and pre-flight
only read what the last check stored on the template. A check looks the template up by
name, as PushMultiple does, and compares name, title and content. What the marketer is
told comes from the outcome's class and our own words for its code, never from the
remote's message text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from pushadmin.audit import trail
from pushadmin.campaigns import rendering
from pushadmin.campaigns.models import MPAAS_COMPARED, MpaasState, Template
from pushadmin.delivery.clients import build_client
from pushadmin.mpaas import errors
from pushadmin.mpaas.client import MpaasClient, TemplateCallResult
from pushadmin.mpaas.endpoints import NOT_ALLOWED_HOST, EndpointRefused
from pushadmin.mpaas.request_types import CreateTemplateRequest, GetTemplateRequest
from pushadmin.mpaas.template_replies import TemplateInfo
from pushadmin.mpaas.validation import validate_create_template, validate_template_lookup
from pushadmin.workspaces.models import Workspace

TIMEOUT_SECONDS = 10.0
TEMPLATE_NOT_EXIST = "3022"
TEMPLATE_ALREADY_EXIST = "3036"
# A code is shown only when it looks like one; anything else the remote put there is not repeated.
_CODE_RE = re.compile(r"[A-Za-z0-9.\-]{1,64}")


@dataclass(frozen=True)
class SyncAnswer:
    ok: bool
    text: str


def _client(workspace: Workspace) -> MpaasClient:
    """The workspace's client, under the same endpoint rules as sending (`EndpointRefused` otherwise)."""
    return build_client(workspace, timeout=TIMEOUT_SECONDS)


def _refused(workspace: Workspace) -> SyncAnswer:
    return SyncAnswer(
        False,
        f"Not sent ({NOT_ALLOWED_HOST}): the workspace's endpoint is not an mPaaS gateway this installation "
        "allows; an admin can correct it under Settings.",
    )


def _lookup(template: Template) -> GetTemplateRequest:
    workspace = template.workspace
    return GetTemplateRequest(
        app_id=workspace.app_id,
        workspace_id=workspace.mpaas_workspace_id,
        tenant_id=workspace.tenant_id or None,
        template_name=template.name,
    )


def failure_text(outcome: errors.Outcome, *, endpoint: str = "", network_error: str | None = None) -> str:
    """What went wrong, by the outcome's class, in our words (`network_error`: the failure's class)."""
    code = outcome.code if not isinstance(outcome, errors.Accepted) else None
    shown = f" ({code})" if code and _CODE_RE.fullmatch(code) else ""
    meaning = errors.meaning_of(code) if code and _CODE_RE.fullmatch(code) else ""
    if isinstance(outcome, errors.Rejected) and outcome.config_error:
        return (
            f"mPaaS refused this workspace's settings{shown}. {meaning} "
            "A workspace admin should check the AppId, WorkspaceId, endpoint and AccessKey."
        ).replace("  ", " ")
    if isinstance(outcome, errors.Rejected):
        return f"mPaaS refused the call{shown}. {meaning}".strip()
    if isinstance(outcome, errors.Retryable) and outcome.reason == errors.THROTTLED:
        return "mPaaS asked us to slow down; nothing changed. Try again in a moment."
    if isinstance(outcome, errors.Retryable) and network_error:
        return f"mPaaS could not be reached at {endpoint} ({network_error}); nothing changed. Check the endpoint."
    if isinstance(outcome, errors.Retryable):
        return "mPaaS answered with a temporary error; nothing changed. Try again in a moment."
    return "mPaaS gave no clear answer, so whether anything changed is unknown. Check against mPaaS again."


def _our_text(template: Template) -> dict[str, str]:
    return {name: getattr(template, name) for name, _ in MPAAS_COMPARED}


def _differences(ours: dict[str, str], theirs: TemplateInfo) -> dict[str, str]:
    return {name: getattr(theirs, name) for name in ours if getattr(theirs, name) != ours[name]}


def _checked_time() -> str:
    return timezone.now().strftime("%H:%M UTC")


def check(template: Template, *, request: HttpRequest) -> SyncAnswer:
    """GetTemplate by name, compare, store the finding and audit it."""
    ours = _our_text(template)
    lookup = _lookup(template)
    problems = validate_template_lookup(lookup)
    if problems:
        return SyncAnswer(False, "; ".join(f"{p.field} {p.message}" for p in problems))
    try:
        client = _client(template.workspace)
    except EndpointRefused:
        return _refused(template.workspace)
    with client:
        result = client.get_template(lookup)
    return _record_check(template, ours, result, request=request)


def _record_check(
    template: Template, ours: dict[str, str], result: TemplateCallResult[TemplateInfo], *, request: HttpRequest
) -> SyncAnswer:
    outcome, found = result.outcome, result.value
    copy: dict[str, str] = {}
    error = ""
    if found is not None:
        copy = _differences(ours, found)
        state = MpaasState.DIFFERS if copy else MpaasState.MATCHES
    elif isinstance(outcome, errors.Rejected) and outcome.code == TEMPLATE_NOT_EXIST:
        state = MpaasState.MISSING
    else:
        state, error = (
            MpaasState.ERROR,
            failure_text(outcome, endpoint=template.workspace.endpoint_url, network_error=result.attempt.error or None),
        )
    with transaction.atomic():
        recorded = template.record_mpaas_check(
            state,
            checked_at=timezone.now(),
            checked_text=ours,
            template_id=found.id if found is not None else "",
            copy=copy,
            error=error,
        )
        trail.record(
            "template.checked",
            request=request,
            workspace=template.workspace,
            obj=template,
            detail={
                "state": state,
                "differs": sorted(copy),
                "recorded": recorded,
                "code": getattr(outcome, "code", None) or getattr(outcome, "result_code", None),
                "request_id": outcome.request_id,
            },
        )
    if not recorded:
        return SyncAnswer(False, f"Template “{template.name}” changed while it was checked; check it again.")
    return SyncAnswer(state == MpaasState.MATCHES, _state_text(template.name, state, error))


def _state_text(name: str, state: str, error: str) -> str:
    if state == MpaasState.MATCHES:
        return f"Template “{name}” matches mPaaS (checked {_checked_time()})."
    if state == MpaasState.DIFFERS:
        return f"Template “{name}” differs from mPaaS; the differences are shown with it."
    if state == MpaasState.MISSING:
        return f"Template “{name}” is not on mPaaS."
    return f"Template “{name}” could not be checked: {error}"


def create_on_mpaas(template: Template, *, request: HttpRequest) -> SyncAnswer:
    """CreateTemplate with our name and text, then check it (a name already there is checked and linked)."""
    workspace = template.workspace
    ours = _our_text(template)
    create = CreateTemplateRequest(
        app_id=workspace.app_id,
        workspace_id=workspace.mpaas_workspace_id,
        tenant_id=workspace.tenant_id or None,
        template_name=template.name,
        title=template.title,
        content=template.content,
        variables=rendering.template_placeholders(template.title, template.content) or None,
    )
    problems = validate_create_template(create)
    if problems:
        return SyncAnswer(False, "mPaaS would refuse it: " + "; ".join(f"{p.field} {p.message}" for p in problems))
    try:
        client = _client(workspace)
    except EndpointRefused:
        return _refused(workspace)
    with client:
        created = client.create_template(create)
        outcome = created.outcome
        exists = isinstance(outcome, errors.Rejected) and outcome.code == TEMPLATE_ALREADY_EXIST
        trail.record(
            "template.created_on_mpaas",
            request=request,
            workspace=workspace,
            obj=template,
            detail={
                "accepted": isinstance(outcome, errors.Accepted),
                "already_there": exists,
                "code": getattr(outcome, "code", None) or getattr(outcome, "result_code", None),
                "request_id": outcome.request_id,
                "mpaas_template_id": created.value,
                "after": ours,
            },
        )
        if not isinstance(outcome, errors.Accepted) and not exists:
            why = failure_text(outcome, endpoint=workspace.endpoint_url, network_error=created.attempt.error or None)
            return SyncAnswer(False, f"Template “{template.name}” was not created on mPaaS: {why}")
        checked = client.get_template(_lookup(template))
    answer = _record_check(template, ours, checked, request=request)
    first = f"Template “{template.name}” " + ("was already on mPaaS." if exists else "was created on mPaaS.")
    return SyncAnswer(answer.ok, f"{first} {answer.text}")
