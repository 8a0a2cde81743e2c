"""One mPaaS client per workspace per worker process, reused across batches.

A client keeps its HTTP connections open, which matters at hundreds of calls per second.
It is rebuilt when the workspace's endpoint, credentials or signature settings change.
"""

from __future__ import annotations

import threading
from typing import cast

from django.conf import settings

from pushadmin.mpaas.client import MpaasClient, SignatureScheme
from pushadmin.mpaas.endpoints import NOT_ALLOWED_HOST, EndpointRefused
from pushadmin.workspaces.endpoints import ensure_endpoint_allowed
from pushadmin.workspaces.models import Workspace

_clients: dict[int, tuple[tuple[object, ...], MpaasClient]] = {}
_lock = threading.Lock()


def signature_of(workspace: Workspace) -> SignatureScheme:
    """The workspace's signature scheme as the client takes it: the field's choices are these values."""
    return cast(SignatureScheme, workspace.signature_scheme)


def _identity(workspace: Workspace) -> tuple[object, ...]:
    return (
        workspace.endpoint_url,
        workspace.access_key_id,
        workspace.secret_changed_at,
        workspace.signature_scheme,
        workspace.api_version,
    )


def build_client(workspace: Workspace, *, timeout: float) -> MpaasClient:
    """A new client for the workspace's settings; raises `EndpointRefused` for an endpoint not allowed here.

    Checked here as well as in the settings form, so an endpoint stored before the rule, or
    written around the form, is never called.
    """
    ensure_endpoint_allowed(workspace.endpoint_url)
    return MpaasClient(
        workspace.endpoint_url,
        workspace.access_key_id,
        workspace.reveal_secret_for_signing(),
        signature=signature_of(workspace),
        api_version=workspace.api_version,
        timeout=timeout,
    )


def client_for(workspace: Workspace) -> MpaasClient:
    identity = _identity(workspace)
    with _lock:
        cached = _clients.get(workspace.pk)
        if cached is not None and cached[0] == identity:
            return cached[1]
        client = build_client(workspace, timeout=float(settings.PUSHADMIN_SEND_HTTP_TIMEOUT))
        if cached is not None:
            cached[1].close()
        _clients[workspace.pk] = (identity, client)
        return client


def why_not_built(exc: Exception) -> str:
    """Why `build_client` failed, for people: the class of failure, not the exception's text."""
    return NOT_ALLOWED_HOST if isinstance(exc, EndpointRefused) else type(exc).__name__
