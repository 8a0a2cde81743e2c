"""A workspace admin's webhook pages: endpoints with their events, deliveries with each try, send again."""

from __future__ import annotations

import base64
import secrets

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pushadmin.accounts.access import get_in_workspace, workspace_view
from pushadmin.accounts.models import Role
from pushadmin.accounts.requests import WorkspaceRequest
from pushadmin.audit import trail
from pushadmin.webhooks import delivering
from pushadmin.webhooks.forms import EndpointForm
from pushadmin.webhooks.models import Delivery, Endpoint
from pushadmin.workspaces import encryption


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@require_http_methods(["GET", "POST"])
@workspace_view(Role.ADMIN)
def endpoint_list(request: WorkspaceRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    context: dict[str, object] = {}
    if request.method == "POST" and form.is_valid():
        secret = new_secret()
        with transaction.atomic():
            endpoint = Endpoint.objects.create(
                workspace=request.workspace,
                created_by=request.user,
                secret_encrypted=encryption.encrypt(secret),
                **form.endpoint_values(),
            )
            trail.record(
                "webhook.endpoint_created",
                request=request,
                workspace=request.workspace,
                obj=endpoint,
                after=form.endpoint_values(),
            )
        context["new_endpoint"], context["new_secret"] = endpoint, secret
        form = EndpointForm()
    context["form"] = form
    context["endpoints"] = Endpoint.objects.filter(workspace=request.workspace)
    return render(request, "webhooks/endpoints.html", context, status=400 if form.errors else 200)


@require_GET
@workspace_view(Role.ADMIN)
def endpoint(request: WorkspaceRequest, endpoint_id: int) -> HttpResponse:
    found = get_in_workspace(request, Endpoint, pk=endpoint_id)
    deliveries = Delivery.objects.filter(endpoint=found).prefetch_related("attempt_log")[:100]
    return render(request, "webhooks/endpoint.html", {"endpoint": found, "deliveries": deliveries})


@require_POST
@workspace_view(Role.ADMIN)
def toggle(request: WorkspaceRequest, endpoint_id: int) -> HttpResponse:
    found = get_in_workspace(request, Endpoint, pk=endpoint_id)
    enable = not found.enabled
    with transaction.atomic():
        trail.lock_chain(request.workspace)
        Endpoint.objects.filter(pk=found.pk).update(enabled=enable, disabled_reason="", failures_in_a_row=0)
        action = "webhook.endpoint_enabled" if enable else "webhook.endpoint_disabled"
        trail.record(action, request=request, workspace=request.workspace, obj=found, detail={"url": found.url})
    done = _("%(url)s is enabled.") if enable else _("%(url)s is disabled.")
    messages.success(request, done % {"url": found.url})
    return redirect("webhooks:endpoint", workspace_id=request.workspace.pk, endpoint_id=found.pk)


@require_POST
@workspace_view(Role.ADMIN)
def send_again(request: WorkspaceRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    found = get_in_workspace(request, Endpoint, pk=endpoint_id)
    delivery = get_object_or_404(Delivery.objects.select_related("endpoint__workspace"), endpoint=found, pk=delivery_id)
    delivering.send_again(delivery, request=request)
    messages.success(request, _("The event “%(event)s” is being sent again.") % {"event": delivery.get_event_display()})
    return redirect("webhooks:endpoint", workspace_id=request.workspace.pk, endpoint_id=found.pk)
