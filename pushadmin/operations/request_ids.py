"""Every request gets an id (the proxy's `X-Request-ID` when it is a sane one), sent back in the
response and carried by every log line written while it is handled, with its workspace's id."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from pushadmin.operations import log_context

HEADER = "X-Request-ID"
SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id_of(request: HttpRequest) -> str:
    offered = request.headers.get(HEADER, "")
    return offered if SANE_ID.fullmatch(offered) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Set, not bound to this call: Django logs a 4xx or 5xx ("Not Found: …") after the
        # middleware has returned. The ids are cleared when the response is finished.
        request_id = request_id_of(request)
        log_context.note(request_id=request_id, workspace_id=None, campaign_id=None, batch_id=None)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        log_context.note(workspace_id=kwargs.get("workspace_id"), campaign_id=kwargs.get("campaign_id"))


@receiver(request_finished)
def forget_request_ids(**_: Any) -> None:
    log_context.note(request_id=None, workspace_id=None, campaign_id=None, batch_id=None)
